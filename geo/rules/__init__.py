"""The rule book as code: idle land, low-efficiency land and 亩均效益 grading, driven by preset data files.

- :mod:`geo.rules.presets` — loading, ``extends`` merging and strict validation of the YAML presets;
- :mod:`geo.rules.facts` — parcel facts as arrays and the data-quality checks;
- :mod:`geo.rules.idle` — 《闲置土地处置办法》 (国土资源部令第53号);
- :mod:`geo.rules.low_efficiency` — the low-efficiency reason codes and exemptions of contract §4;
- :mod:`geo.rules.mujun` — 亩均效益 scores and A/B/C/D classes.
"""

"""Units Chinese land administration reports in.

1 亩 = 10 000 / 15 m² = 2000/3 m² ≈ 666.67 m² (domain.md, introduction); 1 公顷 = 15 亩.
"""

from __future__ import annotations

M2_PER_MU = 2000.0 / 3.0
M2_PER_HA = 10_000.0

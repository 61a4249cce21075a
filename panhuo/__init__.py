"""panhuo (盘活): find idle and low-efficiency land in development zones and plan its re-use.

This package holds the command line, a thin door over the core packages ``geo``,
``optimizer`` and ``maps``.
"""

__version__ = "0.1.0"

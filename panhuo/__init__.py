"""panhuo (盘活): find idle and low-efficiency land in development zones and plan its re-use.

This package holds the command line, a thin door over the core packages ``geo``,
``optimizer`` and ``maps``.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("panhuo")  # one source: pyproject.toml
except PackageNotFoundError:  # pragma: no cover - a source tree that was never installed
    __version__ = "0+unknown"

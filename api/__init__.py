"""panhuo's web service (FastAPI): a thin door over the same core the CLI uses."""

from importlib.metadata import PackageNotFoundError, version

try:
    #: the installed distribution's version (pyproject.toml); the service never imports the CLI package
    __version__ = version("panhuo")
except PackageNotFoundError:  # pragma: no cover - a source tree that was never installed
    __version__ = "0+unknown"

"""Domain errors for the whole panhuo core.

Every error a user can meet is a :class:`PanhuoError`. Subclasses also inherit the matching
builtin (as rasterio's ``RasterioIOError(RasterioError, OSError)`` does), so callers that only
know the builtin still catch them. The CLI prints ``str(error)`` on one line; ``api/errors.py``
maps classes to HTTP status codes in one table.

A message names the file, the column, the parcel or the key at fault and says what would be right.
"""

from __future__ import annotations


class PanhuoError(Exception):
    """Root of every error panhuo raises on purpose."""

    code = "panhuo_error"


class InputError(PanhuoError, ValueError):
    """An input file or value cannot be used as it is."""

    code = "invalid_input"


class UnsupportedFormatError(InputError):
    """A file is not one of the formats panhuo reads, or is not what its extension says."""

    code = "unsupported_format"


class EncodingError(InputError):
    """Text in a file cannot be decoded unambiguously."""

    code = "encoding_error"


class CRSError(InputError):
    """A coordinate reference system is missing, unknown or does not fit the coordinates."""

    code = "crs_error"


class SchemaError(InputError):
    """Required columns are missing, ids are duplicated or missing, or a value has the wrong type."""

    code = "schema_error"


class GeometryError(InputError):
    """Geometries are of the wrong type, empty, or cannot be repaired."""

    code = "geometry_error"


class RasterError(InputError):
    """A raster cannot be read or does not fit the parcels."""

    code = "raster_error"


class ConfigError(PanhuoError, ValueError):
    """A rule preset, scenario or option is invalid (misspelled key, bad value)."""

    code = "invalid_config"


class NotFoundError(PanhuoError, LookupError):
    """A named file, layer, parcel or object does not exist."""

    code = "not_found"


class SolverError(PanhuoError, RuntimeError):
    """A solver failed to run or returned no usable answer."""

    code = "solver_error"


class NoSolutionError(SolverError):
    """A plan has no solution to draw or brief (status ``infeasible`` or ``no_solution``)."""

    code = "no_solution"

"""Coerce attribute columns to the kinds of :mod:`geo.schema`, vectorised, recording what failed.

Accepted spellings (contract.md §2; full-width digits and punctuation are normalised by NFKC first,
surrounding white space is ignored):

* **date** — ISO ``2023-05-01`` (a time part is dropped), ``2023/5/1``, ``2023.5.1``,
  ``2023年5月1日``, ``20230501`` and Excel serial day numbers (1900 date system: day 0 is
  1899-12-30, so 45047 is 2023-05-01), accepted between 18264 (1950-01-01) and 73051 (2100-01-01)
  so that a bare year such as ``2023`` is reported rather than read as 1905-07-15.
* **bool** — 是/否, Y/N, yes/no, true/false, T/F, 1/0 (case ignored).
* **number** — numbers, or text holding one (thousands separators ``,`` and ``，`` removed);
  ``inf``/``nan`` are not numbers here.
* **int** — as number, and it must be whole (``2019.0`` is 2019; ``2019.5`` is not read).
* **enum** — any spelling listed in :attr:`geo.schema.Field.values` or a canonical value (case
  ignored).
* **text** / **code** — text; numbers stored as such become their integer text (``100101.0`` →
  ``"100101"``), empty strings become missing.

Nothing is guessed: a value that does not match becomes missing and is flagged in
:attr:`Coerced.bad`, so the caller can list it with its raw text. Text work runs in Arrow compute
kernels (RE2 regular expressions, utf8proc normalisation), so a million values take well under a
second per column.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from geo.schema import Field

_EXCEL_EPOCH = np.datetime64("1899-12-30", "D")
EXCEL_SERIAL_MIN = 18264  # 1950-01-01
EXCEL_SERIAL_MAX = 73051  # 2100-01-01

_TRUE = ("是", "y", "yes", "true", "t", "1", "1.0", "对")
_FALSE = ("否", "n", "no", "false", "f", "0", "0.0", "错")

#: y-m-d with -, /, . or 年月日 separators, optionally followed by a time of day
_YMD = (
    r"^(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?"
    r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
)
_COMPACT = r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$"
_SERIAL = r"^\d{5}(?:\.\d+)?$"
_NUMBER = r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$"

EXPECTED_ZH = {
    "date": "日期（如 2023-05-01、2023/5/1、2023年5月1日 或 Excel 序号）",
    "bool": "是/否（是/否、Y/N、true/false、1/0）",
    "number": "数值",
    "int": "整数",
    "enum": "取值之一",
    "text": "文本",
    "code": "编码文本",
}


@dataclass(frozen=True)
class Coerced:
    """A coerced column with its bookkeeping.

    ``values`` has the schema's dtype; ``bad`` marks positions whose non-empty raw value could not
    be read; ``converted`` counts values turned from another type (e.g. text) into the kind;
    ``missing`` counts empty values (None, NaN, blank text).
    """

    values: pd.Series
    bad: np.ndarray
    converted: int
    missing: int
    source_dtype: str


def _is_text_dtype(raw: pd.Series) -> bool:
    return raw.dtype == object or pd.api.types.is_string_dtype(raw.dtype)


def _arrow_text(raw: pd.Series) -> pa.Array:
    """Raw values as Arrow text: NFKC-normalised, trimmed, ``null`` for missing or blank."""
    arr = pa.array(raw.astype(pd.StringDtype("pyarrow")).array)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if not pc.all(pc.fill_null(pc.string_is_ascii(arr), True)).as_py():
        arr = pc.utf8_normalize(arr, form="NFKC")
    arr = pc.utf8_trim_whitespace(arr)
    return pc.if_else(pc.equal(arr, ""), pa.scalar(None, arr.type), arr)


def _mask(arr: pa.Array) -> np.ndarray:
    """Boolean Arrow array (nulls as False) → numpy bool."""
    return np.asarray(pc.fill_null(arr, False).to_numpy(zero_copy_only=False), dtype=bool)


def _floats(arr: pa.Array) -> np.ndarray:
    """Text that is known to hold numbers (or null) → float64 with NaN."""
    return np.asarray(pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False), dtype="float64")


def coerce_column(raw: pd.Series, field: Field) -> Coerced:
    """Coerce one column to ``field.kind``; see the module docstring for accepted spellings."""
    raw = raw.reset_index(drop=True)
    kind = field.kind
    if (
        pd.api.types.is_datetime64_any_dtype(raw.dtype)
        or (pd.api.types.is_numeric_dtype(raw.dtype) and not pd.api.types.is_bool_dtype(raw.dtype))
        or pd.api.types.is_bool_dtype(raw.dtype)
    ):
        blank = raw.isna().to_numpy()
        text = None
    else:
        text = _arrow_text(raw)
        blank = ~np.asarray(pc.is_valid(text).to_numpy(zero_copy_only=False), dtype=bool)
    if kind == "date":
        values, ok, converted = _dates(raw, text)
    elif kind == "bool":
        values, ok, converted = _bools(raw, text)
    elif kind in ("number", "int"):
        values, ok, converted = _numbers(raw, text, integer=kind == "int")
    elif kind == "enum":
        values, ok, converted = _enum(raw, text, field.values)
    else:
        values, ok, converted = _text(raw, text)
    bad = ~blank & ~ok
    return Coerced(values, bad, int(converted), int(blank.sum()), str(raw.dtype))


def _text(raw: pd.Series, text: pa.Array | None) -> tuple[pd.Series, np.ndarray, int]:
    n = len(raw)
    if text is not None:
        values = np.asarray(text.to_numpy(zero_copy_only=False), dtype=object)
        converted = 0
    elif pd.api.types.is_float_dtype(raw.dtype):
        arr = raw.to_numpy(dtype="float64", na_value=np.nan)
        finite = np.isfinite(arr)
        whole = finite & (np.mod(np.where(finite, arr, 0.0), 1.0) == 0.0)
        values = np.full(n, None, dtype=object)
        values[whole] = arr[whole].astype(np.int64).astype(str)
        values[finite & ~whole] = arr[finite & ~whole].astype(str)
        converted = int(finite.sum())
    else:
        present = raw.notna().to_numpy()
        values = np.full(n, None, dtype=object)
        values[present] = raw[present].astype(str).to_numpy(dtype=object)
        converted = int(present.sum())
    ok = np.ones(n, dtype=bool)
    return pd.Series(values, dtype=object), ok, converted


def _numbers(raw: pd.Series, text: pa.Array | None, *, integer: bool) -> tuple[pd.Series, np.ndarray, int]:
    if text is None:
        arr = raw.to_numpy(dtype="float64", na_value=np.nan)
        converted = int(np.isfinite(arr).sum()) if pd.api.types.is_bool_dtype(raw.dtype) else 0
    else:
        cleaned = pc.replace_substring_regex(text, r"[,，\s]", "")
        numeric = pc.match_substring_regex(cleaned, _NUMBER)
        arr = _floats(pc.if_else(numeric, cleaned, pa.scalar(None, cleaned.type)))
        converted = int(np.isfinite(arr).sum())
    ok = np.isfinite(arr)
    if integer:
        ok &= np.mod(np.where(ok, arr, 0.0), 1.0) == 0.0
        return pd.Series(np.where(ok, arr, np.nan)).astype("Int64"), ok, converted
    return pd.Series(np.where(ok, arr, np.nan), dtype="float64"), ok, converted


def _bools(raw: pd.Series, text: pa.Array | None) -> tuple[pd.Series, np.ndarray, int]:
    if pd.api.types.is_bool_dtype(raw.dtype):
        return raw.astype("boolean"), raw.notna().to_numpy(), 0
    if text is None:
        arr = raw.to_numpy(dtype="float64", na_value=np.nan)
        is_true, is_false = arr == 1.0, arr == 0.0
    else:
        lowered = pc.utf8_lower(text)
        is_true = _mask(pc.is_in(lowered, value_set=pa.array(_TRUE, lowered.type)))
        is_false = _mask(pc.is_in(lowered, value_set=pa.array(_FALSE, lowered.type)))
    ok = is_true | is_false
    out = pd.array(is_true, dtype="boolean")
    out[~ok] = pd.NA
    return pd.Series(out), ok, int(ok.sum())


def _enum(raw: pd.Series, text: pa.Array | None, values: dict[str, str]) -> tuple[pd.Series, np.ndarray, int]:
    lookup = {k.casefold(): v for k, v in values.items()}
    lookup.update({v.casefold(): v for v in values.values()})
    keys = list(lookup)
    canon = np.asarray([lookup[k] for k in keys] + [None], dtype=object)
    if text is None:
        text = _arrow_text(raw)
    index = pc.index_in(pc.utf8_lower(text), value_set=pa.array(keys, pa.large_string()))
    idx = np.asarray(pc.fill_null(index, len(keys)).to_numpy(zero_copy_only=False), dtype=np.int64)
    out = canon[idx]
    ok = idx < len(keys)
    same = _mask(pc.equal(text, pa.array(out, pa.large_string()).cast(text.type)))
    converted = int((ok & ~same).sum())
    return pd.Series(out, dtype=object), ok, converted


def _dates(raw: pd.Series, text: pa.Array | None) -> tuple[pd.Series, np.ndarray, int]:
    if pd.api.types.is_datetime64_any_dtype(raw.dtype):
        values = raw
        if getattr(raw.dt, "tz", None) is not None:
            values = raw.dt.tz_localize(None)
        out = values.dt.floor("D").astype("datetime64[ns]")
        return out, raw.notna().to_numpy(), 0
    if text is None:  # numbers: Excel serials
        result, ok = _excel_serial(raw.to_numpy(dtype="float64", na_value=np.nan))
        return pd.Series(result, dtype="datetime64[ns]"), ok, int(ok.sum())
    n = len(text)
    ymd = pc.extract_regex(text, _YMD)
    compact = pc.extract_regex(text, _COMPACT)
    parts = []
    for name in ("y", "m", "d"):
        a = pc.if_else(pc.is_valid(ymd), pc.struct_field(ymd, name), pc.struct_field(compact, name))
        parts.append(_floats(pc.if_else(pc.equal(a, ""), pa.scalar(None, a.type), a)))
    result, ok = _assemble(*parts)
    serial_like = _mask(pc.match_substring_regex(text, _SERIAL)) & ~ok
    if serial_like.any():
        serial = _floats(pc.if_else(pa.array(serial_like), text, pa.scalar(None, text.type)))
        s_result, s_ok = _excel_serial(serial)
        take = serial_like & s_ok
        result[take] = s_result[take]
        ok |= take
    assert len(result) == n
    return pd.Series(result, dtype="datetime64[ns]"), ok, int(ok.sum())


def _assemble(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Year, month, day (floats, NaN = none) → datetime64[ns]; impossible dates (2023-02-30) fail."""
    ok = np.isfinite(year) & np.isfinite(month) & np.isfinite(day)
    ok &= (year >= 1678) & (year <= 2261) & (month >= 1) & (month <= 12) & (day >= 1) & (day <= 31)
    y = np.where(ok, year, 2000).astype(np.int64)
    m = np.where(ok, month, 1).astype(np.int64)
    d = np.where(ok, day, 1).astype(np.int64)
    months = (y - 1970) * 12 + (m - 1)
    first = months.astype("datetime64[M]").astype("datetime64[D]")
    date = first + (d - 1).astype("timedelta64[D]")
    ok &= date.astype("datetime64[M]") == months.astype("datetime64[M]")  # day within the month
    result = date.astype("datetime64[ns]")
    result[~ok] = np.datetime64("NaT")
    return result, ok


def _excel_serial(serial: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Excel 1900-system serial day numbers → datetime64[ns] (fractions of a day dropped)."""
    ok = np.isfinite(serial) & (serial >= EXCEL_SERIAL_MIN) & (serial <= EXCEL_SERIAL_MAX)
    days = np.where(ok, np.floor(np.nan_to_num(serial)), 0).astype("int64")
    result = (_EXCEL_EPOCH + days.astype("timedelta64[D]")).astype("datetime64[ns]")
    result[~ok] = np.datetime64("NaT")
    return result, ok

"""Coerce attribute columns to the kinds of :mod:`geo.schema`, vectorised, recording what failed.

Accepted spellings (contract.md §2; full-width digits and punctuation are normalised by NFKC first):

* **date** — ISO ``2023-05-01`` (a time part is dropped), ``2023/5/1``, ``2023.5.1``,
  ``2023年5月1日``, ``20230501`` and Excel serial day numbers (1900 date system: day 0 is
  1899-12-30, so 45047 is 2023-05-01), accepted between 18264 (1950-01-01) and 73051 (2100-01-01)
  so that a bare year such as ``2023`` is reported rather than read as 1905-07-15.
* **bool** — 是/否, Y/N, yes/no, true/false, T/F, 1/0 (case ignored).
* **number** — numbers or text holding one (thousands separators ``,`` and ``，`` removed).
* **int** — as number, and it must be whole (``2019.0`` is 2019; ``2019.5`` is not read).
* **enum** — any spelling listed in :attr:`geo.schema.Field.values` (case ignored).
* **text** / **code** — text; numbers stored as such become their integer text (``100101.0`` →
  ``"100101"``), empty strings become missing.

Nothing is guessed: a value that does not match becomes missing and is listed, with its raw text.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo.schema import Field

_EXCEL_EPOCH = np.datetime64("1899-12-30", "D")
EXCEL_SERIAL_MIN = 18264  # 1950-01-01
EXCEL_SERIAL_MAX = 73051  # 2100-01-01

_TRUE = {"是", "y", "yes", "true", "t", "1", "1.0", "对"}
_FALSE = {"否", "n", "no", "false", "f", "0", "0.0", "错"}

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
    ``missing`` counts empty values (after coercion, not counting ``bad``).
    """

    values: pd.Series
    bad: np.ndarray
    converted: int
    missing: int
    source_dtype: str


def _blank(raw: pd.Series) -> np.ndarray:
    """Positions holding no value: None/NaN/NaT or text that is empty after stripping."""
    isna = raw.isna().to_numpy()
    if raw.dtype == object or pd.api.types.is_string_dtype(raw.dtype):
        text = raw.astype("string").str.strip()
        isna = isna | (text == "").fillna(True).to_numpy(dtype=bool)
    return isna


def _as_text(raw: pd.Series) -> pd.Series:
    """Raw values as normalised text (NFKC, stripped); missing stays <NA>."""
    return raw.astype("string").str.normalize("NFKC").str.strip()


def _is_text_dtype(raw: pd.Series) -> bool:
    return raw.dtype == object or pd.api.types.is_string_dtype(raw.dtype)


def coerce_column(raw: pd.Series, field: Field) -> Coerced:
    """Coerce one column to ``field.kind``; see the module docstring for accepted spellings."""
    raw = raw.reset_index(drop=True)
    blank = _blank(raw)
    kind = field.kind
    if kind == "date":
        values, ok, converted = _dates(raw, blank)
    elif kind == "bool":
        values, ok, converted = _bools(raw, blank)
    elif kind in ("number", "int"):
        values, ok, converted = _numbers(raw, blank, integer=kind == "int")
    elif kind == "enum":
        values, ok, converted = _enum(raw, blank, field.values)
    else:
        values, ok, converted = _text(raw, blank)
    bad = ~blank & ~ok
    missing = int(blank.sum())
    return Coerced(values, bad, int(converted), missing, str(raw.dtype))


def _text(raw: pd.Series, blank: np.ndarray) -> tuple[pd.Series, np.ndarray, int]:
    if pd.api.types.is_float_dtype(raw.dtype):
        arr = raw.to_numpy(dtype="float64", na_value=np.nan)
        finite = np.isfinite(arr)
        whole = finite & (np.mod(np.where(finite, arr, 0.0), 1.0) == 0.0)
        text = np.full(len(arr), None, dtype=object)
        text[whole] = arr[whole].astype(np.int64).astype(str)
        text[finite & ~whole] = arr[finite & ~whole].astype(str)
        values = pd.Series(text, dtype=object)
        converted = int((~blank).sum())
    elif pd.api.types.is_integer_dtype(raw.dtype) or pd.api.types.is_bool_dtype(raw.dtype):
        values = raw.astype("string").astype(object)
        converted = int((~blank).sum())
    elif _is_text_dtype(raw):
        values = raw.astype("string").str.strip().astype(object)
        converted = 0
    else:
        values = raw.astype("string").astype(object)
        converted = int((~blank).sum())
    values = values.where(~blank, None)
    return values, np.ones(len(raw), dtype=bool), converted


def _numbers(raw: pd.Series, blank: np.ndarray, *, integer: bool) -> tuple[pd.Series, np.ndarray, int]:
    if pd.api.types.is_bool_dtype(raw.dtype):
        number = raw.astype("float64")
        converted = int((~blank).sum())
    elif pd.api.types.is_numeric_dtype(raw.dtype):
        number = pd.to_numeric(raw, errors="coerce").astype("float64")
        converted = 0
    else:
        text = _as_text(raw).str.replace(r"[,，\s]", "", regex=True)
        number = pd.to_numeric(text, errors="coerce").astype("float64")
        converted = int((~blank & number.notna().to_numpy()).sum())
    arr = number.to_numpy(dtype="float64", na_value=np.nan)
    ok = np.isfinite(arr)
    if integer:
        ok &= np.mod(np.where(ok, arr, 0.0), 1.0) == 0.0
        out = pd.Series(np.where(ok, arr, np.nan)).astype("Int64")
    else:
        out = pd.Series(np.where(ok, arr, np.nan), dtype="float64")
    return out, ok, converted


def _bools(raw: pd.Series, blank: np.ndarray) -> tuple[pd.Series, np.ndarray, int]:
    if pd.api.types.is_bool_dtype(raw.dtype):
        out = raw.astype("boolean")
        return out, ~blank, 0
    if pd.api.types.is_numeric_dtype(raw.dtype):
        arr = raw.to_numpy(dtype="float64", na_value=np.nan)
        is_true, is_false = arr == 1.0, arr == 0.0
    else:
        text = _as_text(raw).str.casefold()
        is_true = text.isin(_TRUE).fillna(False).to_numpy(dtype=bool)
        is_false = text.isin(_FALSE).fillna(False).to_numpy(dtype=bool)
    out = pd.array(np.where(is_true, True, False), dtype="boolean")
    out[~(is_true | is_false)] = pd.NA
    ok = is_true | is_false
    return pd.Series(out), ok, int(ok.sum())


def _enum(raw: pd.Series, blank: np.ndarray, values: dict[str, str]) -> tuple[pd.Series, np.ndarray, int]:
    lookup = {k.casefold(): v for k, v in values.items()}
    lookup.update({v.casefold(): v for v in values.values()})
    key = _as_text(raw).str.casefold()
    mapped = key.map(lookup, na_action="ignore")
    ok = mapped.notna().to_numpy(dtype=bool)
    text = _as_text(raw)
    converted = int((ok & (mapped.astype("string") != text).fillna(False).to_numpy(dtype=bool)).sum())
    out = mapped.astype(object).where(ok, None)
    return out, ok, converted


def _dates(raw: pd.Series, blank: np.ndarray) -> tuple[pd.Series, np.ndarray, int]:
    n = len(raw)
    if pd.api.types.is_datetime64_any_dtype(raw.dtype):
        values = raw
        if getattr(raw.dt, "tz", None) is not None:
            values = raw.dt.tz_localize(None)
        out = values.dt.floor("D").astype("datetime64[ns]")
        return out, ~blank, 0
    if pd.api.types.is_numeric_dtype(raw.dtype) and not pd.api.types.is_bool_dtype(raw.dtype):
        serial = raw.astype("float64").to_numpy()
        result, ok = _excel_serial(serial)
        return pd.Series(result), ok, int(ok.sum())
    text = _as_text(raw)
    # 2023年5月1日 / 2023/5/1 / 2023.5.1 / 2023-05-01[ 12:00[:00]] → y, m, d
    ymd = text.str.extract(
        r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
    )
    compact = text.str.extract(r"^(\d{4})(\d{2})(\d{2})$")
    ymd = ymd.fillna(compact)
    y, m, d = (
        pd.to_numeric(ymd[i], errors="coerce").to_numpy(dtype="float64", na_value=np.nan) for i in range(3)
    )
    have = np.isfinite(y) & np.isfinite(m) & np.isfinite(d)
    result = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    if have.any():
        parsed = pd.to_datetime(
            pd.DataFrame({"year": y[have], "month": m[have], "day": d[have]}).astype("int64"), errors="coerce"
        )
        result[have] = parsed.to_numpy(dtype="datetime64[ns]")
    ok = ~np.isnat(result)
    # Excel serial numbers stored as text ("45047" or "45047.0")
    serial_text = text.where(~pd.Series(ok)).str.fullmatch(r"\d{5}(?:\.\d+)?").fillna(False)
    serial_mask = serial_text.to_numpy(dtype=bool)
    if serial_mask.any():
        serial = pd.to_numeric(text.where(serial_text), errors="coerce").to_numpy(
            dtype="float64", na_value=np.nan
        )
        s_result, s_ok = _excel_serial(serial)
        take = serial_mask & s_ok
        result[take] = s_result[take]
        ok |= take
    out = pd.Series(result, dtype="datetime64[ns]")
    out[~ok] = pd.NaT
    assert len(out) == n
    return out, ok, int(ok.sum())


def _excel_serial(serial: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Excel 1900-system serial day numbers → datetime64[ns] (fractions of a day dropped)."""
    ok = np.isfinite(serial) & (serial >= EXCEL_SERIAL_MIN) & (serial <= EXCEL_SERIAL_MAX)
    days = np.where(ok, np.floor(np.nan_to_num(serial)), 0).astype("int64")
    result = (_EXCEL_EPOCH + days.astype("timedelta64[D]")).astype("datetime64[ns]")
    result[~ok] = np.datetime64("NaT")
    return result, ok

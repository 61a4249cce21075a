"""Coerce attribute columns to the kinds of :mod:`geo.schema`, vectorised, recording what failed.

Accepted spellings (contract.md §2; full-width digits and punctuation are normalised by NFKC first,
surrounding white space is ignored):

* **date** — ISO ``2023-05-01`` (a time part is dropped), ``2023/5/1``, ``2023年5月1日`` (or
  ``1号``); and, reported as readings, ``2023.5.1``, ``20230501`` and Excel serial day numbers
  (1900 date system: day 0 is 1899-12-30, so 45047 is 2023-05-01), accepted between 18264
  (1950-01-01) and 73051 (2100-01-01) so that a bare year such as ``2023`` is reported rather than
  read as 1905-07-15.
  Month-only dates (``2023-05``, ``2023年5月``, ``202305``), bare years, two-digit years (``23.5.1``)
  and day-first orders (``01/05/2023``, which could be 1 May or 5 January) are *not* read: an
  anniversary needs an exact day, and guessing the 1st of the month would move an idle-land
  deadline. Each is unreadable with a problem that says why. Text in a date column (``待定``,
  ``——``, ``已开工``, ``不详``) is unreadable too, never an empty date: in ``actual_start_date`` an
  empty value means "not started" and an unreadable one means the start is unknown.
* **bool** — 是/否, Y/N, yes/no, true/false, T/F, 1/0 (case ignored), and as ledgers tick them:
  有/无, √/×, ✓/✗ (reported as readings).
* **number** — numbers, or text holding one (thousands separators ``,`` and ``，`` removed);
  ``inf``/``nan`` are not numbers here.
* **int** — as number, and it must be whole (``2019.0`` is 2019; ``2019.5`` is not read).
* **enum** — any spelling listed in :attr:`geo.schema.Field.values` or a canonical value (case
  ignored). ``supply_type`` also reads the sub-types ledgers write (reported as readings): the four
  出让 methods 招标/拍卖/挂牌/协议 (《招标拍卖挂牌出让国有建设用地使用权规定》, 《协议出让国有土地使用权
  规定》) in any form (``挂牌出让``, ``出让（挂牌）``, ``出让(协议)``, ``招拍挂``) are 出让; ``国有划拨``,
  ``行政划拨`` are 划拨; ``出租``, ``租用``, ``年租`` are 租赁; ``未出让``, ``未供应``, ``储备`` are 未供. A
  value naming two kinds (``划拨转出让``) or another one (``作价出资``, ``转让``) is unreadable.
* **text** / **code** — text; numbers stored as such become their integer text (``100101.0`` →
  ``"100101"``), empty strings become missing. Land-use and industry codes are then read under
  their code lists by :mod:`geo.codes` (``C3411`` → ``34``, GB/T 21010 → 用地用海 2023).

Nothing is guessed: a value that does not match becomes missing and is flagged in
:attr:`Coerced.bad` (with the reason in :attr:`Coerced.problems` where one is more specific than
"not a <kind>"), so the caller can list it with its raw text. A value read through one of the
everyday spellings above (not the plain forms of contract §2) is listed in :attr:`Coerced.readings`:
which text, read as what, and why, so that every such reading is reported. Text work runs in Arrow compute
kernels (RE2 regular expressions, utf8proc normalisation), so a million values take well under a
second per column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from geo.schema import Field
from geo.vocab import ALLOCATED, FALSE_TICKS, FALSE_WORDS, LEASED, RENTED, TRUE_TICKS, TRUE_WORDS, UNSUPPLIED

_EXCEL_EPOCH = np.datetime64("1899-12-30", "D")
EXCEL_SERIAL_MIN = 18264  # 1950-01-01
EXCEL_SERIAL_MAX = 73051  # 2100-01-01

#: y-m-d with -, /, . or 年月日 separators, optionally followed by a time of day
_YMD = (
    r"^(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*[日号]?"
    r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
)
_DOTTED = r"^\d{4}\s*\.\s*\d{1,2}\s*\."
_COMPACT = r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$"
_SERIAL = r"^\d{5}(?:\.\d+)?$"
_NUMBER = r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$"

#: why a date text was not read (first match wins); ``{label}`` is the column's Chinese name
_DATE_PROBLEMS = (
    (
        re.compile(r"^\d{4}\s*[-/.年]\s*\d{1,2}\s*月?$|^\d{4}(0[1-9]|1[0-2])$"),
        "只写到月份、没有日，不推定具体日期",
    ),
    (re.compile(r"^\d{4}\s*年?$"), "只有年份，不推定具体日期"),
    (re.compile(r"^\d{2}\s*[-/.]\s*\d{1,2}\s*[-/.]\s*\d{1,2}$"), "年份只有两位，无法确定世纪"),
    (
        re.compile(r"^\d{1,2}\s*[-/.]\s*\d{1,2}\s*[-/.]\s*\d{4}$"),
        "日、月顺序不明（可能是日/月/年或月/日/年）",
    ),
    (re.compile(r"^\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}"), "不是存在的日期（如2月30日）"),
)

EXPECTED_ZH = {
    "date": "日期（如 2023-05-01、2023/5/1、2023年5月1日 或 Excel 序号）",
    "bool": "是/否（是/否、Y/N、true/false、1/0）",
    "number": "数值",
    "int": "整数",
    "enum": "取值之一",
    "text": "文本",
    "code": "编码文本",
    # code columns name their code list
    "land_use": "用地用海分类代码（或 land_use_scheme 所指分类的代码）",
    "planned_use": "用地用海分类代码（或 land_use_scheme 所指分类的代码）",
    "industry_code": "GB/T 4754 行业代码",
}


@dataclass(frozen=True)
class Reading:
    """Values read through an everyday spelling: the text as written, what it was read as, and why.

    ``positions`` are the 0-based rows holding exactly this text.
    """

    raw: str
    read_as: str
    note: str
    positions: tuple[int, ...]


@dataclass(frozen=True)
class Coerced:
    """A coerced column with its bookkeeping.

    ``values`` has the schema's dtype; ``bad`` marks positions whose non-empty raw value could not
    be read; ``converted`` counts values turned from another type (e.g. text) into the kind;
    ``missing`` counts empty values (None, NaN, blank text); ``problems`` holds, for bad positions
    with a specific reason, that reason (``None`` elsewhere); ``readings`` lists the values read
    through an everyday spelling.
    """

    values: pd.Series
    bad: np.ndarray
    converted: int
    missing: int
    source_dtype: str
    problems: np.ndarray | None = None
    readings: tuple[Reading, ...] = field(default=())


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


def only_at(mask: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Return an object array holding ``values`` where ``mask`` is set and ``None`` elsewhere."""
    out = np.full(len(mask), None, dtype=object)
    out[mask] = np.asarray(values, dtype=object)[mask]
    return out


def raw_text(raw: pd.Series) -> np.ndarray:
    """Return the raw values as the user wrote them (``str``; ``None`` where missing), for reports."""
    values = raw.reset_index(drop=True)
    out = np.full(len(values), None, dtype=object)
    present = values.notna().to_numpy()
    if pd.api.types.is_float_dtype(values.dtype):
        arr = values.to_numpy(dtype="float64", na_value=np.nan)
        whole = present & (np.mod(np.where(present, arr, 0.0), 1.0) == 0.0)
        out[whole] = arr[whole].astype(np.int64).astype(str)
        out[present & ~whole] = arr[present & ~whole].astype(str)
    else:
        out[present] = values[present].astype(str).to_numpy(dtype=object)
    return out


def group_readings(raw: np.ndarray, read_as: np.ndarray, mask: np.ndarray, note: str) -> tuple[Reading, ...]:
    """Group the rows in ``mask`` by (raw text, reading) into :class:`Reading` records."""
    rows = np.flatnonzero(mask)
    if not rows.size:
        return ()
    pairs = list(zip(raw[rows].astype(str).tolist(), read_as[rows].astype(str).tolist(), strict=True))
    codes, uniques = pd.factorize(pd.Series(pairs, dtype=object), sort=True)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(uniques) + 1))
    return tuple(
        Reading(text, value, note, tuple(int(r) for r in rows[order[bounds[k] : bounds[k + 1]]]))
        for k, (text, value) in enumerate(uniques)
    )


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
    problems: np.ndarray | None = None
    readings: tuple[Reading, ...] = ()
    if kind == "date":
        values, ok, converted, problems, readings = _dates(raw, text, field)
    elif kind == "bool":
        values, ok, converted, readings = _bools(raw, text)
    elif kind in ("number", "int"):
        values, ok, converted = _numbers(raw, text, integer=kind == "int")
    elif kind == "enum":
        values, ok, converted = _enum(raw, text, field.values)
        if field.name == "supply_type" and text is not None:
            values, ok, problems, readings = _supply_subtypes(raw, text, values, ok | blank)
    else:
        values, ok, converted = _text(raw, text)
    bad = ~blank & ~ok
    if problems is not None:
        problems = only_at(bad, problems)
    return Coerced(values, bad, int(converted), int(blank.sum()), str(raw.dtype), problems, readings)


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


def _bools(raw: pd.Series, text: pa.Array | None) -> tuple[pd.Series, np.ndarray, int, tuple[Reading, ...]]:
    if pd.api.types.is_bool_dtype(raw.dtype):
        return raw.astype("boolean"), raw.notna().to_numpy(), 0, ()
    readings: tuple[Reading, ...] = ()
    if text is None:
        arr = raw.to_numpy(dtype="float64", na_value=np.nan)
        is_true, is_false = arr == 1.0, arr == 0.0
    else:
        lowered = pc.utf8_lower(text)
        is_true = _mask(pc.is_in(lowered, value_set=pa.array(TRUE_WORDS, lowered.type)))
        is_false = _mask(pc.is_in(lowered, value_set=pa.array(FALSE_WORDS, lowered.type)))
        tick_true = _mask(pc.is_in(text, value_set=pa.array(TRUE_TICKS, text.type)))
        tick_false = _mask(pc.is_in(text, value_set=pa.array(FALSE_TICKS, text.type)))
        if tick_true.any() or tick_false.any():
            shown = raw_text(raw)
            read_as = np.where(tick_true, "是", "否").astype(object)
            readings = group_readings(shown, read_as, tick_true | tick_false, "台账勾选写法，按是/否读取")
            is_true, is_false = is_true | tick_true, is_false | tick_false
    ok = is_true | is_false
    out = pd.array(is_true, dtype="boolean")
    out[~ok] = pd.NA
    return pd.Series(out), ok, int(ok.sum()), readings


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


#: supply sub-types as ledgers write them → the kind of contract §2 (first the words that exclude a
#: supply, then each kind); brackets, spaces and 方式/用地 are removed before matching
_SUPPLY_KINDS = (
    (UNSUPPLIED, re.compile(r"未(供|出让|划拨|出租|租赁)|待供|储备|尚未供")),
    (ALLOCATED, re.compile(r"划拨")),
    (LEASED, re.compile(r"出让|^(招标|拍卖|挂牌|协议|招拍挂)$")),
    (RENTED, re.compile(r"租赁|出租|租用|年租")),
)
_SUPPLY_NOISE = re.compile(
    r"[\s()（）\[\]【】<>《》“”\"'、/,，:：-]|方式|国有建设用地使用权|国有土地使用权|用地"
)
_SUPPLY_NOTES = {
    LEASED: "供地方式子类（招标、拍卖、挂牌、协议均为出让方式），按“出让”读取",
    ALLOCATED: "供地方式子类（国有划拨、行政划拨），按“划拨”读取",
    RENTED: "供地方式子类（出租、租用、年租），按“租赁”读取",
    UNSUPPLIED: "写法表示尚未供地，按“未供”读取",
}


def supply_kind(text: str) -> tuple[str | None, str]:
    """Read one supply sub-type: ``(kind, "")``, or ``(None, why)`` when it names none or several."""
    cleaned = _SUPPLY_NOISE.sub("", text)
    if not cleaned:
        return None, "不是供地方式"
    hits = [kind for kind, pattern in _SUPPLY_KINDS if pattern.search(cleaned)]
    if hits and hits[0] == UNSUPPLIED:
        return UNSUPPLIED, ""
    if len(hits) == 1:
        return hits[0], ""
    if len(hits) > 1:
        return None, f"同时写了{'和'.join(hits)}，无法确定供地方式"
    return None, "不是划拨、出让、租赁或未供中的一种（如作价出资、转让须人工认定）"


def _supply_subtypes(
    raw: pd.Series, text: pa.Array, values: pd.Series, ok: np.ndarray
) -> tuple[pd.Series, np.ndarray, np.ndarray, tuple[Reading, ...]]:
    """Read the rows the plain spellings did not, as supply sub-types (decided per distinct text)."""
    rest = ~ok
    problems = np.full(len(raw), None, dtype=object)
    if not rest.any():
        return values, ok, problems, ()
    texts = np.asarray(text.to_numpy(zero_copy_only=False), dtype=object)
    codes, uniques = pd.factorize(pd.Series(texts[rest], dtype=object))
    decided = [supply_kind(str(u)) for u in uniques]
    kinds = np.array([k for k, _ in decided] + [None], dtype=object)[codes]
    whys = np.array([w for _, w in decided] + [None], dtype=object)[codes]
    out = values.to_numpy(dtype=object).copy()
    rows = np.flatnonzero(rest)
    read = kinds != None  # noqa: E711 (element-wise)
    out[rows[read]] = kinds[read]
    problems[rows[~read]] = whys[~read]
    new_ok = ok.copy()
    new_ok[rows[read]] = True
    mask = np.zeros(len(raw), dtype=bool)
    mask[rows[read]] = True
    shown = raw_text(raw)
    readings: list[Reading] = []
    for kind, note in _SUPPLY_NOTES.items():
        readings += group_readings(shown, out, mask & (out == kind), note)
    return pd.Series(out, dtype=object), new_ok, problems, tuple(readings)


_DATE_NOTES = {
    "dotted": "点分日期（年.月.日），按年-月-日读取",
    "compact": "八位数字日期（年月日），按年-月-日读取",
    "serial": "Excel 日期序号（1900 日期系统），换算为日期",
}


def _dates(
    raw: pd.Series, text: pa.Array | None, field: Field
) -> tuple[pd.Series, np.ndarray, int, np.ndarray | None, tuple[Reading, ...]]:
    if pd.api.types.is_datetime64_any_dtype(raw.dtype):
        values = raw
        if getattr(raw.dt, "tz", None) is not None:
            values = raw.dt.tz_localize(None)
        out = values.dt.floor("D").astype("datetime64[ns]")
        return out, raw.notna().to_numpy(), 0, None, ()
    if text is None:  # numbers: Excel serials
        result, ok = _excel_serial(raw.to_numpy(dtype="float64", na_value=np.nan))
        readings = _date_readings(raw, result, {"serial": ok})
        problems = np.full(len(raw), "数值不在 Excel 日期序号范围内（1950—2100 年）", dtype=object)
        return pd.Series(result, dtype="datetime64[ns]"), ok, int(ok.sum()), problems, readings
    n = len(text)
    ymd = pc.extract_regex(text, _YMD)
    compact = pc.extract_regex(text, _COMPACT)
    parts = []
    for name in ("y", "m", "d"):
        a = pc.if_else(pc.is_valid(ymd), pc.struct_field(ymd, name), pc.struct_field(compact, name))
        parts.append(_floats(pc.if_else(pc.equal(a, ""), pa.scalar(None, a.type), a)))
    result, ok = _assemble(*parts)
    dotted = ok & _mask(pc.match_substring_regex(text, _DOTTED))
    is_compact = ok & ~_mask(pc.is_valid(ymd)) & _mask(pc.is_valid(compact))
    serial_like = _mask(pc.match_substring_regex(text, _SERIAL)) & ~ok
    take = np.zeros(n, dtype=bool)
    if serial_like.any():
        serial = _floats(pc.if_else(pa.array(serial_like), text, pa.scalar(None, text.type)))
        s_result, s_ok = _excel_serial(serial)
        take = serial_like & s_ok
        result[take] = s_result[take]
        ok |= take
    assert len(result) == n
    readings = _date_readings(raw, result, {"dotted": dotted, "compact": is_compact, "serial": take})
    problems = _date_problems(text, ok, field)
    return pd.Series(result, dtype="datetime64[ns]"), ok, int(ok.sum()), problems, readings


def _date_readings(raw: pd.Series, result: np.ndarray, kinds: dict[str, np.ndarray]) -> tuple[Reading, ...]:
    if not any(mask.any() for mask in kinds.values()):
        return ()
    shown = raw_text(raw)
    read_as = np.full(len(result), None, dtype=object)
    used = np.logical_or.reduce(list(kinds.values()))
    read_as[used] = np.datetime_as_string(result[used].astype("datetime64[D]"))
    out: list[Reading] = []
    for kind, mask in kinds.items():
        out += group_readings(shown, read_as, mask, _DATE_NOTES[kind])
    return tuple(out)


def _date_problems(text: pa.Array, ok: np.ndarray, field: Field) -> np.ndarray:
    """Why each unread date text was not read (decided once per distinct text)."""
    problems = np.full(len(ok), None, dtype=object)
    texts = np.asarray(text.to_numpy(zero_copy_only=False), dtype=object)
    rest = ~ok & pd.notna(texts)
    if not rest.any():
        return problems
    codes, uniques = pd.factorize(pd.Series(texts[rest], dtype=object))
    table = np.array([_date_problem(str(u), field) for u in uniques], dtype=object)
    problems[np.flatnonzero(rest)] = table[codes]
    return problems


def _date_problem(text: str, field: Field) -> str:
    for pattern, why in _DATE_PROBLEMS:
        if pattern.search(text):
            return why
    if field.name == "actual_start_date":
        if re.search(r"已(开工|动工|施工|建|开发)|在建", text):
            return "写明已动工但没有日期：动工日期未知（不按未动工处理）"
        return "不是日期：动工情况未知（不按未动工处理，未动工应留空）"
    return "不是日期（文字或符号），按无法读取处理，不作为空日期"


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

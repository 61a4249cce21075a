"""Code lists: land-use codes (用地用海 2023, GB/T 21010-2017/-2007, 三调) and GB/T 4754 industry codes.

The tables are data files beside this module, each row with the tag of how far it was checked and
the source it comes from (``sources.yaml``); they are read once:

* ``landuse_2023.csv`` — the codes of 《国土空间调查、规划、用途管制用地用海分类指南》(2023);
* ``landuse_older.csv`` — GB/T 21010-2017, the 三调 working classes and GB/T 21010-2007, each with
  its 2023 counterpart and how it maps (``exact``; ``broader``: split among 2023 classes, translated
  to the finest 2023 class holding all of them; ``none``: no 2023 class holds it);
* ``industry.csv`` — the divisions (大类) of GB/T 4754-2017, -2011 and -2002 and the 2017
  division(s) each went to.

:func:`read_land_use` and :func:`read_industry` take the scheme names of the column mapping file
(contract §2.1: ``land_use_scheme``, ``industry_scheme``; ``auto`` by default) and return the codes
in the form the rules use — the 2023 code, the two-digit GB/T 4754-2017 division — with every value
they translated listed as a :class:`~geo.coerce.Reading` and every value they could not read (an
unknown code, a code whose scheme ``auto`` cannot decide, a class with no one-to-one counterpart)
flagged with its reason. Nothing is read under a list it may not belong to.

**How ``auto`` decides the land-use list.** A code is a candidate of every list it is valid in
(6-digit codes and 05H1-style codes belong to one list only; 0601 is 工业用地 in GB/T 21010-2017 and
三调 but 农村道路 in 2023). The column's list is the one all its codes share; when several remain,
a code is read only where every remaining list gives it the same 2023 code (0701 城镇住宅用地 is
0701 in all of them) and is otherwise reported as ambiguous, naming each reading, so that the user
sets ``land_use_scheme``. A column whose codes share no list is read code by code the same way.

**Industry codes.** ``C34``, ``34``, ``341``, ``3411`` and ``C3411`` are cut to the division ``34``
(a section letter must be the division's own); ``auto`` reads them under GB/T 4754-2017, the edition
in force — the digits cannot tell editions apart, so a bureau whose ledger uses 2002 codes must say
``industry_scheme: gbt4754-2002``. Another edition's division is translated where all its classes
went to one 2017 division and reported where they did not (2002 ``37`` 交通运输设备 → 36 汽车 and 37).

:func:`control_bounds` looks a 2017 division up in a table written with another edition's codes
(the 2008 control indicators use GB/T 4754-2002): the table's values of every division the 2017
division came from, as a (low, high) pair; equal when the lookup is determinate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from geo.coerce import Reading, group_readings, only_at, raw_text
from geo.errors import ConfigError

__all__ = [
    "INDUSTRY_SCHEMES",
    "LAND_USE_SCHEMES",
    "CodeResult",
    "control_bounds",
    "industry_names",
    "land_use_names",
    "read_industry",
    "read_land_use",
    "sources",
]

HERE = Path(__file__).parent
LAND_USE_SCHEMES: tuple[str, ...] = ("auto", "2023", "gbt21010-2017", "gbt21010-2007", "sandiao")
INDUSTRY_SCHEMES: tuple[str, ...] = ("auto", "gbt4754-2017", "gbt4754-2011", "gbt4754-2002")
SCHEME_LABELS_ZH: dict[str, str] = {
    "2023": "用地用海分类(2023)",
    "gbt21010-2017": "GB/T 21010-2017",
    "gbt21010-2007": "GB/T 21010-2007",
    "sandiao": "三调工作分类",
    "gbt4754-2017": "GB/T 4754-2017",
    "gbt4754-2011": "GB/T 4754-2011",
    "gbt4754-2002": "GB/T 4754-2002",
}
#: 2023 first-level classes whose sub-codes the table does not list (sea use): any longer code under them
_OPEN_2023 = ("18", "19", "20", "21", "22", "24")
_LAND_ORDER = ("2023", "gbt21010-2017", "sandiao", "gbt21010-2007")


@dataclass(frozen=True)
class CodeResult:
    """Codes read under a list: values for the rules, what was translated, and what could not be read.

    ``scheme`` is the list used (for ``auto``: the one decided, or ``mixed``/``ambiguous``), ``how``
    says in Chinese how it was decided; ``problems`` holds the reason at each position of ``bad``.
    """

    values: pd.Series
    bad: np.ndarray
    problems: np.ndarray
    readings: tuple[Reading, ...]
    scheme: str
    how: str


def _read_csv(name: str) -> pd.DataFrame:
    return pd.read_csv(HERE / name, comment="#", dtype=str, keep_default_na=False, encoding="utf-8")


@lru_cache(maxsize=1)
def sources() -> dict[str, str]:
    """Source citations of the tables, by key (``sources.yaml``)."""
    data = yaml.safe_load((HERE / "sources.yaml").read_text(encoding="utf-8"))
    return {str(k): str(v) for k, v in data.items()}


@lru_cache(maxsize=1)
def _land_tables() -> tuple[dict[str, str], dict[str, dict[str, tuple[str, str, str, str]]]]:
    """2023 code → name; scheme → code → (name, code_2023, match, note)."""
    new = _read_csv("landuse_2023.csv")
    names_2023 = dict(zip(new["code"], new["name"], strict=True))
    older = _read_csv("landuse_older.csv")
    tables: dict[str, dict[str, tuple[str, str, str, str]]] = {}
    for row in older.to_dict("records"):
        item = (str(row["name"]), str(row["code_2023"]), str(row["match"]), str(row["note"]))
        tables.setdefault(str(row["scheme"]), {})[str(row["code"])] = item
    return names_2023, tables


def land_use_names(scheme: str = "2023") -> dict[str, str]:
    """Code → class name of one land-use list."""
    names_2023, tables = _land_tables()
    if scheme == "2023":
        return dict(names_2023)
    return {code: item[0] for code, item in tables[scheme].items()}


def _valid_2023(code: str) -> bool:
    names, _ = _land_tables()
    if code in names:
        return True
    return code.isdigit() and len(code) in (4, 6) and code[:2] in _OPEN_2023


def check_scheme(name: str, allowed: tuple[str, ...], key: str) -> None:
    """Refuse a scheme name that is not one of ``allowed`` (ConfigError naming the key)."""
    if name not in allowed:
        raise ConfigError(f"{key}: 未知的分类 {name!r} (unknown scheme); 可用 allowed: {', '.join(allowed)}")


def _land_reading(code: str, scheme: str) -> tuple[str | None, str, str]:
    """One code under one list: (2023 code or None, reading note, problem)."""
    names, tables = _land_tables()
    if scheme == "2023":
        if _valid_2023(code):
            return code, "", ""
        return None, "", "不是用地用海分类(2023)代码"
    label = SCHEME_LABELS_ZH[scheme]
    item = tables[scheme].get(code)
    if item is None:
        return None, "", f"不是{label}代码"
    name, target, match, note = item
    if match == "none":
        return (
            None,
            "",
            f"{label} {code} {name}在用地用海分类(2023)中没有唯一对应的类" + (f"（{note}）" if note else ""),
        )
    target_name = names.get(target, "")
    how = "对应" if match == "exact" else "分属多个类，译为上位类"
    return (
        target,
        f"{label} {code} {name} → 用地用海(2023) {target} {target_name}（{how}"
        + (f"：{note}" if note and match != "exact" else "")
        + "）",
        "",
    )


def _spread(
    per_code: list[tuple[str | None, str, str]], index: np.ndarray, present: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-distinct-code readings → per-row values, notes, unreadable mask and problems."""
    value_u = np.array([r[0] for r in per_code] + [None], dtype=object)
    note_u = np.array([r[1] for r in per_code] + [""], dtype=object)
    problem_u = np.array([r[2] for r in per_code] + [None], dtype=object)
    pos = np.where(index >= 0, index, len(per_code))
    values = value_u[pos]
    bad = present & pd.isna(values)
    return values, note_u[pos], bad, only_at(bad, problem_u[pos])


def _normalise_land(code: str) -> str:
    return re.sub(r"\s+", "", code).upper()


def _valid_in(code: str, scheme: str) -> bool:
    if scheme == "2023":
        return _valid_2023(code)
    _, tables = _land_tables()
    return code in tables[scheme]


def read_land_use(
    codes: pd.Series, scheme: str = "auto", *, column: str = "land_use", context: pd.Series | None = None
) -> CodeResult:
    """Read a land-use column (``land_use`` / ``planned_use``) as 用地用海 2023 codes.

    Parameters
    ----------
    codes
        The column as text (``None`` where empty), as :func:`geo.coerce.coerce_column` gives it.
    scheme
        ``auto``, ``2023``, ``gbt21010-2017``, ``gbt21010-2007`` or ``sandiao``.
    column
        The canonical column, named in the messages.
    context
        Codes of the layer's other land-use column (``planned_use`` for ``land_use`` and the reverse):
        under ``auto`` the list is decided on both, since one file uses one list.

    """
    check_scheme(scheme, LAND_USE_SCHEMES, "land_use_scheme")
    series = pd.Series(codes, dtype=object).reset_index(drop=True)
    present = series.notna().to_numpy()
    index, uniques = pd.factorize(series)
    normal = [_normalise_land(str(u)) for u in uniques]
    if scheme == "auto":
        others = [] if context is None else [_normalise_land(str(c)) for c in pd.unique(context.dropna())]
        decided, how, per_code = _auto_land(normal, column, others)
    else:
        decided = scheme
        how = f"{column} 按 {SCHEME_LABELS_ZH[scheme]} 读取（land_use_scheme: {scheme}）"
        per_code = [_land_reading(code, scheme) for code in normal]
    values, notes, bad, problems = _spread(per_code, index, present)
    shown = raw_text(codes)
    readings: list[Reading] = []
    changed = values != series.map(lambda v: v if v is None else _normalise_land(str(v))).to_numpy(
        dtype=object
    )
    translated = present & ~bad & (notes != "") & changed
    for note in sorted({str(x) for x in notes[translated]}):
        readings += group_readings(shown, values, translated & (notes == note), note)
    normalised = present & ~bad & ~translated & (values != series.to_numpy(dtype=object))
    readings += group_readings(shown, values, normalised, "去除空格、字母改为大写")
    return CodeResult(pd.Series(values, dtype=object), bad, problems, tuple(readings), decided, how)


def _auto_land(
    codes: list[str], column: str, context: list[str]
) -> tuple[str, str, list[tuple[str | None, str, str]]]:
    """Decide the list of a column under ``auto`` (see the module docstring); readings per code."""
    candidates = [{s for s in _LAND_ORDER if _valid_in(code, s)} for code in codes]
    evidence = [{s for s in _LAND_ORDER if _valid_in(code, s)} for code in context]
    valid = [c for c in candidates + evidence if c]
    common = set.intersection(*valid) if valid else set()
    if len(common) == 1:
        chosen = common.pop()
        everything = codes + context
        witness = next((everything[i] for i, c in enumerate(candidates + evidence) if c == {chosen}), None)
        how = f"{column} 按 {SCHEME_LABELS_ZH[chosen]} 读取（land_use_scheme: auto" + (
            f"，由只属于该分类的代码 {witness} 判定）" if witness else "）"
        )
        return chosen, how, [_land_reading(code, chosen) for code in codes]
    out: list[tuple[str | None, str, str]] = []
    ambiguous = False
    for code, cands in zip(codes, candidates, strict=True):
        pool = [s for s in _LAND_ORDER if s in (common or cands)]
        if not pool:
            out.append((None, "", "不是任何已知分类（用地用海2023、GB/T 21010-2017/2007、三调）的代码"))
            continue
        readings = {s: _land_reading(code, s) for s in pool}
        targets = {r[0] for r in readings.values()}
        if len(targets) == 1:
            first = readings[pool[0]]
            out.append(first if first[0] is not None else (None, "", first[2]))
            continue
        ambiguous = True
        names_2023, tables = _land_tables()
        shown = []
        for s in pool:
            name = names_2023.get(code, "") if s == "2023" else tables[s][code][0]
            target = readings[s][0]
            shown.append(
                f"{SCHEME_LABELS_ZH[s]}为{name}" + ("" if s == "2023" else f"（→{target or '无对应'}）")
            )
        out.append(
            (
                None,
                "",
                f"代码 {code} 所属分类无法判定：{'；'.join(shown)}；请在列映射文件中设 land_use_scheme",
            )
        )
    if common:
        label = "、".join(SCHEME_LABELS_ZH[s] for s in _LAND_ORDER if s in common)
        how = f"{column} 的代码同属 {label}（land_use_scheme: auto），" + (
            "含义不同的代码列为无法读取" if ambiguous else "各分类读法一致"
        )
        return ("ambiguous" if ambiguous else "auto"), how, out
    return (
        "mixed",
        f"{column} 混用了多种分类的代码（land_use_scheme: auto），逐个代码判定",
        out,
    )


# ------------------------------------------------------------------------------------------- industry

#: sections (门类) of each edition: letter → (first, last) division
_SECTIONS_2011 = dict(
    A=(1, 5), B=(6, 12), C=(13, 43), D=(44, 46), E=(47, 50), F=(51, 52), G=(53, 60), H=(61, 62),
    I=(63, 65), J=(66, 69), K=(70, 70), L=(71, 72), M=(73, 75), N=(76, 78), O=(79, 81), P=(82, 82),
    Q=(83, 84), R=(85, 89), S=(90, 95), T=(96, 96),
)  # fmt: skip
_SECTIONS = {
    "gbt4754-2017": {
        **_SECTIONS_2011,
        "N": (76, 79), "O": (80, 82), "P": (83, 83), "Q": (84, 85),
        "R": (86, 90), "S": (91, 96), "T": (97, 97),
    },
    "gbt4754-2011": _SECTIONS_2011,
    "gbt4754-2002": dict(
        A=(1, 5), B=(6, 11), C=(13, 43), D=(44, 46), E=(47, 50), F=(51, 59), G=(60, 62), H=(63, 65),
        I=(66, 67), J=(68, 71), K=(72, 72), L=(73, 74), M=(75, 78), N=(79, 81), O=(82, 83), P=(84, 84),
        Q=(85, 87), R=(88, 92), S=(93, 97), T=(98, 98),
    ),
}  # fmt: skip
_INDUSTRY = re.compile(r"^(?P<letter>[A-T])?(?P<div>\d{2})(?P<rest>\d{0,2})$")


@lru_cache(maxsize=1)
def _industry_table() -> dict[str, dict[str, tuple[str, tuple[str, ...], str]]]:
    """Edition → division → (name, 2017 divisions, the 2017 division of its main body or "")."""
    table: dict[str, dict[str, tuple[str, tuple[str, ...], str]]] = {}
    for row in _read_csv("industry.csv").to_dict("records"):
        item = (str(row["name"]), tuple(str(row["code_2017"]).split("|")), str(row["main"]))
        table.setdefault(str(row["edition"]), {})[str(row["code"])] = item
    return table


def industry_names(edition: str = "gbt4754-2017") -> dict[str, str]:
    """Division → title in one edition (only the divisions tabulated for it)."""
    return {code: item[0] for code, item in _industry_table()[edition].items()}


def _industry_reading(text: str, edition: str) -> tuple[str | None, str, str]:
    """One industry code → (2017 division or None, reading note, problem)."""
    label = SCHEME_LABELS_ZH[edition]
    cleaned = re.sub(r"[\s.\-]", "", text).upper()
    if re.fullmatch(r"[A-T]", cleaned):
        return None, "", f"只有门类字母 {cleaned}，没有两位大类代码"
    match = _INDUSTRY.match(cleaned)
    if match is None:
        return None, "", "不是 GB/T 4754 行业代码（应为两位大类代码，如 34、C34、3411、C3411）"
    division, letter = match["div"], match["letter"]
    if letter:
        low, high = _SECTIONS[edition][letter]
        if not low <= int(division) <= high:
            return None, "", f"门类字母 {letter} 与大类 {division} 不符（{label}）"
    table = _industry_table()[edition]
    item = table.get(division)
    if item is None:
        missing = "未列入换算表" if edition == "gbt4754-2002" else "不是该版的大类代码"
        return None, "", f"{label} 大类 {division} {missing}"
    name, targets, _ = item
    if len(targets) > 1:
        return (
            None,
            "",
            (
                f"{label} 大类 {division} {name}在 GB/T 4754-2017 中分属 {'、'.join(targets)} 大类，"
                "无法一对一换算"
            ),
        )
    target = targets[0]
    notes = []
    if cleaned != division:
        notes.append(f"{text} 取两位大类代码 {division}")
    if edition != "gbt4754-2017":
        notes.append(f"{label} {division} {name} → GB/T 4754-2017 {target} {industry_names()[target]}")
    return target, "；".join(notes), ""


def read_industry(codes: pd.Series, scheme: str = "auto") -> CodeResult:
    """Read an ``industry_code`` column as two-digit GB/T 4754-2017 divisions (see the module docstring)."""
    check_scheme(scheme, INDUSTRY_SCHEMES, "industry_scheme")
    edition = "gbt4754-2017" if scheme == "auto" else scheme
    how = f"industry_code 按 {SCHEME_LABELS_ZH[edition]} 读取（industry_scheme: {scheme}" + (
        "，现行版本；代码本身不能区分版本）" if scheme == "auto" else "）"
    )
    series = pd.Series(codes, dtype=object).reset_index(drop=True)
    present = series.notna().to_numpy()
    index, uniques = pd.factorize(series)
    per_code = [_industry_reading(str(u), edition) for u in uniques]
    values, notes, bad, problems = _spread(per_code, index, present)
    shown = raw_text(codes)
    readings: list[Reading] = []
    noted = present & ~bad & (notes != "")
    for note in sorted({str(x) for x in notes[noted]}):
        readings += group_readings(shown, values, noted & (notes == note), note)
    return CodeResult(pd.Series(values, dtype=object), bad, problems, tuple(readings), edition, how)


@lru_cache(maxsize=8)
def _sources_of(edition: str) -> dict[str, tuple[str, ...]]:
    """2017 division → the divisions of ``edition`` it came from.

    Those whose main body it took when there are any (2017 34 通用设备 ← 2002 35 通用设备, not the
    文化办公用机械 classes of 2002 41), else every division that gave it classes (2017 29 橡胶和塑料
    ← 2002 29 橡胶 and 30 塑料, a merger; 2017 37 ← 2002 37 交通运输设备, split evenly).
    """
    if edition == "gbt4754-2017":
        return {code: (code,) for code in _industry_table()["gbt4754-2017"]}
    every: dict[str, list[str]] = {}
    main: dict[str, list[str]] = {}
    for code, (_, targets, body) in _industry_table()[edition].items():
        for target in targets:
            every.setdefault(target, []).append(code)
        if body:
            main.setdefault(body, []).append(code)
    return {k: tuple(sorted(main.get(k) or v)) for k, v in every.items()}


def control_bounds(
    divisions: pd.Series, table: dict[str, float], edition: str
) -> tuple[np.ndarray, np.ndarray, pd.Series]:
    """Look 2017 divisions up in a table keyed by ``edition``'s divisions.

    Returns ``(low, high, sources)``: the smallest and largest table value over the divisions of
    ``edition`` the 2017 division came from (see :func:`_sources_of`; NaN where one of them is not in
    the table), and those source divisions joined by ``/`` (for the messages). ``low == high`` where
    the lookup is determinate; otherwise a value below ``low`` fails every reading and one at or
    above ``high`` passes every reading, and only in between is the answer open.
    """
    check_scheme(edition, INDUSTRY_SCHEMES[1:], "table_industry_scheme")
    back = _sources_of(edition)
    series = pd.Series(divisions, dtype=object).reset_index(drop=True)
    index, uniques = pd.factorize(series)
    lows, highs, srcs = [], [], []
    for code in uniques:
        origin = back.get(str(code), ())
        values = [table[c] for c in origin if c in table]
        complete = bool(origin) and len(values) == len(origin)
        lows.append(min(values) if complete else np.nan)
        highs.append(max(values) if complete else np.nan)
        srcs.append("/".join(origin))
    low_u = np.array([*lows, np.nan], dtype="float64")
    high_u = np.array([*highs, np.nan], dtype="float64")
    src_u = np.array([*srcs, ""], dtype=object)
    pos = np.where(index >= 0, index, len(uniques))
    return low_u[pos], high_u[pos], pd.Series(src_u[pos], dtype=object)

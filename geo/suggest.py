"""Suggest the canonical column each unmatched column most likely is (contract §2.1), with the reason.

Evidence, strongest first:

1. **Pinyin initials** of a common 地籍/供地 field name (``YDXZ`` = 用地性质, ``GDFS`` = 供地方式,
   ``DKBH`` = 地块编号): a small curated table, :data:`PINYIN_INITIALS`, from the field names of
   供地台账, 宗地/地籍 databases and 开发区监测 tables. The word is then read as a Chinese name (2.).
2. **The name**, made comparable first: NFKC, case folded, units and brackets dropped
   (``投资总额（万元）`` → ``投资总额``), the ledger synonyms of :data:`SYNONYMS` written one way
   (开工 → 动工, 时间 → 日期, 纳税 → 税收…) and a trailing 日期/日/时 dropped — so ``约定开工时``
   (cut at 10 bytes in a DBF) reads as ``约定动工日期``. It is compared with every canonical name,
   alias and the everyday ledger names of :data:`LEDGER_NAMES`: equal (1.0), one a cut-off start of
   the other (0.9), one inside the other (0.7), or sharing most characters (Jaccard ≥ 0.5).
3. **The values**, read by :mod:`geo.coerce` as each kind would be: company names (…有限公司, …厂)
   are ``enterprise``; supply types ``supply_type``; 是/否 a boolean; text codes an industry or a
   land-use code; dates are placed by their distance from the supply date (a start within ~1.5
   years, a completion within ~6, a lease end decades later; a column with empty values among
   dates after the supply is the actual start).

Each canonical column is proposed once (greedily, strongest evidence first) and never one the file
already has. A column with no evidence is listed with ``canonical=None`` and says so.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from geo.ingest_report import Suggestion
from geo.schema import FIELDS_BY_NAME, PARCEL_FIELDS

#: pinyin initials of field names common in 供地台账, 宗地/地籍 databases and 开发区监测 tables
PINYIN_INITIALS: dict[str, str] = {
    "DKBH": "地块编号",
    "TBBH": "图斑编号",
    "DLMC": "地类名称",
    "QSDWMC": "权属单位名称",
    "ZLDWMC": "坐落单位名称",
    "TBMJ": "图斑面积",
    "ZDMJ": "宗地面积",
    "ZDBH": "宗地编号",
    "ZDDM": "宗地代码",
    "ZDH": "宗地号",
    "DKMC": "地块名称",
    "XMMC": "项目名称",
    "QLR": "权利人",
    "QLRMC": "权利人名称",
    "SYQR": "使用权人",
    "TDSYZ": "土地使用者",
    "YDDW": "用地单位",
    "QYMC": "企业名称",
    "SRR": "受让人",
    "DLBM": "地类编码",
    "YDXZ": "用地性质",
    "TDYT": "土地用途",
    "XZYT": "现状用途",
    "GHYT": "规划用途",
    "GHDL": "规划地类",
    "GDFS": "供地方式",
    "GDRQ": "供地日期",
    "GDSJ": "供地时间",
    "HTQDRQ": "合同签订日期",
    "QDRQ": "签订日期",
    "DQRQ": "到期日期",
    "ZZRQ": "终止日期",
    "SYQZZRQ": "使用权终止日期",
    "YDDGRQ": "约定动工日期",
    "YDKGRQ": "约定开工日期",
    "YDKGSJ": "约定开工时间",
    "YDJGRQ": "约定竣工日期",
    "YDJGSJ": "约定竣工时间",
    "SJDGRQ": "实际动工日期",
    "SJKGRQ": "实际开工日期",
    "SJKGSJ": "实际开工时间",
    "TGRQ": "停工日期",
    "TGSJ": "停工时间",
    "ZFYY": "政府原因",
    "YKFMJ": "已开发面积",
    "ZTZ": "总投资",
    "JHZTZ": "计划总投资",
    "TZZE": "投资总额",
    "YTZE": "已投资额",
    "YWCTZ": "已完成投资",
    "CRJK": "出让价款",
    "HBJK": "划拨价款",
    "TDJK": "土地价款",
    "CJJG": "成交价格",
    "ZJZMJ": "总建筑面积",
    "JZMJ": "建筑面积",
    "JRJZMJ": "计容建筑面积",
    "JZJDMJ": "建筑基底面积",
    "JZZDMJ": "建筑占地面积",
    "LDMJ": "绿地面积",
    "XZBGMJ": "行政办公及生活服务设施用地面积",
    "HYDM": "行业代码",
    "GDZCTZ": "固定资产投资",
    "SS": "税收",
    "NSE": "纳税额",
    "NNSE": "年纳税额",
    "SJSJ": "实缴税金",
    "YYSR": "营业收入",
    "ZYYWSR": "主营业务收入",
    "GYZJZ": "工业增加值",
    "ZHNH": "综合能耗",
    "CYRY": "从业人员",
    "ZGRS": "职工人数",
    "YFJF": "研发经费",
    "TCNF": "投产年份",
    "GSQY": "规上企业",
    "GXJSQY": "高新技术企业",
    "GQ": "高企",
    "CYZCLB": "产业政策类别",
    "FWAQDJ": "房屋安全等级",
    "WFDJ": "危房等级",
}

#: everyday ledger names that are not contract aliases (a suggestion, never matched silently)
LEDGER_NAMES: dict[str, tuple[str, ...]] = {
    "parcel_id": ("宗地号", "地块号", "宗地编码", "图斑编号"),
    "name": ("项目名", "地块名"),
    "enterprise": ("使用权人", "土地使用者", "受让人", "受让单位", "项目单位", "权利人名称", "单位名称"),
    "land_use": ("用地性质", "土地用途", "现状地类", "用途"),
    "planned_use": ("规划性质", "规划用地性质"),
    "supply_date": ("供地时间", "签订日期", "出让日期", "成交日期", "划拨日期"),
    "lease_end_date": ("使用权终止日期", "终止日期", "土地使用期限"),
    "agreed_start_date": ("合同约定动工日期",),
    "agreed_completion_date": ("合同约定竣工日期",),
    "suspended_since": ("停工时间",),
    "total_investment_wan": ("投资总额", "项目总投资"),
    "land_price_wan": ("成交价格", "成交价款"),
    "tax_wan": ("纳税额", "年纳税额", "税收总额", "实缴税收", "纳税总额"),
    "employees": ("从业人数", "员工人数", "就业人数"),
    "rd_wan": ("研发投入",),
}

#: ledger synonyms, rewritten to the spelling the aliases use (applied in order)
SYNONYMS: tuple[tuple[str, str], ...] = (
    ("开工", "动工"),
    ("时间", "日期"),
    ("纳税额", "税收"),
    ("纳税", "税收"),
    ("缴税", "税收"),
    ("税金", "税收"),
    ("税额", "税收"),
    ("年份", "年"),
)
_UNIT = re.compile(r"[（(\[【][^）)\]】]*[）)\]】]|万元|平方米|㎡|m2|m²|公顷|亩|\s+")
_TRAILING = re.compile(r"(日期|日|时|期)$")
_COMPANY = re.compile(r"(?:有限公司|有限责任公司|股份公司|公司|集团|厂|合作社|研究院|中心|企业|事务所)$")
_INDUSTRY = re.compile(r"^[A-Ta-t]?\d{2}(?:\d{1,2})?$")
_LAND_CODE = re.compile(r"^(?:\d{2}|\d{4}|\d{6}|\d{2}[A-Za-z]\d?|\d{3}[A-Za-z]?)$")
#: shares of the non-empty values that must read as a kind for the values to count as evidence
VALUE_SHARE = 0.8
#: a date column of a ledger often holds words too (已开工, 待定): half its values being dates is enough
DATE_SHARE = 0.5
#: columns that are the geometry's own bookkeeping (areas are computed from the geometry)
_BOOKKEEPING = re.compile(r"^(?:objectid|fid|ogc_fid|shape_(?:leng|length|area)|shape_len|bsm)$", re.I)
_AREA_WORDS = ("宗地面积", "用地面积", "土地面积", "地块面积", "出让面积", "图斑面积", "面积")


#: ledger words that look like a canonical column but are not one, and why
NOT_CANONICAL: dict[str, str] = {
    "权属单位名称": "权属单位是土地的权属主体（村集体、国有），不是用地单位 / the owner, not the land user",
    "坐落单位名称": "坐落单位是所在的村或街道 / the locality, not a canonical column",
    "地类名称": "地类名称是地类编码的文字说明，分析用编码列 / the class name; the code column is used",
}


def _known_other(label: str) -> str:
    text = unicodedata.normalize("NFKC", str(label)).strip()
    word = PINYIN_INITIALS.get(text.upper(), text) if text.isascii() else text
    if stem(word) in {stem(w) for w in _AREA_WORDS}:
        return "面积由几何计算（area_m2）the area is computed from the geometry; 无需映射 nothing to map"
    return NOT_CANONICAL.get(word, "")


def stem(label: str) -> str:
    """Return the comparable form of a column name (see the module docstring, step 2)."""
    text = unicodedata.normalize("NFKC", str(label)).strip().casefold()
    text = _UNIT.sub("", text)
    for old, new in SYNONYMS:
        text = text.replace(old, new)
    text = text.removeprefix("是否")  # 是否规上 / 是否高企: a yes/no column named by its question
    shorter = _TRAILING.sub("", text)
    return shorter if len(shorter) >= 2 else text


@dataclass(frozen=True)
class _Candidate:
    score: float
    canonical: str
    why: str


def _spellings() -> dict[str, list[tuple[str, str]]]:
    """Canonical → [(spelling, its stem)] over names, aliases and ledger names."""
    out: dict[str, list[tuple[str, str]]] = {}
    for f in PARCEL_FIELDS:
        words = (f.name, *f.aliases, *LEDGER_NAMES.get(f.name, ()))
        out[f.name] = [(w, stem(w)) for w in dict.fromkeys(words)]
    return out


def _by_name(label: str) -> list[_Candidate]:
    """Candidates from the column's name (pinyin initials first, then the Chinese name)."""
    text = unicodedata.normalize("NFKC", str(label)).strip()
    via = ""
    initials = PINYIN_INITIALS.get(text.upper()) if text.isascii() else None
    if initials:
        via = f"拼音首字母 pinyin initials {text.upper()} = {initials}；"
        text = initials
    column = stem(text)
    if len(column) < 2 and not via:
        return []
    found: list[_Candidate] = []
    for canonical, spellings in _spellings().items():
        best: _Candidate | None = None
        for spelling, word in spellings:
            if not word:
                continue
            if column == word:
                score = 1.0
                how = (
                    f"名称即 {spelling}"
                    if text == spelling
                    else f"名称是 {spelling} 的同义或截断写法 / same word as {spelling}"
                )
            elif len(column) >= 2 and word.startswith(column):
                score, how = 0.9, f"名称是 {spelling} 的截断 / a cut-off form of {spelling}"
            elif len(column) >= 2 and len(word) >= 2 and (column in word or word in column):
                score, how = 0.7, f"名称与 {spelling} 相包含 / part of {spelling}"
            else:
                a, b = set(column), set(word)
                jaccard = len(a & b) / len(a | b) if a | b else 0.0
                if jaccard < 0.5 or not any(ord(ch) > 0x2E80 for ch in a & b):
                    continue
                score, how = (
                    0.5 * jaccard + 0.2,
                    f"名称与 {spelling} 字面相近 / most characters shared with {spelling}",
                )
            if best is None or score > best.score:
                best = _Candidate(score, canonical, via + how)
        if best is not None:
            found.append(best)
    return found


# --------------------------------------------------------------------------------------------- values


def _share(ok: np.ndarray, present: np.ndarray) -> float:
    n = int(present.sum())
    return float((ok & present).sum()) / n if n else 0.0


@dataclass(frozen=True)
class _Values:
    """What a column's values look like."""

    #: date, bool, supply, company, policy, grade, industry, landuse, year, number, text or empty
    kind: str
    note: str
    dates: pd.Series | None = None
    empty_share: float = 0.0


@dataclass(frozen=True)
class _Column:
    """One column's values as :func:`_values` judges them: the non-empty cells and a sample."""

    raw: pd.Series
    present: np.ndarray
    text: pd.Series
    sample: str
    is_text: bool

    def reads(self, canonical: str) -> tuple[float, object]:
        """Return the share of present values ``canonical``'s coercion reads, and what it read."""
        from geo.coerce import coerce_column

        result = coerce_column(self.raw, FIELDS_BY_NAME[canonical])
        ok = ~np.asarray(result.bad, dtype=bool) & self.present
        return _share(ok, self.present), result.values


def _named_text(col: _Column) -> _Values | None:
    """Text of fixed kinds with names: supply types, company names, policy classes."""
    share, _ = col.reads("supply_type")
    if share >= VALUE_SHARE:
        return _Values("supply", f"值为供地方式 / values are supply types: {col.sample}")
    if _share(col.text.str.contains(_COMPANY).to_numpy(), np.ones(len(col.text), bool)) >= VALUE_SHARE:
        return _Values("company", f"值为单位名称 / values are company names: {col.sample}")
    share, _ = col.reads("policy_class")
    if share >= VALUE_SHARE:
        return _Values("policy", f"值为产业政策类别 / values are policy classes: {col.sample}")
    return None


def _dates(col: _Column, empty_share: float) -> _Values | None:
    """Dates (not plain numbers), naming the text among them that is not a date."""
    share, dates = col.reads("supply_date")
    if share < DATE_SHARE or pd.api.types.is_numeric_dtype(col.raw.dtype):
        return None
    parsed = pd.Series(dates).notna().to_numpy() & col.present
    odd = "、".join(pd.unique(col.raw[col.present & ~parsed].astype(str).str.strip())[:3])
    note = f"值为日期 / values are dates: {col.sample}" + (
        f"；另有非日期的文本 / and text that is not a date: {odd}" if odd else ""
    )
    return _Values("date", note, dates, empty_share)  # type: ignore[arg-type]


def _yes_no(col: _Column) -> _Values | None:
    """是/否 text, or numbers that are only 0 and 1."""
    share, _ = col.reads("gov_cause")
    if share >= VALUE_SHARE and (col.is_text or set(pd.unique(col.raw[col.present])) <= {0, 1}):
        return _Values("bool", f"值为是/否 / values are yes/no: {col.sample}")
    return None


def _coded_text(col: _Column) -> _Values | None:
    """Text codes: building grades, industry codes, land-use codes."""
    text, sample = col.text, col.sample
    if text.str.fullmatch(r"[A-Da-d]").mean() >= VALUE_SHARE:
        return _Values("grade", f"值为 A/B/C/D 等级 / values are grades: {sample}")
    if text.str.fullmatch(r"[A-Ta-t]\d{2}(\d{1,2})?").mean() >= VALUE_SHARE:
        return _Values("industry", f"值为行业代码 / values are industry codes: {sample}")
    if text.str.fullmatch(_LAND_CODE).mean() >= VALUE_SHARE:
        return _Values("landuse", f"值为地类编码 / values are land-use codes: {sample}")
    if text.str.fullmatch(_INDUSTRY).mean() >= VALUE_SHARE:
        return _Values("industry", f"值为行业代码 / values are industry codes: {sample}")
    return None


def _numbers(col: _Column) -> _Values:
    """Years, other numbers, or else text."""
    share, numbers = col.reads("production_year")
    if share >= VALUE_SHARE:
        years = pd.Series(numbers)[col.present].astype("float64")
        if years.between(1949, 2100).all():
            return _Values("year", f"值为年份 / values are years: {col.sample}")
    share, _ = col.reads("tax_wan")
    if share >= VALUE_SHARE:
        return _Values("number", f"值为数值 / values are numbers: {col.sample}")
    return _Values("text", f"值为文本 / values are text: {col.sample}")


def _values(raw: pd.Series) -> _Values:
    """Judge a column's values, the first kind that fits in this order.

    Named text (supply type, company, policy class) → dates → yes/no → coded text (grade,
    industry, land use) → years → numbers → text.
    """
    present = raw.notna().to_numpy() & (raw.astype(str).str.strip() != "").to_numpy()
    if not present.any():
        return _Values("empty", "值全为空 all values empty")
    empty_share = 1.0 - float(present.mean())
    is_text = raw.dtype == object or pd.api.types.is_string_dtype(raw.dtype)
    text = raw[present].astype(str).str.strip()
    col = _Column(raw, present, text, "、".join(pd.unique(text)[:3]), is_text)
    return (
        (_named_text(col) if is_text else None)
        or _dates(col, empty_share)
        or _yes_no(col)
        or (_coded_text(col) if is_text else None)
        or _numbers(col)
    )


#: value kinds each canonical kind accepts as confirmation
_FITS = {
    "date": {"date"},
    "bool": {"bool"},
    "number": {"number", "year"},
    "int": {"year", "number"},
    "enum": {"supply", "policy", "grade"},
    "code": {"landuse", "industry", "number", "year"},
    "text": {"company", "text", "number", "year", "landuse", "industry"},
}
_BY_VALUES = {
    "supply": "supply_type",
    "company": "enterprise",
    "policy": "policy_class",
    "grade": "building_grade",
    "industry": "industry_code",
    "year": "production_year",
}


def _date_role(dates: pd.Series, supply: pd.Series | None, empty_share: float) -> tuple[str, str] | None:
    """Place a date column by its distance from the supply date (median, in years)."""
    if supply is None:
        return None
    both = dates.notna() & supply.notna()
    if both.sum() < 2:
        return None
    years = float(((dates[both] - supply[both]).dt.days / 365.25).median())
    shown = f"中位数 median {years:+.1f} 年 years"
    if years >= 20:
        return (
            "lease_end_date",
            f"日期在供地日期之后数十年 decades after the supply date（{shown}），像土地使用权到期日",
        )
    if years < -0.05:
        return None
    if empty_share > 0.05 and years <= 6:
        return (
            "actual_start_date",
            f"日期在供地之后（{shown}）且部分为空 (some empty: 空=未动工)，像实际动工日期",
        )
    if years <= 1.5:
        return (
            "agreed_start_date",
            f"日期在供地之后一年半内 within 1.5 years after supply（{shown}），像约定动工日期",
        )
    if years <= 6:
        return "agreed_completion_date", f"日期在供地之后 1.5–6 年（{shown}），像约定竣工日期"
    return None


#: rows whose values are read to judge a column (evenly spaced over the layer)
SAMPLE_ROWS = 5000


def _sample_rows(n: int) -> np.ndarray:
    if n <= SAMPLE_ROWS:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, SAMPLE_ROWS).astype(np.int64))


def _id_like(values: pd.Series) -> bool:
    """Whole numbers, or short codes of letters, digits and - _ . / (not free text, not fractions)."""
    if pd.api.types.is_float_dtype(values.dtype):
        arr = values.to_numpy(dtype="float64", na_value=np.nan)
        return bool(np.isfinite(arr).all() and (np.mod(arr, 1.0) == 0).all())
    if pd.api.types.is_integer_dtype(values.dtype):
        return True
    return bool(values.astype(str).str.fullmatch(r"[A-Za-z0-9_\-./]{1,40}").all())


#: a proposal: (score, column order, column, canonical, reason)
_Proposal = tuple[float, int, str, str, str]


def _proposals(
    order: int, column: str, look: _Values, sample: pd.Series, values: pd.Series, *, supply_known: bool
) -> list[_Proposal]:
    """Every canonical column ``column`` might be, by its name and by its values, with a score.

    ``sample`` is the column's sampled rows (how its values look), ``values`` the whole column
    (uniqueness); ``supply_known`` whether a supply date is already placed.
    """
    if _known_other(column) or _BOOKKEEPING.match(column.strip()):
        return []
    found: list[_Proposal] = []
    for cand in _by_name(column):
        spec = FIELDS_BY_NAME[cand.canonical]
        fits = look.kind in _FITS.get(spec.kind, set()) or look.kind == "empty"
        score = cand.score + (0.05 if fits else -0.3)
        why = cand.why + ("；" + look.note if fits else f"；但{look.note}，不像{_KIND_ZH[spec.kind]}")
        found.append((score, order, column, cand.canonical, why))
    if (
        look.kind not in ("empty", "date", "bool")
        and _id_like(sample)
        and values.notna().all()
        and values.is_unique
    ):
        found.append(
            (0.65, order, column, "parcel_id", look.note + "；值各不相同且无空值 / unique, none empty")
        )
    by_value = _BY_VALUES.get(look.kind)
    if by_value:
        found.append((0.6, order, column, by_value, look.note))
    if look.kind == "landuse":
        found.append((0.55, order, column, "land_use", look.note))
        found.append((0.5, order, column, "planned_use", look.note))
    if look.kind == "bool":
        for name in ("gov_cause", "above_scale", "high_tech"):
            found.append((0.3, order, column, name, look.note + "，可能是 " + name))
    if look.kind == "date" and not supply_known:
        found.append((0.35, order, column, "supply_date", look.note + "，最早的日期像供地日期"))
    return found


@dataclass
class _Choice:
    """The proposals taken so far, and what the rest need to explain themselves."""

    #: canonical columns the file has or that were proposed (never proposed again)
    taken: set[str]
    #: the supply dates other dates are placed against (the file's, or a proposed column's)
    supply: pd.Series | None
    chosen: dict[str, Suggestion] = field(default_factory=dict)
    #: column → the canonical column its name points to, where the file already has that one
    already: dict[str, str] = field(default_factory=dict)
    #: canonical → the unmatched column it was proposed for
    given_to: dict[str, str] = field(default_factory=dict)

    def take(self, column: str, canonical: str, why: str) -> None:
        self.chosen[column] = Suggestion(column, canonical, why)
        self.taken.add(canonical)


def _choose(proposals: list[_Proposal], looks: dict[str, _Values], choice: _Choice) -> None:
    """Take the proposals greedily, strongest first: one canonical column per column and back."""
    for score, _, column, canonical, why in sorted(proposals, key=lambda c: (-c[0], c[1])):
        if column in choice.chosen or score < 0.4:
            continue
        if canonical in choice.taken:
            if score >= 0.7 or canonical in choice.given_to:
                choice.already.setdefault(column, canonical)
            continue
        if column in choice.already and score < 0.9:
            continue  # its name says a column the file has; a weaker guess would mislead
        rivals = [
            c[3]
            for c in proposals
            if c[2] == column and c[3] != canonical and c[3] not in choice.taken and abs(c[0] - score) < 0.01
        ]
        if rivals:
            why += "；也可能是 / or perhaps " + " / ".join(dict.fromkeys(rivals))
        choice.take(column, canonical, why)
        choice.given_to[canonical] = column
        if canonical == "supply_date" and choice.supply is None and looks[column].dates is not None:
            choice.supply = looks[column].dates


def _place_dates(unmatched: list[str], looks: dict[str, _Values], choice: _Choice) -> None:
    """Place the dates their names did not place, by their distance from the supply date."""
    for column in unmatched:
        look = looks[column]
        if column in choice.chosen or look.kind != "date":
            continue
        role = _date_role(look.dates, choice.supply, look.empty_share) if look.dates is not None else None
        if role and role[0] not in choice.taken:
            choice.take(column, role[0], f"{look.note}；{role[1]}")


def _why_not(column: str, look: _Values, choice: _Choice) -> str:
    """Say why ``column`` gets no proposal."""
    other = _known_other(column)
    if other:
        return other
    if _BOOKKEEPING.match(column.strip()):
        return "GIS 软件的内部字段 bookkeeping field of the GIS software; 无需映射 nothing to map"
    if look.kind == "date":
        return (
            f"{look.note}；名称和与供地日期的距离都不能确定是哪个日期 / "
            "neither the name nor the distance from the supply date tells which date"
        )
    if column in choice.already and choice.already[column] in choice.given_to:
        other = choice.already[column]
        return (
            f"像 {other}，但 {other} 已建议给更像的字段 {choice.given_to[other]} / looks like {other}, "
            f"proposed for {choice.given_to[other]}, which fits better（{look.note}）"
        )
    if column in choice.already:
        other = choice.already[column]
        return (
            f"名称像 {other}，但文件已有 {other} / looks like {other}, which the file already has"
            f"（{look.note}）"
        )
    if look.kind == "bool":
        free = [n for n in ("gov_cause", "above_scale", "high_tech") if n not in choice.taken]
        return look.note + ("；布尔字段可能是 " + " / ".join(free) if free else "")
    return f"名称和值都不对应标准字段 / no canonical column fits the name or values（{look.note}）"


def suggest_columns(
    columns: Iterable[str],
    attributes: pd.DataFrame,
    matched: Iterable[str],
    supply_dates: pd.Series | None = None,
) -> tuple[Suggestion, ...]:
    """Propose a canonical column for each of ``columns`` (unmatched columns of ``attributes``).

    ``matched`` are the canonical columns the file already has (never proposed again);
    ``supply_dates`` the coerced supply date when the file has one (to place other dates).

    Steps: judge each column's values on sampled rows, collect every proposal by name and by
    values (:func:`_proposals`), take them greedily (:func:`_choose`), place the remaining dates
    by their distance from the supply date (:func:`_place_dates`), and say why each other column
    gets none (:func:`_why_not`).
    """
    taken = set(matched)
    unmatched = [c for c in columns if c != "geometry" and c in attributes.columns]
    # the values are judged on evenly spaced rows (the same rows for every column, so dates stay
    # aligned with the supply date); uniqueness is judged on the whole column
    rows = _sample_rows(len(attributes))
    sample = attributes.iloc[rows].reset_index(drop=True)
    if supply_dates is not None:
        supply_dates = supply_dates.reset_index(drop=True).iloc[rows].reset_index(drop=True)
    looks: dict[str, _Values] = {c: _values(sample[c]) for c in unmatched}

    # the supply date first: other dates are placed relative to it
    supply_known = supply_dates is not None or "supply_date" in taken
    proposals = [
        proposal
        for order, column in enumerate(unmatched)
        for proposal in _proposals(
            order, column, looks[column], sample[column], attributes[column], supply_known=supply_known
        )
    ]
    choice = _Choice(taken, supply_dates)
    _choose(proposals, looks, choice)
    _place_dates(unmatched, looks, choice)
    return tuple(
        choice.chosen[column]
        if column in choice.chosen
        else Suggestion(column, None, _why_not(column, looks[column], choice))
        for column in unmatched
    )


_KIND_ZH = {
    "date": "日期",
    "bool": "是/否",
    "number": "数值",
    "int": "整数",
    "enum": "枚举取值",
    "code": "编码",
    "text": "文本",
}


def draft_mapping(
    matched: Mapping[str, str],
    suggestions: Iterable[Suggestion],
    source: str,
    unreadable: Mapping[str, Iterable[str]] | None = None,
) -> str:
    """Write a draft mapping (YAML with comments) from the matches and suggestions, for the user to edit.

    ``matched`` is {column in the file → canonical} as ingest matched it (names and aliases are
    written too, so the file states every column used). ``unreadable`` is {canonical → values ingest
    could not read}: for a column of fixed values (enum, bool) each becomes a commented value-map
    line to fill in (``#   supply_type: {"市场化出让": ?}``); dates and numbers are not guessed.
    """
    lines = [
        f"# panhuo 列映射草稿 column mapping draft for {source}",
        "# 由 panhuo inspect --write-columns 生成：请逐行核对后再用于 analyze --columns",
        "# written by panhuo inspect --write-columns; check every line, then pass it to analyze --columns",
        "# 格式见 docs/ingest.md「bringing your own ledger」; 标准字段 canonical columns: contract §2",
        "columns:",
    ]
    for column, canonical in matched.items():
        lines.append(f"  {canonical}: {_quote(column)}    # 已匹配 matched by name or alias")
    unsure = []
    for s in suggestions:
        if s.canonical is None:
            unsure.append(s)
            continue
        lines.append(f"  {s.canonical}: {_quote(s.column)}    # 建议 suggested: {s.why}")
    for s in unsure:
        lines.append(f"  # ?: {_quote(s.column)}    # 未能判断 no suggestion: {s.why}")
    lines.append("# values:                     # 可选 optional: 标准字段 -> {文件中的值: 标准值}")
    fixed = {
        canonical: list(dict.fromkeys(values))[:20]
        for canonical, values in (unreadable or {}).items()
        if canonical in FIELDS_BY_NAME and FIELDS_BY_NAME[canonical].kind in ("enum", "bool")
    }
    for canonical, values in fixed.items():
        field = FIELDS_BY_NAME[canonical]
        allowed = "/".join(sorted(set(field.values.values()))) if field.values else "是/否"
        pairs = ", ".join(f"{_quote(v)}: ?" for v in values)
        lines.append(
            f"#   {canonical}: {{{pairs}}}    # 无法读取的值，填 {allowed} 后去掉 # / fill in, uncomment"
        )
    if not fixed:
        lines.append("#   supply_type: {市场化出让: 出让}")
    lines += [
        "land_use_scheme: auto         # auto | 2023 | gbt21010-2017 | gbt21010-2007 | sandiao",
        "industry_scheme: auto         # auto | gbt4754-2017 | gbt4754-2011 | gbt4754-2002",
        "",
    ]
    return "\n".join(lines)


def _quote(text: str) -> str:
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"') + '"'

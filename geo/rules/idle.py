"""Idle land under 《闲置土地处置办法》 (国土资源部令第53号, 2012) — contract §3, domain.md §1.

Statuses, evaluated on the as-of date ``t`` (all column arithmetic on ``datetime64[D]`` arrays):

``not_applicable``
    ``supply_type`` is 未供: unsupplied land cannot be idle.
``idle``
    Supplied (划拨/出让/租赁), not started (``actual_start_date`` empty, the Art. 30 test not met),
    ``t ≥ anniversary(agreed_start_date, 1)`` and ``t < anniversary(agreed_start_date, 2)``, no
    government cause. Art. 2 ¶1; fee ``idle_fee_wan = fee_rate × land_price_wan`` (Art. 14 ¶1, 20 %).
``idle_recoverable``
    As ``idle`` but ``t ≥ anniversary(agreed_start_date, 2)``: recovery without compensation, Art. 14 ¶2.
``idle_gov_caused``
    Not started, ``t ≥ anniversary(agreed_start_date, 1)`` and ``gov_cause`` true: Art. 8 / Art. 12,
    negotiated disposal, no fee.
``idle_stalled``
    Started, ``developed / area < 1/3`` or ``invested_wan / total_investment_wan < 25 %``, and
    ``t ≥ anniversary(suspended_since, 1)``. Art. 2 ¶2 (discretionary: "可以认定"), disposed of in the
    ways of Art. 12. The area ratio is developed_area_m2 / area_m2 by default, or with
    ``stalled_area_basis: floor`` gross_floor_area_m2 (built) / planned_floor_area_m2 (the planned
    total, 应动工开发建设总面积 read as floor area) — never the built floor area itself.
``unknown``
    Supplied, but a fact the decision needs is missing or was set aside by a data check; the basis
    names the facts.
``not_idle``
    Otherwise.

An anniversary is the same month and day ``n`` years later; 29 February maps to 28 February in a
common year. "满一年" is reached on the anniversary itself.

Fees and exceptions: Art. 14 ¶1 charges "按照土地出让或者划拨价款的百分之二十": 租赁 land has no base in
Art. 14, so no fee is computed (the basis says so). ``gov_cause`` covers Art. 8 ¶1 (acts of government)
and Art. 8 ¶2 ("因自然灾害等不可抗力导致土地闲置的，依照前款规定办理"). 城市房地产管理法 Art. 26 excepts
delays "因…动工开发必需的前期工作造成动工开发迟延的" from the fee and the free recovery of 出让 land: with
``preparatory_delay`` true such land stays ``idle`` (Art. 2 ¶1 is met) with no fee and no recovery.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import pandas as pd

from geo.rules.facts import EMPTY, INVALID, MISSING_COLUMN, OK, Facts
from geo.rules.presets import IdleRules
from geo.vocab import IDLE_CLASSES as IDLE_CLASSES  # re-exported: tests and callers import it from here
from geo.vocab import IDLE_STATUSES, LEASED, RENTED, UNSUPPLIED

STATUSES = IDLE_STATUSES
LAW = "《闲置土地处置办法》"

_NOT_IDLE, _IDLE, _RECOVERABLE, _GOV, _STALLED, _NA, _UNKNOWN = range(7)

# facts an ``unknown`` status can lack, as bits: (label, bit)
_FACTS = (
    ("supply_type", "供地方式"),
    ("supply_date", "供地日期"),
    ("actual_start_date", "实际动工日期"),
    ("agreed_start_date", "约定动工日期"),
    ("gov_cause", "政府原因"),
    ("suspended_since", "停工日期"),
    ("developed_area_m2", "已开发面积"),
    ("gross_floor_area_m2", "总建筑面积"),
    ("planned_floor_area_m2", "规划总建筑面积"),
    ("invested_wan", "已投资额"),
    ("total_investment_wan", "总投资"),
)
_BIT = {name: 1 << i for i, (name, _) in enumerate(_FACTS)}


def add_years(dates: np.ndarray, years: int) -> np.ndarray:
    """Anniversary: the same month and day ``years`` later (29 Feb → 28 Feb in a common year).

    Vectorised on ``datetime64[D]`` arrays: the day of month is carried over and clipped to the
    length of the target month, which only ever clips 29 February. NaT stays NaT.
    """
    dates = np.asarray(dates, dtype="datetime64[D]")
    months = dates.astype("datetime64[M]")
    day0 = (dates - months.astype("datetime64[D]")).astype(np.int64)
    target = months + np.timedelta64(12 * years, "M")
    month_len = (
        (target + np.timedelta64(1, "M")).astype("datetime64[D]") - target.astype("datetime64[D]")
    ).astype(np.int64)
    out = target.astype("datetime64[D]") + np.minimum(day0, month_len - 1).astype("timedelta64[D]")
    out[np.isnat(dates)] = np.datetime64("NaT")
    return out


def format_date_zh(dates: np.ndarray) -> pd.Series:
    """Dates as 2024年3月1日 (empty text for NaT), vectorised."""
    dates = np.asarray(dates, dtype="datetime64[D]")
    nat = np.isnat(dates)
    safe = np.where(nat, np.datetime64("1970-01-01"), dates)
    year = safe.astype("datetime64[Y]").astype(np.int64) + 1970
    month = safe.astype("datetime64[M]").astype(np.int64) % 12 + 1
    day = (safe - safe.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64) + 1
    text = (
        pd.Series(year).astype(str)
        + "年"
        + pd.Series(month).astype(str)
        + "月"
        + pd.Series(day).astype(str)
        + "日"
    )
    return text.where(~nat, "").astype(object)


def format_amount(values: np.ndarray | pd.Series) -> pd.Series:
    """Amounts as 1,200.00 (two decimals, thousands separators)."""
    return pd.Series(np.asarray(values, dtype="float64")).map("{:,.2f}".format).astype(object)


def format_percent(values: np.ndarray | pd.Series) -> pd.Series:
    """Shares as 25.00%."""
    return (pd.Series(np.asarray(values, dtype="float64")) * 100).map("{:.2f}%".format).astype(object)


class _Lazy(NamedTuple):
    """Values formatted only on the rows that need them."""

    render: Callable[[np.ndarray], pd.Series]
    values: np.ndarray


Part = str | np.ndarray | _Lazy


def _percent_or_blank(values: np.ndarray) -> pd.Series:
    text = format_percent(values)
    text[np.isnan(values)] = ""
    return text


def _join(parts: list[Part], index: np.ndarray) -> pd.Series:
    """Concatenate text pieces (constants, full-length object arrays or lazy formats) on ``index``."""
    out = pd.Series([""] * len(index), dtype=object)
    for part in parts:
        if isinstance(part, str):
            out = out + part
        elif isinstance(part, _Lazy):
            out = out + part.render(part.values[index]).to_numpy(dtype=object)
        else:
            out = out + part[index]
    return out


def evaluate_idle(facts: Facts, rules: IdleRules) -> pd.DataFrame:
    """Decide the idle status of every parcel.

    Parameters
    ----------
    facts
        Parcel facts after the data checks (see :mod:`geo.rules.facts`); needs ``area_m2``.
    rules
        The preset's idle section (fee rate, stalled thresholds, area basis).

    Returns
    -------
    DataFrame
        ``idle_status``, ``idle_basis`` (Chinese text naming the article and the facts) and
        ``idle_fee_wan``, on a 0..n-1 index.

    """
    v = _Verdict(facts)
    sup = _supply(facts, rules, v)
    start = _start(facts, sup.supplied, v)
    a = _trigger_a(facts, rules, v, sup, start.not_started)
    b = _trigger_b(facts, rules, v, start.started)
    # fee (Art. 14 ¶1)
    price = facts.num("land_price_wan")
    rented = (sup.supply == RENTED).to_numpy(dtype=bool)
    fee = np.where((v.status == _IDLE) & ~rented & ~a.excepted, rules.fee_rate * price, 0.0)

    text = _Basis(facts, rules)
    late = np.full(facts.n, "", dtype=object)
    if start.later_start.any():
        late[start.later_start] = (
            "（实际动工日期"
            + format_date_zh(start.actual[start.later_start])
            + "晚于评价日，评价日尚未动工）"
        ).to_numpy(dtype=object)
    not_started_facts: list[Part] = [
        "约定动工日期",
        _Lazy(format_date_zh, a.agreed),
        f"，截至{text.as_of_zh}未动工",
        late,
    ]
    _basis_unsupplied_and_waiting(text, v, sup, a, not_started_facts)
    _basis_fee(text, v, a, not_started_facts, price=price, fee=fee, rented=rented)
    _basis_excepted_recoverable_gov(text, v, a, not_started_facts)
    _basis_started(text, b)

    unknown = v.status == _UNKNOWN
    if unknown.any():
        words = _fact_words(v.missing, v.invalid, unknown)
        text.basis[unknown] = words[unknown]

    return pd.DataFrame(
        {
            "idle_status": np.array(STATUSES, dtype=object)[v.status],
            "idle_basis": text.basis,
            "idle_fee_wan": fee,
        }
    )


class _Verdict:
    """The status of every parcel so far, and the facts an ``unknown`` status lacks (as bits)."""

    def __init__(self, facts: Facts) -> None:
        self.facts = facts
        self.status = np.full(facts.n, _UNKNOWN, dtype=np.int8)
        self.missing = np.zeros(facts.n, dtype=np.int64)
        self.invalid = np.zeros(facts.n, dtype=np.int64)

    def lacks(self, name: str, rows: np.ndarray) -> None:
        """Record that ``rows`` lack fact ``name`` where it is absent, empty or invalid."""
        state = self.facts.state(name)
        self.missing[rows & ((state == MISSING_COLUMN) | (state == EMPTY))] |= _BIT[name]
        self.invalid[rows & (state == INVALID)] |= _BIT[name]


class _Supply(NamedTuple):
    supply: pd.Series
    supply_date: np.ndarray
    supplied: np.ndarray  # supplied on the as-of day, supply date not in doubt
    later_supply: np.ndarray  # supplied only after the as-of day


def _supply(facts: Facts, rules: IdleRules, v: _Verdict) -> _Supply:
    """Sort out unsupplied land (not applicable) and land whose supply is unknown or in doubt."""
    supply = facts.text("supply_type")
    supplied = supply.isin(rules.supplied_types).to_numpy(dtype=bool)
    v.status[(supply == UNSUPPLIED).to_numpy(dtype=bool)] = _NA
    v.lacks("supply_type", ~supplied & (v.status != _NA))
    # a supply date set aside by the data checks (e.g. after the run date) puts the supply itself in doubt
    doubtful = supplied & (facts.state("supply_date") == INVALID)
    v.invalid[doubtful] |= _BIT["supply_date"]
    supplied = supplied & ~doubtful
    # evaluating at a past date (contract §3): what is dated after the as-of day had not happened yet
    supply_date = facts.date("supply_date")
    later_supply = supplied & (supply_date > facts.as_of)
    v.status[later_supply] = _NA
    return _Supply(supply, supply_date, supplied & ~later_supply, later_supply)


class _Start(NamedTuple):
    actual: np.ndarray
    not_started: np.ndarray
    started: np.ndarray
    later_start: np.ndarray  # started only after the as-of day: not started on that day


def _start(facts: Facts, supplied: np.ndarray, v: _Verdict) -> _Start:
    """Split supplied land into not started and started (Art. 30) on the as-of day."""
    actual_state = facts.state("actual_start_date")
    actual = facts.date("actual_start_date")
    later_start = supplied & (actual_state == OK) & (actual > facts.as_of)
    not_started = supplied & ((actual_state == EMPTY) | later_start)
    started = supplied & (actual_state == OK) & ~later_start
    v.lacks("actual_start_date", supplied & ~not_started & ~started)
    return _Start(actual, not_started, started, later_start)


class _TriggerA(NamedTuple):
    agreed: np.ndarray
    ann1: np.ndarray
    ann2: np.ndarray
    waiting: np.ndarray  # not started, less than a full year late
    gov_caused: np.ndarray
    excepted: np.ndarray  # 城市房地产管理法 Art. 26: preparatory works on 出让 land


def _trigger_a(
    facts: Facts, rules: IdleRules, v: _Verdict, sup: _Supply, not_started: np.ndarray
) -> _TriggerA:
    """Trigger A: not started one (two) full years after the agreed start date (Art. 2 ¶1, 8, 14)."""
    t = facts.as_of
    agreed = facts.date("agreed_start_date")
    ann1, ann2 = add_years(agreed, 1), add_years(agreed, 2)
    has_agreed = ~np.isnat(agreed)
    v.lacks("agreed_start_date", not_started & ~has_agreed)
    waiting = not_started & has_agreed & (t < ann1)
    overdue = not_started & has_agreed & (t >= ann1)
    gov, gov_known = facts.flag("gov_cause")
    gov_caused = overdue & gov & gov_known
    if rules.missing_gov_cause == "unknown":
        v.lacks("gov_cause", overdue & ~gov_known)
        no_cause = overdue & gov_known & ~gov
    else:
        no_cause = overdue & ~(gov & gov_known)
    # 城市房地产管理法 第二十六条: a delay caused by the necessary preparatory works excepts 出让 land
    prep, prep_known = facts.flag("preparatory_delay")
    excepted = no_cause & prep & prep_known & (sup.supply == LEASED).to_numpy(dtype=bool)
    v.status[waiting] = _NOT_IDLE
    v.status[gov_caused] = _GOV
    v.status[no_cause & ~excepted & (t >= ann2)] = _RECOVERABLE
    v.status[no_cause & (t < ann2)] = _IDLE
    v.status[excepted] = _IDLE
    return _TriggerA(agreed, ann1, ann2, waiting, gov_caused, excepted)


class _TriggerB(NamedTuple):
    suspended_since: np.ndarray
    no_stall_test: np.ndarray  # no suspended_since column: the stalled test is out of scope
    running: np.ndarray
    later_pause: np.ndarray  # suspended only after the as-of day
    short_pause: np.ndarray
    stalled: np.ndarray
    cleared: np.ndarray
    dev_ratio: np.ndarray
    inv_ratio: np.ndarray
    dev_low: np.ndarray
    inv_low: np.ndarray


def _trigger_b(facts: Facts, rules: IdleRules, v: _Verdict, started: np.ndarray) -> _TriggerB:
    """Trigger B: started, under 1/3 developed or 25 % invested, suspended a full year (Art. 2 ¶2)."""
    t = facts.as_of
    susp_state = facts.state("suspended_since")
    suspended_since = facts.date("suspended_since")
    # without a suspended_since column the stalled test is out of scope (listed once, contract §2.1)
    no_stall_test = started & (susp_state == MISSING_COLUMN)
    later_pause = started & (susp_state == OK) & (suspended_since > t)
    running = started & ((susp_state == EMPTY) | later_pause)
    v.lacks("suspended_since", started & (susp_state == INVALID))
    susp_ann1 = add_years(suspended_since, 1)
    paused = started & (susp_state == OK) & ~later_pause
    short_pause = paused & (t < susp_ann1)
    long_pause = paused & (t >= susp_ann1)
    dev_ratio, inv_ratio = _stalled_ratios(facts, rules)
    dev_known, inv_known = ~np.isnan(dev_ratio), ~np.isnan(inv_ratio)
    dev_low = dev_known & (dev_ratio < rules.stalled_developed_share)
    inv_low = inv_known & (inv_ratio < rules.stalled_invest_share)
    stalled = long_pause & (dev_low | inv_low)
    cleared = long_pause & dev_known & inv_known & ~dev_low & ~inv_low
    undecided = long_pause & ~stalled & ~cleared
    if rules.stalled_area_basis == "floor":
        v.lacks("gross_floor_area_m2", undecided & ~dev_known)
        v.lacks("planned_floor_area_m2", undecided & ~dev_known)
    else:
        v.lacks("developed_area_m2", undecided & ~dev_known)
    v.lacks("invested_wan", undecided & ~inv_known)
    v.lacks("total_investment_wan", undecided & ~inv_known)
    v.status[running | short_pause | cleared | no_stall_test] = _NOT_IDLE
    v.status[stalled] = _STALLED
    return _TriggerB(
        suspended_since,
        no_stall_test,
        running,
        later_pause,
        short_pause,
        stalled,
        cleared,
        dev_ratio,
        inv_ratio,
        dev_low,
        inv_low,
    )


def _stalled_ratios(facts: Facts, rules: IdleRules) -> tuple[np.ndarray, np.ndarray]:
    """Return the developed share (land, or floor with ``stalled_area_basis: floor``) and invested share."""
    floor_basis = rules.stalled_area_basis == "floor"
    developed = facts.num("gross_floor_area_m2" if floor_basis else "developed_area_m2")
    denominator = facts.num("planned_floor_area_m2" if floor_basis else "area_m2")
    with np.errstate(divide="ignore", invalid="ignore"):
        dev_ratio = np.where(denominator > 0, developed / denominator, np.nan)
        invested, total = facts.num("invested_wan"), facts.num("total_investment_wan")
        inv_ratio = np.where(total > 0, invested / total, np.nan)
    return dev_ratio, inv_ratio


class _Basis:
    """The ``idle_basis`` texts, written group by group."""

    def __init__(self, facts: Facts, rules: IdleRules) -> None:
        self.facts = facts
        self.basis = np.full(facts.n, "", dtype=object)
        self.as_of_zh = format_date_zh(np.array([facts.as_of]))[0]
        self.rate = f"{rules.fee_rate * 100:g}%"
        self.floor_basis = rules.stalled_area_basis == "floor"
        self.no_gov = np.full(facts.n, "", dtype=object)
        if not facts.has("gov_cause"):  # contract §2.1: without the column no government cause is verified
            self.no_gov[:] = "；图层无政府原因字段，未核实存在政府原因（第八条）"

    def put(self, mask: np.ndarray, parts: list[Part]) -> None:
        """Write the text joined from ``parts`` on the rows of ``mask``."""
        rows = np.flatnonzero(mask)
        if rows.size:
            self.basis[rows] = _join(parts, rows).to_numpy()


def _basis_unsupplied_and_waiting(
    text: _Basis, v: _Verdict, sup: _Supply, a: _TriggerA, not_started_facts: list[Part]
) -> None:
    """Explain unsupplied land, land supplied after the as-of day, and a start less than a year late."""
    text.put(v.status == _NA, [f"供地方式为{UNSUPPLIED}，不适用{LAW}"])
    text.put(
        sup.later_supply,
        [
            "供地日期",
            _Lazy(format_date_zh, sup.supply_date),
            f"晚于评价日，截至{text.as_of_zh}尚未供地，不适用{LAW}",
        ],
    )
    text.put(a.waiting, [*not_started_facts, "，未满一年（满一年之日为", _Lazy(format_date_zh, a.ann1), "）"])


def _basis_fee(
    text: _Basis,
    v: _Verdict,
    a: _TriggerA,
    not_started_facts: list[Part],
    *,
    price: np.ndarray,
    fee: np.ndarray,
    rented: np.ndarray,
) -> None:
    """Explain idle land of one to two years: the fee of Art. 14 ¶1, or why none is computed."""
    price_known = ~np.isnan(price)
    idle_a = (v.status == _IDLE) & ~rented & ~a.excepted
    head_a = [f"{LAW}第二条第一款、第十四条第一款：", *not_started_facts, "，已满一年未满两年；"]
    text.put(
        idle_a & price_known,
        [
            *head_a,
            "按土地价款",
            _Lazy(format_amount, price),
            f"万元的{text.rate}征缴土地闲置费",
            _Lazy(format_amount, fee),
            "万元",
            text.no_gov,
        ],
    )
    text.put(
        idle_a & ~price_known,
        [*head_a, f"应按出让或者划拨价款的{text.rate}征缴土地闲置费，土地价款缺失，金额待补", text.no_gov],
    )
    text.put(
        (v.status == _IDLE) & rented & ~a.excepted,
        [
            *head_a,
            "第十四条第一款按土地出让或者划拨价款的百分之二十征缴，租赁供地不在其列，未计算闲置费",
        ],
    )


def _basis_excepted_recoverable_gov(
    text: _Basis, v: _Verdict, a: _TriggerA, not_started_facts: list[Part]
) -> None:
    """Explain the Art. 26 exception, recovery after two years (Art. 14 ¶2) and government causes (Art. 8)."""
    t = text.facts.as_of
    art26 = (
        "《城市房地产管理法》第二十六条：因动工开发必需的前期工作造成动工开发迟延的除外，"
        "不征收土地闲置费、不无偿收回"
    )
    text.put(
        a.excepted & (t < a.ann2),
        [f"{LAW}第二条第一款：", *not_started_facts, "，已满一年未满两年；", art26],
    )
    text.put(
        a.excepted & (t >= a.ann2),
        [f"{LAW}第二条第一款：", *not_started_facts, "，已满两年；", art26],
    )
    text.put(
        v.status == _RECOVERABLE,
        [
            f"{LAW}第二条第一款、第十四条第二款：",
            *not_started_facts,
            "，已满两年；可无偿收回国有建设用地使用权",
            text.no_gov,
        ],
    )
    gov_words = (
        "经核实属第八条情形（政府、政府有关部门的行为，或第二款自然灾害等不可抗力），"
        "不征缴闲置费，依第十二条协商处置"
    )
    text.put(
        a.gov_caused & (t >= a.ann2),
        [f"{LAW}第二条第一款、第八条、第十二条：", *not_started_facts, "，已满两年；" + gov_words],
    )
    text.put(
        a.gov_caused & (t < a.ann2),
        [f"{LAW}第二条第一款、第八条、第十二条：", *not_started_facts, "，已满一年；" + gov_words],
    )


def _basis_started(text: _Basis, b: _TriggerB) -> None:
    """Explain started land: stalled (Art. 2 ¶2), running, paused after the as-of day, or not stalled."""
    facts, as_of_zh = text.facts, text.as_of_zh
    actual_zh = _Lazy(format_date_zh, facts.date("actual_start_date"))
    susp_zh = _Lazy(format_date_zh, b.suspended_since)
    area_word = "已开发面积占应开发建设总面积" if not text.floor_basis else "已建总建筑面积占规划总建筑面积"
    dev_known, inv_known = ~np.isnan(b.dev_ratio), ~np.isnan(b.inv_ratio)
    ratio_parts: list[Part] = [
        np.where(dev_known, area_word, f"{area_word}未知").astype(object),
        _Lazy(_percent_or_blank, b.dev_ratio),
        np.where(b.dev_low, "（不足三分之一）", "").astype(object),
        np.where(inv_known, "、已投资额占总投资", "、已投资额占总投资未知").astype(object),
        _Lazy(_percent_or_blank, b.inv_ratio),
        np.where(b.inv_low, "（不足25%）", "").astype(object),
    ]
    pause_parts: list[Part] = ["已于", actual_zh, "动工，", susp_zh, "起中止开发建设"]
    text.put(
        b.stalled,
        [
            f"{LAW}第二条第二款：",
            *pause_parts,
            f"，截至{as_of_zh}已满一年；",
            *ratio_parts,
            "；可以认定为闲置土地，依第十二条规定的方式处置",
        ],
    )
    text.put(b.running & ~b.later_pause, ["已于", actual_zh, "动工，未中止开发建设"])
    text.put(
        b.later_pause,
        ["已于", actual_zh, f"动工，截至{as_of_zh}未中止开发建设（停工日期", susp_zh, "晚于评价日）"],
    )
    text.put(
        b.no_stall_test,
        ["已于", actual_zh, "动工；图层无停工日期字段，中止开发建设情形（第二条第二款）不在评价范围"],
    )
    text.put(b.short_pause, [*pause_parts, f"，截至{as_of_zh}未满一年"])
    text.put(b.cleared, [*pause_parts, "已满一年，但", *ratio_parts, "，未低于第二条第二款标准"])


def idle_out_of_scope(facts: Facts) -> list[dict[str, str]]:
    """Return the idle tests whose input is absent from the whole layer, listed once (contract §2.1).

    Without ``suspended_since`` the stalled-land test (Art. 2 ¶2) cannot run on any parcel: started
    parcels are judged on Art. 2 ¶1 alone and their basis says the stalled test was not evaluated.
    """
    if facts.has("suspended_since"):
        return []
    return [
        {
            "rule": "idle_stalled",
            "why": "missing suspended_since",
            "why_zh": "图层无停工日期（suspended_since）字段，中止开发建设闲置（第二条第二款）不在评价范围",
        }
    ]


def _fact_words(missing: np.ndarray, invalid: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Build the ``unknown`` basis once per distinct combination of lacking facts."""
    key = missing.astype(np.int64) << 20 | invalid.astype(np.int64)
    out = np.empty(len(key), dtype=object)
    for value in np.unique(key[rows]):
        miss, bad = int(value) >> 20, int(value) & ((1 << 20) - 1)
        parts = []
        if miss:
            parts.append("缺少" + "、".join(label for name, label in _FACTS if miss & _BIT[name]))
        if bad:
            parts.append(
                "数据有误（见数据问题表）：" + "、".join(label for name, label in _FACTS if bad & _BIT[name])
            )
        out[rows & (key == value)] = f"无法认定是否闲置：{'；'.join(parts) or '信息不足'}"
    return out

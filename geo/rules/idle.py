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
from geo.vocab import IDLE_STATUSES, UNSUPPLIED

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
    n = facts.n
    t = facts.as_of
    status = np.full(n, _UNKNOWN, dtype=np.int8)
    missing = np.zeros(n, dtype=np.int64)
    invalid = np.zeros(n, dtype=np.int64)

    def lacks(name: str, rows: np.ndarray) -> None:
        state = facts.state(name)
        missing[rows & ((state == MISSING_COLUMN) | (state == EMPTY))] |= _BIT[name]
        invalid[rows & (state == INVALID)] |= _BIT[name]

    supply = facts.text("supply_type")
    supplied = supply.isin(rules.supplied_types).to_numpy(dtype=bool)
    status[(supply == UNSUPPLIED).to_numpy(dtype=bool)] = _NA
    lacks("supply_type", ~supplied & (status != _NA))
    # a supply date set aside by the data checks (e.g. after the run date) puts the supply itself in doubt
    doubtful = supplied & (facts.state("supply_date") == INVALID)
    invalid[doubtful] |= _BIT["supply_date"]
    supplied = supplied & ~doubtful
    # evaluating at a past date (contract §3): what is dated after the as-of day had not happened yet
    supply_date = facts.date("supply_date")
    later_supply = supplied & (supply_date > t)
    status[later_supply] = _NA
    supplied = supplied & ~later_supply

    actual_state = facts.state("actual_start_date")
    actual = facts.date("actual_start_date")
    later_start = supplied & (actual_state == OK) & (actual > t)
    not_started = supplied & ((actual_state == EMPTY) | later_start)
    started = supplied & (actual_state == OK) & ~later_start
    lacks("actual_start_date", supplied & ~not_started & ~started)

    # --- Trigger A: not started one (two) full years after the agreed start date
    agreed = facts.date("agreed_start_date")
    ann1, ann2 = add_years(agreed, 1), add_years(agreed, 2)
    has_agreed = ~np.isnat(agreed)
    lacks("agreed_start_date", not_started & ~has_agreed)
    waiting = not_started & has_agreed & (t < ann1)
    overdue = not_started & has_agreed & (t >= ann1)
    gov, gov_known = facts.flag("gov_cause")
    gov_caused = overdue & gov & gov_known
    if rules.missing_gov_cause == "unknown":
        lacks("gov_cause", overdue & ~gov_known)
        no_cause = overdue & gov_known & ~gov
    else:
        no_cause = overdue & ~(gov & gov_known)
    # 城市房地产管理法 第二十六条: a delay caused by the necessary preparatory works excepts 出让 land
    prep, prep_known = facts.flag("preparatory_delay")
    excepted = no_cause & prep & prep_known & (supply == "出让").to_numpy(dtype=bool)
    status[waiting] = _NOT_IDLE
    status[gov_caused] = _GOV
    status[no_cause & ~excepted & (t >= ann2)] = _RECOVERABLE
    status[no_cause & (t < ann2)] = _IDLE
    status[excepted] = _IDLE

    # --- Trigger B: started, under 1/3 developed or 25 % invested, suspended a full year
    susp_state = facts.state("suspended_since")
    suspended_since = facts.date("suspended_since")
    # without a suspended_since column the stalled test is out of scope (listed once, contract §2.1)
    no_stall_test = started & (susp_state == MISSING_COLUMN)
    later_pause = started & (susp_state == OK) & (suspended_since > t)
    running = started & ((susp_state == EMPTY) | later_pause)
    lacks("suspended_since", started & (susp_state == INVALID))
    susp_ann1 = add_years(suspended_since, 1)
    paused = started & (susp_state == OK) & ~later_pause
    short_pause = paused & (t < susp_ann1)
    long_pause = paused & (t >= susp_ann1)
    floor_basis = rules.stalled_area_basis == "floor"
    area_basis = "planned_floor_area_m2" if floor_basis else "area_m2"
    developed = facts.num("gross_floor_area_m2" if floor_basis else "developed_area_m2")
    denominator = facts.num(area_basis)
    with np.errstate(divide="ignore", invalid="ignore"):
        dev_ratio = np.where(denominator > 0, developed / denominator, np.nan)
        invested, total = facts.num("invested_wan"), facts.num("total_investment_wan")
        inv_ratio = np.where(total > 0, invested / total, np.nan)
    dev_known, inv_known = ~np.isnan(dev_ratio), ~np.isnan(inv_ratio)
    dev_low = dev_known & (dev_ratio < rules.stalled_developed_share)
    inv_low = inv_known & (inv_ratio < rules.stalled_invest_share)
    stalled = long_pause & (dev_low | inv_low)
    cleared = long_pause & dev_known & inv_known & ~dev_low & ~inv_low
    undecided = long_pause & ~stalled & ~cleared
    if floor_basis:
        lacks("gross_floor_area_m2", undecided & ~dev_known)
        lacks("planned_floor_area_m2", undecided & ~dev_known)
    else:
        lacks("developed_area_m2", undecided & ~dev_known)
    lacks("invested_wan", undecided & ~inv_known)
    lacks("total_investment_wan", undecided & ~inv_known)
    status[running | short_pause | cleared | no_stall_test] = _NOT_IDLE
    status[stalled] = _STALLED

    # --- fee (Art. 14 ¶1) and the basis text
    price = facts.num("land_price_wan")
    rented = (supply == "租赁").to_numpy(dtype=bool)
    fee = np.where((status == _IDLE) & ~rented & ~excepted, rules.fee_rate * price, 0.0)
    basis = np.full(n, "", dtype=object)
    as_of_zh = format_date_zh(np.array([t]))[0]
    rate = f"{rules.fee_rate * 100:g}%"
    agreed_zh = _Lazy(format_date_zh, agreed)
    actual_zh = _Lazy(format_date_zh, facts.date("actual_start_date"))
    susp_zh = _Lazy(format_date_zh, suspended_since)
    area_word = "已开发面积占应开发建设总面积" if not floor_basis else "已建总建筑面积占规划总建筑面积"

    def put(mask: np.ndarray, parts: list[Part]) -> None:
        rows = np.flatnonzero(mask)
        if rows.size:
            basis[rows] = _join(parts, rows).to_numpy()

    late = np.full(n, "", dtype=object)
    if later_start.any():
        late[later_start] = (
            "（实际动工日期" + format_date_zh(actual[later_start]) + "晚于评价日，评价日尚未动工）"
        ).to_numpy(dtype=object)
    not_started_facts: list[Part] = ["约定动工日期", agreed_zh, f"，截至{as_of_zh}未动工", late]
    no_gov = np.full(n, "", dtype=object)
    if not facts.has("gov_cause"):  # contract §2.1: without the column no government cause is verified
        no_gov[:] = "；图层无政府原因字段，未核实存在政府原因（第八条）"
    put(status == _NA, [f"供地方式为未供，不适用{LAW}"])
    put(
        later_supply,
        [
            "供地日期",
            _Lazy(format_date_zh, supply_date),
            f"晚于评价日，截至{as_of_zh}尚未供地，不适用{LAW}",
        ],
    )
    put(waiting, [*not_started_facts, "，未满一年（满一年之日为", _Lazy(format_date_zh, ann1), "）"])
    price_known = ~np.isnan(price)
    idle_a = (status == _IDLE) & ~rented & ~excepted
    head_a = [f"{LAW}第二条第一款、第十四条第一款：", *not_started_facts, "，已满一年未满两年；"]
    put(
        idle_a & price_known,
        [
            *head_a,
            "按土地价款",
            _Lazy(format_amount, price),
            f"万元的{rate}征缴土地闲置费",
            _Lazy(format_amount, fee),
            "万元",
            no_gov,
        ],
    )
    put(
        idle_a & ~price_known,
        [*head_a, f"应按出让或者划拨价款的{rate}征缴土地闲置费，土地价款缺失，金额待补", no_gov],
    )
    put(
        (status == _IDLE) & rented & ~excepted,
        [
            *head_a,
            "第十四条第一款按土地出让或者划拨价款的百分之二十征缴，租赁供地不在其列，未计算闲置费",
        ],
    )
    art26 = (
        "《城市房地产管理法》第二十六条：因动工开发必需的前期工作造成动工开发迟延的除外，"
        "不征收土地闲置费、不无偿收回"
    )
    put(
        excepted & (t < ann2),
        [f"{LAW}第二条第一款：", *not_started_facts, "，已满一年未满两年；", art26],
    )
    put(
        excepted & (t >= ann2),
        [f"{LAW}第二条第一款：", *not_started_facts, "，已满两年；", art26],
    )
    put(
        status == _RECOVERABLE,
        [
            f"{LAW}第二条第一款、第十四条第二款：",
            *not_started_facts,
            "，已满两年；可无偿收回国有建设用地使用权",
            no_gov,
        ],
    )
    put(
        gov_caused & (t >= ann2),
        [
            f"{LAW}第二条第一款、第八条、第十二条：",
            *not_started_facts,
            "，已满两年；经核实属第八条情形（政府、政府有关部门的行为，或第二款自然灾害等不可抗力），"
            "不征缴闲置费，依第十二条协商处置",
        ],
    )
    put(
        gov_caused & (t < ann2),
        [
            f"{LAW}第二条第一款、第八条、第十二条：",
            *not_started_facts,
            "，已满一年；经核实属第八条情形（政府、政府有关部门的行为，或第二款自然灾害等不可抗力），"
            "不征缴闲置费，依第十二条协商处置",
        ],
    )
    ratio_parts: list[Part] = [
        np.where(dev_known, area_word, f"{area_word}未知").astype(object),
        _Lazy(_percent_or_blank, dev_ratio),
        np.where(dev_low, "（不足三分之一）", "").astype(object),
        np.where(inv_known, "、已投资额占总投资", "、已投资额占总投资未知").astype(object),
        _Lazy(_percent_or_blank, inv_ratio),
        np.where(inv_low, "（不足25%）", "").astype(object),
    ]
    pause_parts: list[Part] = ["已于", actual_zh, "动工，", susp_zh, "起中止开发建设"]
    put(
        stalled,
        [
            f"{LAW}第二条第二款：",
            *pause_parts,
            f"，截至{as_of_zh}已满一年；",
            *ratio_parts,
            "；可以认定为闲置土地，依第十二条规定的方式处置",
        ],
    )
    put(running & ~later_pause, ["已于", actual_zh, "动工，未中止开发建设"])
    put(
        later_pause,
        [
            "已于",
            actual_zh,
            f"动工，截至{as_of_zh}未中止开发建设（停工日期",
            susp_zh,
            "晚于评价日）",
        ],
    )
    put(
        no_stall_test,
        ["已于", actual_zh, "动工；图层无停工日期字段，中止开发建设情形（第二条第二款）不在评价范围"],
    )
    put(short_pause, [*pause_parts, f"，截至{as_of_zh}未满一年"])
    put(cleared, [*pause_parts, "已满一年，但", *ratio_parts, "，未低于第二条第二款标准"])

    unknown = status == _UNKNOWN
    if unknown.any():
        words = _fact_words(missing, invalid, unknown)
        basis[unknown] = words[unknown]

    return pd.DataFrame(
        {
            "idle_status": np.array(STATUSES, dtype=object)[status],
            "idle_basis": basis,
            "idle_fee_wan": fee,
        }
    )


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

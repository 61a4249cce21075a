"""Land uses, land records and constructed cases of the sample park's parcels.

The records are filled the way a park's 宗地 ledger is: an ordinary parcel first (supply, dates,
buildings, investment, tax, employees), then a small number of parcels are overwritten to show one
case each (an idle class of contract §3, a low-efficiency reason of contract §4, an exemption, or
a near miss that must *not* be flagged). Every draw comes from one seeded generator, in a fixed
order, so the same seed gives the same ledger.

Economic figures are anchored on the national zone averages of domain.md §3.4 (industrial plot
ratio 0.93, fixed-asset intensity 8 984 万元/ha, tax 679 万元/ha) and the plot-ratio floors of
domain.md §4.2 table 2; see :mod:`data.sample_params` for every range.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from data import sample_params as sp
from geo.schema import CANONICAL_COLUMNS
from geo.units import M2_PER_MU

NAT = np.datetime64("NaT", "D")
TAX_MEAN_WAN_PER_MU = sp.NATIONAL_TAX_WAN_PER_HA / 15.0

#: facility parcels placed in the public/mixed zone: (planned code, facility type, name, target 亩)
PUBLIC_MIXED_FACILITIES = (
    ("0801", "admin", "玉林高新区管理委员会", 20.0),
    ("080602", "clinic", "高新区社区卫生服务站", 6.0),
    ("1310", "fire_station", "高新区消防救援站", 6.5),
    ("1303", "substation", "110kV科园变电站", 7.5),
    ("0805", "sports", "高新区全民健身中心", 20.0),
    ("080404", "kindergarten", "高新区第二幼儿园", 5.0),
    ("080701", "elderly_care", "高新区颐养院", 6.0),
    ("0702", "canteen", "高新区邻里中心职工食堂", 5.0),
    ("1401", "park", "创新公园", 25.0),
    ("0802", "", "广西玉林高新区产业技术研究院", 12.0),
    ("0802", "", "玉林新材料检验检测中心", 9.0),
    ("0802", "", "玉林智能装备研发中心", 10.0),
)
RESIDENTIAL_FACILITIES = (
    ("080403", "school", "玉林高新区实验小学", 35.0),
    ("080404", "kindergarten", "高新区第一幼儿园", 8.0),
    ("0702", "community_centre", "锦园社区综合服务中心", 9.0),
)
COMMERCIAL_FACILITIES = (("0702", "canteen", "智造小镇职工食堂", 5.0),)
COMMERCIAL_CODES = (("090101", 0.35), ("090103", 0.2), ("090104", 0.15), ("0902", 0.3))
COMMERCIAL_INDUSTRY = {"090101": "65", "090103": "67", "090104": "66", "0902": "74"}
MISMATCH_PLANNED = ("0702", "0801", "070102", "090101")
PUBLIC_CODES = ("0801", "080602", "1310", "1303", "0805", "080404", "080403", "080701", "0702", "0802")
LOW_EFF_CASES = (
    "far_below_min",
    "coef_below_min",
    "admin_over_max",
    "green_over_max",
    "invest_below_min",
    "tax_below_avg_share",
    "policy_eliminated",
    "dangerous_building",
    "use_mismatch",
    "rs_unbuilt",
)
IDLE_CASES = ("idle", "idle_recoverable", "idle_gov_caused", "unknown", "not_idle_recent_agreed")
STALLED_CASES = ("idle_stalled", "not_idle_short_suspension")
EXEMPT_CASES = ("exempt_new_production", "exempt_above_scale", "exempt_high_tech")


@dataclass
class Records:
    """The parcel ledger and what was built into it."""

    frame: pd.DataFrame  # canonical columns (no geometry) + helper columns prefixed ``_``
    cases: dict[str, list[str]] = field(default_factory=dict)  # case -> parcel ids


def _days(rng: np.random.Generator, lo: int, hi: int, n: int) -> np.ndarray:
    return rng.integers(lo, hi + 1, size=n).astype("timedelta64[D]")


def _dates(rng: np.random.Generator, lo: str, hi: str, n: int) -> np.ndarray:
    a, b = np.datetime64(lo, "D"), np.datetime64(hi, "D")
    return a + rng.integers(0, int((b - a).astype(int)) + 1, size=n).astype("timedelta64[D]")


def _add_years(d: np.ndarray, years: np.ndarray | int) -> np.ndarray:
    """Shift dates to the same month and day ``years`` later (29 February → 28 February), NaT stays NaT."""
    out = np.full(d.shape, NAT)
    years = np.broadcast_to(np.asarray(years), d.shape)
    for i in np.flatnonzero(~np.isnat(d)):  # a few hundred dates, once per build
        day = d[i].astype(dt.date)
        target_year = day.year + int(years[i])
        try:
            out[i] = np.datetime64(day.replace(year=target_year), "D")
        except ValueError:
            out[i] = np.datetime64(dt.date(target_year, 2, 28), "D")
    return out


def _nullable_bool(values: np.ndarray, missing: np.ndarray) -> pd.arrays.BooleanArray:
    """Return a pandas nullable boolean array, ``<NA>`` where ``missing``."""
    out: list[bool | None] = [None if m else bool(v) for v, m in zip(values, missing, strict=True)]
    return pd.array(out, dtype="boolean")


def assign_uses(
    zones: np.ndarray, area_m2: np.ndarray, cx: np.ndarray, rng: np.random.Generator
) -> pd.DataFrame:
    """Give every parcel a role, a planned use (2023 用地用海 code) and, for facilities, a type and name.

    Roles: ``industrial``, ``warehouse``, ``commercial``, ``residential``, ``public``, ``green``,
    ``research`` and ``unsupplied``.
    """
    n = len(zones)
    mu = area_m2 / M2_PER_MU
    role = np.full(n, "", dtype=object)
    planned = np.full(n, "", dtype=object)
    ftype = np.full(n, "", dtype=object)
    fname = np.full(n, "", dtype=object)

    def place(pool: np.ndarray, items: tuple[tuple[str, str, str, float], ...]) -> np.ndarray:
        free = pool.copy()
        for code, kind, name, target in items:
            pick = free[np.argmin(np.abs(mu[free] - target))]
            planned[pick], ftype[pick], fname[pick] = code, kind, name
            role[pick] = "research" if code == "0802" else ("green" if code == "1401" else "public")
            free = free[free != pick]
        return free

    codes = np.array([c for c, _ in COMMERCIAL_CODES])
    weights = np.array([w for _, w in COMMERCIAL_CODES])

    res = np.flatnonzero(zones == "residential")
    rest = place(res, RESIDENTIAL_FACILITIES)
    planned[rest], role[rest] = "070102", "residential"

    pub = np.flatnonzero(zones == "public_mixed")
    rest = place(pub, PUBLIC_MIXED_FACILITIES)
    kind = rng.choice(np.array(["commercial", "research", "green"]), size=len(rest), p=[0.6, 0.25, 0.15])
    planned[rest], role[rest] = rng.choice(codes, size=len(rest), p=weights), "commercial"
    planned[rest[kind == "research"]], role[rest[kind == "research"]] = "0802", "research"
    planned[rest[kind == "green"]], role[rest[kind == "green"]] = "1401", "green"

    com = np.flatnonzero(zones == "commercial")
    rest = place(com, COMMERCIAL_FACILITIES)
    planned[rest], role[rest] = rng.choice(codes, size=len(rest), p=weights), "commercial"

    ind = np.flatnonzero(zones == "industrial")
    planned[ind] = np.where(cx[ind] - sp.ORIGIN_E > 2450.0, "100102", "100101")
    role[ind] = "industrial"
    small = ind[mu[ind] < 10.0]
    planned[small], role[small] = "1402", "green"

    wh = np.flatnonzero(zones == "warehouse")
    planned[wh] = rng.choice(np.array(["110101", "110102"]), size=len(wh), p=[0.7, 0.3])
    role[wh] = "warehouse"

    gr = np.flatnonzero(zones == "green_reserve")
    park = gr[cx[gr] - sp.ORIGIN_E < 600.0]
    planned[park], role[park] = "1401", "green"
    main = park[np.argmax(mu[park])]
    ftype[main], fname[main] = "park", "南流江滨江公园"
    other = gr[cx[gr] - sp.ORIGIN_E >= 600.0]
    planned[other], role[other] = "16", "unsupplied"

    rsv = np.flatnonzero(zones == "reserve")
    planned[rsv] = rng.choice(np.array(["100101", "16"]), size=len(rsv), p=[0.65, 0.35])
    role[rsv] = "unsupplied"
    return pd.DataFrame({"_role": role, "planned_use": planned, "_facility": ftype, "_facility_name": fname})


def _company_names(rng: np.random.Generator, words: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return unique 玉林-style company names and short brands for the given industry words."""
    n = len(words)
    brands = np.array(sp.BRANDS, dtype=object)
    prefixes = np.array(["玉林市", "广西", "玉林", "广西玉林"], dtype=object)
    suffixes = np.array(["有限公司", "有限公司", "股份有限公司", "有限责任公司"], dtype=object)
    used: set[str] = set()
    names = np.empty(n, dtype=object)
    short = np.empty(n, dtype=object)
    order = rng.permutation(len(brands) * 4)
    k = 0
    for i in range(n):  # a few hundred names, once per build
        while True:
            brand = brands[order[k % len(order)] % len(brands)]
            k += 1
            if f"{brand}{words[i]}" not in used or k > 10 * len(order):
                break
        used.add(f"{brand}{words[i]}")
        names[i] = f"{prefixes[k % 4]}{brand}{words[i]}{suffixes[(k // 4) % 4]}"
        short[i] = f"{brand}{words[i]}"
    return names, short


def build_records(
    uses: pd.DataFrame,
    area_m2: np.ndarray,
    parcel_ids: np.ndarray,
    near_residential: np.ndarray,
    tiny: np.ndarray,
    rng: np.random.Generator,
) -> Records:
    """Fill every canonical column for every parcel and build the cases.

    Parameters
    ----------
    uses : DataFrame
        Output of :func:`assign_uses` (one row per parcel, same order).
    area_m2 : ndarray
        Parcel areas from the geometry.
    parcel_ids : ndarray
        ``YL-GX-0001`` ...
    near_residential : ndarray
        Distance (m) of each parcel to the residential and public zones; the use-mismatch cases
        (退二进三 land next to the new town) are the industrial parcels nearest to them.
    tiny : ndarray of bool
        The 10 kV substation plots carved out of industrial parcels.
    rng : Generator
        The build's random generator.

    Returns
    -------
    Records
        The ledger (canonical columns plus helper columns prefixed ``_``) and the case lists.

    """
    n = len(parcel_ids)
    role = uses["_role"].to_numpy(dtype=object).copy()
    planned = uses["planned_use"].to_numpy(dtype=object).copy()
    mu = area_m2 / M2_PER_MU
    ha = area_m2 / 1e4

    role[tiny] = "public"
    planned[tiny] = "1303"

    # ---- a share of industrial and commercial land is still unsupplied (储备) ---------------------
    ind = np.flatnonzero(role == "industrial")
    unsup = rng.choice(ind, size=round(0.07 * len(ind)), replace=False)
    role[unsup] = "unsupplied_industrial"
    com = np.flatnonzero(role == "commercial")
    role[rng.choice(com, size=5, replace=False)] = "unsupplied_commercial"
    unsupplied = np.isin(role, ["unsupplied", "unsupplied_industrial", "unsupplied_commercial"])

    # ---- cases -----------------------------------------------------------------------------------------
    case = np.full(n, "", dtype=object)
    pool_ind = np.flatnonzero((role == "industrial") & ~tiny)
    pool_idle = np.flatnonzero(np.isin(role, ["industrial", "warehouse"]) & ~tiny)
    # use mismatch: the industrial parcels nearest the new town
    mism = pool_ind[np.argsort(near_residential[pool_ind], kind="stable")[: sp.CASE_COUNTS["use_mismatch"]]]
    case[mism] = "use_mismatch"
    for case_name in (*IDLE_CASES, *STALLED_CASES, "lease_expired"):
        free = pool_idle[case[pool_idle] == ""]
        case[rng.choice(free, size=sp.CASE_COUNTS[case_name], replace=False)] = case_name
    for case_name in (*LOW_EFF_CASES, *EXEMPT_CASES):
        if case_name == "use_mismatch":
            continue
        free = pool_ind[case[pool_ind] == ""]
        case[rng.choice(free, size=sp.CASE_COUNTS[case_name], replace=False)] = case_name

    # ordinary states of the rest: most parcels are built and in use
    state = np.where(unsupplied, "unsupplied", "operating").astype(object)
    free_ent = np.flatnonzero(np.isin(role, ["industrial", "warehouse", "commercial"]) & (case == "") & ~tiny)
    cons = rng.choice(free_ent, size=round(0.05 * len(free_ent)), replace=False)
    state[cons] = "construction"
    free_ent = free_ent[~np.isin(free_ent, cons)]
    state[rng.choice(free_ent, size=round(0.03 * len(free_ent)), replace=False)] = "pending"
    resid = np.flatnonzero(role == "residential")
    state[rng.choice(resid, size=2, replace=False)] = "construction"
    idle_like = np.isin(case, IDLE_CASES)
    stalled_like = np.isin(case, STALLED_CASES)
    state[idle_like] = "not_started"
    state[stalled_like] = "stalled"
    planned[case == "use_mismatch"] = np.resize(
        np.array(MISMATCH_PLANNED, dtype=object), int((case == "use_mismatch").sum())
    )

    # ---- industry codes -----------------------------------------------------------------------------
    codes = np.array(list(sp.INDUSTRIES), dtype=object)
    w = np.array([v[2] for v in sp.INDUSTRIES.values()])
    is_ind = np.isin(role, ["industrial", "unsupplied_industrial"]) & ~tiny
    industry = np.full(n, None, dtype=object)
    industry[is_ind] = rng.choice(codes, size=int(is_ind.sum()), p=w / w.sum())
    industry[role == "unsupplied_industrial"] = None
    elim = case == "policy_eliminated"
    industry[elim] = np.resize(np.array(sp.ELIMINATED_INDUSTRIES, dtype=object), int(elim.sum()))
    ht_case = case == "exempt_high_tech"
    industry[ht_case] = np.resize(np.array(["40", "39", "27"], dtype=object), int(ht_case.sum()))
    industry[role == "warehouse"] = "58"
    is_com = role == "commercial"
    industry[is_com] = [COMMERCIAL_INDUSTRY[c] for c in planned[is_com]]
    industry[role == "research"] = "75"
    industry[role == "residential"] = "72"
    is_ent = np.isin(role, ["industrial", "warehouse", "commercial"]) & ~tiny
    # the floor a plant is built to: the highest 2008 floor of the 2002 codes that share its 2017
    # division (29 橡胶 0.8 and 30 塑料 1.0 are both 29 in the ledger), so it meets every reading
    far_floor = np.array([sp.generation_floor(c) if c in sp.INDUSTRIES else np.nan for c in industry])

    # ---- land use (current) -------------------------------------------------------------------------
    land_use = planned.copy()
    land_use[case == "use_mismatch"] = "100101"
    land_use[unsupplied] = "23"

    # ---- supply ------------------------------------------------------------------------------------------
    supply_type = np.full(n, "出让", dtype=object)
    supply_type[np.isin(role, ["public", "green"])] = "划拨"
    supply_type[unsupplied] = "未供"
    leased = (role == "industrial") & (case == "") & (rng.random(n) < 0.06)
    supply_type[leased | (case == "lease_expired")] = "租赁"

    supply = np.full(n, NAT)
    lo_hi = {
        "industrial": ("2008-01-01", "2021-06-30"),
        "warehouse": ("2009-01-01", "2021-06-30"),
        "commercial": ("2011-01-01", "2021-06-30"),
        "research": ("2012-01-01", "2020-12-31"),
        "residential": ("2010-01-01", "2019-12-31"),
        "public": ("2006-01-01", "2019-12-31"),
        "green": ("2008-01-01", "2019-12-31"),
    }
    for r, (first, last) in lo_hi.items():
        m = (role == r) & (state == "operating")
        supply[m] = _dates(rng, first, last, int(m.sum()))
    case_base = np.isin(case, [*LOW_EFF_CASES, "exempt_above_scale", "exempt_high_tech"])
    supply[case_base] = _dates(rng, "2008-01-01", "2018-06-30", int(case_base.sum()))
    supply[case == "dangerous_building"] = _dates(
        rng, "2006-01-01", "2011-12-31", int((case == "dangerous_building").sum())
    )
    supply[case == "exempt_new_production"] = _dates(
        rng, "2021-03-01", "2022-03-31", int((case == "exempt_new_production").sum())
    )
    supply[case == "lease_expired"] = _dates(
        rng, "2010-01-01", "2014-12-31", int((case == "lease_expired").sum())
    )
    m = state == "construction"
    supply[m] = _dates(rng, "2023-06-01", "2024-12-31", int(m.sum()))

    agreed = supply + _days(rng, 60, 180, n)
    agreed_done = agreed + _days(rng, 540, 900, n)
    actual = agreed + _days(rng, -30, 150, n)
    actual[state == "construction"] = np.minimum(
        agreed[state == "construction"] + _days(rng, -20, 200, int((state == "construction").sum())),
        np.datetime64("2026-06-01", "D"),
    )
    # pending: agreed start less than a year before as-of, or still ahead
    m = state == "pending"
    agreed[m] = _dates(rng, "2025-08-01", "2026-10-31", int(m.sum()))
    # idle family: the agreed start decides the class (anniversaries at as-of 2026-06-30)
    windows = {
        "idle": ("2024-07-01", "2025-06-15"),
        "idle_recoverable": ("2021-03-01", "2024-06-01"),
        "idle_gov_caused": ("2022-01-01", "2025-05-31"),
        "not_idle_recent_agreed": ("2025-07-02", "2026-03-31"),
        "idle_stalled": ("2019-06-01", "2022-06-30"),
        "not_idle_short_suspension": ("2020-06-01", "2023-06-30"),
    }
    for window_case, (first, last) in windows.items():
        m = case == window_case
        agreed[m] = _dates(rng, first, last, int(m.sum()))
    # anniversary edges: exactly the first and second anniversaries, and 29 February
    for edge_case, edge in (("idle", ["2025-06-30"]), ("idle_recoverable", ["2024-06-30", "2024-02-29"])):
        idx = np.flatnonzero(case == edge_case)[: len(edge)]
        agreed[idx] = np.array(edge, dtype="datetime64[D]")
    not_started = state == "not_started"
    supply[not_started | (state == "pending")] = agreed[not_started | (state == "pending")] - _days(
        rng, 60, 240, int((not_started | (state == "pending")).sum())
    )
    m = case == "unknown"
    supply[m] = _dates(rng, "2021-01-01", "2023-12-31", int(m.sum()))
    agreed[m] = NAT
    stalled = state == "stalled"
    supply[stalled] = agreed[stalled] - _days(rng, 60, 180, int(stalled.sum()))
    actual[stalled] = agreed[stalled] + _days(rng, 0, 120, int(stalled.sum()))
    agreed_done = np.where(np.isnat(agreed), NAT, agreed + _days(rng, 540, 900, n))
    actual[not_started | (state == "pending") | unsupplied] = NAT
    m = case == "exempt_new_production"
    actual[m] = agreed[m] + _days(rng, 0, 60, int(m.sum()))
    suspended = np.full(n, NAT)
    m = case == "idle_stalled"
    suspended[m] = _dates(rng, "2022-06-01", "2025-06-20", int(m.sum()))
    suspended[np.flatnonzero(m)[0]] = np.datetime64("2025-06-30", "D")  # exactly one full year
    m = case == "not_idle_short_suspension"
    suspended[m] = _dates(rng, "2025-08-01", "2026-04-30", int(m.sum()))
    for arr in (supply, agreed, agreed_done):
        arr[unsupplied] = NAT
    gov_cause = _nullable_bool(case == "idle_gov_caused", unsupplied)

    lease_years = np.select(
        [role == "residential", role == "commercial", np.isin(role, ["industrial", "warehouse", "research"])],
        [70, 40, 50],
        0,
    )
    lease_years = np.where(supply_type == "租赁", 20, lease_years)
    lease_years = np.where(case == "lease_expired", 10, lease_years)
    lease_end = _add_years(supply, lease_years)
    lease_end[(supply_type == "划拨") | unsupplied] = NAT

    # ---- buildings --------------------------------------------------------------------------------------
    def u(lo: float, hi: float) -> np.ndarray:
        return rng.uniform(lo, hi, size=n)

    far = np.select(
        [
            np.isin(role, ["industrial"]),
            role == "warehouse",
            np.isin(role, ["commercial", "research"]),
            role == "residential",
            role == "public",
            role == "green",
        ],
        [far_floor * u(*sp.FAR_FACTOR), u(0.9, 1.6), u(1.5, 3.2), u(1.8, 2.8), u(0.6, 1.5), u(0.01, 0.03)],
        np.nan,
    )
    coef = np.select(
        [
            role == "industrial",
            role == "warehouse",
            np.isin(role, ["commercial", "research"]),
            role == "residential",
            role == "public",
            role == "green",
        ],
        [u(*sp.COEF_RANGE), u(0.45, 0.6), u(0.3, 0.45), u(0.18, 0.28), u(0.2, 0.35), u(0.01, 0.03)],
        np.nan,
    )
    admin = np.where(np.isin(role, ["industrial", "warehouse"]), u(*sp.ADMIN_RANGE), np.nan)
    green = np.select(
        [
            role == "industrial",
            role == "warehouse",
            np.isin(role, ["commercial", "research"]),
            np.isin(role, ["residential", "public"]),
            role == "green",
        ],
        [u(*sp.GREEN_RANGE), u(0.05, 0.15), u(0.15, 0.25), u(0.30, 0.40), u(0.70, 0.90)],
        np.nan,
    )
    # tiny substations: one small kiosk on a fenced plot
    far[tiny], coef[tiny], green[tiny] = 0.3, 0.3, 0.0
    lowfar = np.isin(case, ["far_below_min", *EXEMPT_CASES])
    far[lowfar] = far_floor[lowfar] * u(*sp.CASE_FAR_FACTOR)[lowfar]
    coef[lowfar] = u(0.42, 0.5)[lowfar]
    m = case == "coef_below_min"
    far[m] = far_floor[m] * u(1.05, 1.2)[m]
    coef[m] = u(*sp.CASE_COEF)[m]
    m = case == "admin_over_max"
    admin[m] = u(*sp.CASE_ADMIN)[m]
    m = case == "green_over_max"
    green[m] = u(*sp.CASE_GREEN)[m]
    coef[m] = u(0.42, 0.5)[m]
    developed = area_m2 * u(0.92, 1.0)

    # not started: nothing built; stalled: some foundations and a frame; under construction: unknown yet
    # not started after the agreed date: nothing built (0); recently supplied or being built: no
    # completed-building record yet (empty)
    zero = not_started | (state == "pending")
    in_window = (state == "pending") | (case == "not_idle_recent_agreed")  # still before the deadline
    for arr in (far, coef, admin, green):
        arr[not_started] = 0.0
        arr[unsupplied | in_window | (state == "construction")] = np.nan
    developed[zero] = 0.0
    developed[unsupplied] = np.nan
    developed[state == "construction"] = (
        area_m2[state == "construction"] * u(0.2, 0.8)[state == "construction"]
    )
    k = np.flatnonzero(stalled)
    # which arm of Art. 2 ¶2 holds: 0 = little land developed, 1 = little invested, 2 = both
    arm = np.full(n, 2)
    arm[case == "idle_stalled"] = np.arange(int((case == "idle_stalled").sum())) % 3
    dev_ratio = np.where(arm[k] == 1, u(0.40, 0.70)[k], u(*sp.STALLED_DEVELOPED)[k])
    inv_ratio = np.where(arm[k] == 0, u(0.30, 0.60)[k], u(*sp.STALLED_INVESTED)[k])
    developed[k] = area_m2[k] * dev_ratio
    coef[k] = dev_ratio * u(0.2, 0.4)[k]
    far[k] = coef[k] * u(0.5, 1.0)[k]
    admin[k], green[k] = 0.0, 0.0

    floor_area = far * area_m2
    footprint = coef * area_m2
    # a stalled site's frames and foundations are not yet surveyed floor area (no 竣工验收)
    floor_area[stalled] = np.nan
    footprint[stalled] = np.nan
    admin_area = admin * area_m2
    green_area = green * area_m2

    # ---- money -------------------------------------------------------------------------------------------
    price_kind = np.select(
        [
            np.isin(role, ["industrial", "research"]),
            role == "warehouse",
            role == "commercial",
            role == "residential",
        ],
        ["industrial", "warehouse", "commercial", "residential"],
        "public",
    )
    price = np.zeros(n)
    for price_class, (lo, hi) in sp.LAND_PRICE_WAN_PER_MU.items():
        m = price_kind == price_class
        price[m] = rng.uniform(lo, hi, size=int(m.sum()))
    land_price = np.round(price * mu, 1)
    land_price[unsupplied] = np.nan

    intensity = np.clip(
        sp.NATIONAL_INVEST_WAN_PER_HA * np.exp(rng.normal(-0.5 * sp.INVEST_SIGMA**2, sp.INVEST_SIGMA, n)),
        *sp.INVEST_CLIP,
    )
    intensity = np.where(role == "warehouse", u(4_200.0, 7_000.0), intensity)
    m = case == "invest_below_min"
    intensity[m] = u(*sp.CASE_INVEST_WAN_PER_HA)[m]
    # fixed_assets_wan is the ledger's 厂房、设备 investment without the land price: the control-indicator
    # 投资强度 = (fixed_assets_wan + land_price_wan) / ha is then the drawn intensity
    fixed_assets = np.where(is_ent, intensity * ha - land_price, np.nan)
    construction_cost = floor_area * np.where(role == "residential", 0.45, 0.35)  # 万元 per m²
    fixed_assets = np.where(role == "commercial", construction_cost, fixed_assets)
    invested = np.where(
        is_ent, np.maximum(fixed_assets, 0.1 * (fixed_assets + land_price)), construction_cost
    )
    total_inv = invested * u(0.97, 1.12)
    # planned totals for land not finished yet; invested so far is a share of it
    planned_total = intensity * ha - land_price
    pre = zero | stalled | (state == "construction")
    total_inv[pre] = np.maximum(planned_total[pre], 1_000.0 * ha[pre])
    share = np.select([zero, state == "construction"], [u(0.0, 0.06), u(0.2, 0.7)], 0.0)
    share[k] = inv_ratio
    invested[pre] = total_inv[pre] * share[pre]
    fixed_assets[pre] = np.where(is_ent[pre], invested[pre], np.nan)
    fixed_assets[in_window] = np.nan  # not yet in the 亩均 statistics
    for arr in (fixed_assets, invested, total_inv):
        arr[unsupplied] = np.nan
    total_inv[np.isin(role, ["public", "green"]) & (state == "operating")] = (
        construction_cost[np.isin(role, ["public", "green"]) & (state == "operating")]
        + 50.0 * ha[np.isin(role, ["public", "green"]) & (state == "operating")]
    )
    invested[np.isin(role, ["public", "green"])] = (
        total_inv[np.isin(role, ["public", "green"])] * u(0.97, 1.0)[np.isin(role, ["public", "green"])]
    )
    fixed_assets[np.isin(role, ["public", "green"])] = np.nan

    # ---- production: tax, revenue, energy, people ---------------------------------------------------------
    producing = is_ent & (state == "operating")
    tax_mu = TAX_MEAN_WAN_PER_MU * np.clip(
        np.exp(rng.normal(-0.5 * sp.TAX_SIGMA**2, sp.TAX_SIGMA, n)), *sp.TAX_CLIP
    )
    tax_mu = np.select(
        [role == "warehouse", role == "commercial"],
        [TAX_MEAN_WAN_PER_MU * u(0.62, 1.0), TAX_MEAN_WAN_PER_MU * u(0.9, 2.2)],
        tax_mu,
    )
    tax_share = u(*sp.TAX_SHARE_OF_REVENUE)
    tax = tax_mu * mu
    revenue = tax / tax_share
    small = np.isin(case, [*LOW_EFF_CASES, "exempt_new_production", "exempt_high_tech"])
    revenue[small] = u(*sp.CASE_SMALL_REVENUE_WAN)[small]
    tax[small] = revenue[small] * tax_share[small]
    m = case == "exempt_above_scale"
    revenue[m] = np.maximum(revenue[m], 2_500.0)
    tax[m] = np.maximum(tax[m], revenue[m] * tax_share[m])
    value_added = revenue * np.where(role == "industrial", u(0.18, 0.32), u(0.3, 0.5))
    energy = revenue / np.select(
        [role == "industrial", role == "warehouse"], [u(1.2, 4.0), u(6.0, 12.0)], u(8.0, 15.0)
    )
    per_ha = np.zeros(n)
    for staff_class, (lo, hi) in sp.EMPLOYEES_PER_HA.items():
        m = role == staff_class
        per_ha[m] = rng.uniform(lo, hi, size=int(m.sum()))
    employees = np.maximum(np.round(per_ha * ha), 8.0)
    employees[small] = np.round(employees[small] * 0.6)
    high_tech_p = np.where(np.isin(industry, sp.HIGH_TECH_INDUSTRIES), 0.30, 0.05)
    high_tech = (role == "industrial") & (rng.random(n) < high_tech_p) & (case == "")
    high_tech |= ht_case
    rd = revenue * np.where(high_tech, u(0.03, 0.06), u(0.005, 0.02))
    rd = np.where(role == "industrial", rd, np.nan)
    threshold = np.array(
        [
            sp.ABOVE_SCALE_REVENUE_WAN.get(
                c or "", sp.ABOVE_SCALE_SERVICES_WAN if c in ("74", "75") else sp.ABOVE_SCALE_DEFAULT_WAN
            )
            for c in industry
        ]
    )
    above = revenue >= threshold
    prod_year = (actual + _days(rng, 365, 800, n)).astype("datetime64[Y]").astype(int) + 1970
    prod_year = prod_year.astype(float)
    m = case == "exempt_new_production"
    prod_year[m] = rng.choice([2024.0, 2025.0], size=int(m.sum()))
    for arr in (tax, revenue, value_added, energy, employees, rd, prod_year):
        arr[~producing] = np.nan
    public_staff = np.isin(role, ["public", "research"]) & (state == "operating") & ~tiny
    employees[public_staff] = np.maximum(np.round(ha[public_staff] * u(20.0, 60.0)[public_staff]), 6.0)
    above_scale = _nullable_bool(above & producing, ~(is_ent & ~unsupplied))
    high_tech_arr = _nullable_bool(high_tech & producing, ~(is_ent & ~unsupplied))

    # ---- policy class and building safety ------------------------------------------------------------------
    policy = np.full(n, None, dtype=object)
    policy[is_ent] = "允许"
    enc = is_ent & (np.isin(industry, sp.ENCOURAGED_INDUSTRIES) | high_tech) & (rng.random(n) < 0.7)
    policy[enc] = "鼓励"
    restricted = is_ent & np.isin(industry, sp.RESTRICTED_INDUSTRIES) & (rng.random(n) < 0.3) & (case == "")
    policy[restricted] = "限制"
    idx = np.flatnonzero(elim)
    policy[idx] = np.where(np.arange(len(idx)) == 0, "禁止", "淘汰")
    policy[np.isin(case, [c for c in LOW_EFF_CASES if c != "policy_eliminated"]) & (policy == "鼓励")] = (
        "允许"
    )
    built = (state == "operating") & ~tiny
    grade = np.full(n, None, dtype=object)
    grade[built] = np.where(rng.random(int(built.sum())) < 0.6, "A", "B")
    idx = np.flatnonzero(case == "dangerous_building")
    grade[idx] = np.where(np.arange(len(idx)) % 2 == 0, "C", "D")

    # ---- names ---------------------------------------------------------------------------------------------
    words = np.array(
        [
            sp.INDUSTRIES[c][1] if c in sp.INDUSTRIES else sp.SERVICE_WORDS.get(c or "", "实业")
            for c in industry
        ],
        dtype=object,
    )
    named = np.flatnonzero(
        np.isin(role, ["industrial", "warehouse", "commercial", "residential", "research"])
    )
    ent_names, short = _company_names(rng, words[named])
    enterprise = np.full(n, None, dtype=object)
    name = np.full(n, None, dtype=object)
    enterprise[named] = ent_names
    name[named] = [f"{s}项目" for s in short]
    fac = uses["_facility_name"].to_numpy(dtype=object)
    research = np.flatnonzero((role == "research") & (fac != ""))
    enterprise[research] = fac[research]
    name[research] = fac[research]
    pub = np.flatnonzero(np.isin(role, ["public", "green"]))
    name[pub] = np.where(fac[pub] != "", fac[pub], "防护绿地")
    enterprise[pub] = np.where(
        planned[pub] == "1303",
        "广西电网有限责任公司玉林供电局",
        np.where(fac[pub] != "", fac[pub], "玉林高新区管理委员会"),
    )
    enterprise[pub[np.isin(planned[pub], ["1401", "1402", "0801"])]] = "玉林高新区管理委员会"
    name[tiny] = [f"10kV开闭所{i + 1}号" for i in range(int(tiny.sum()))]
    idx = np.flatnonzero(unsupplied)
    name[idx] = [f"储备地块{pid[-4:]}" for pid in parcel_ids[idx]]
    enterprise[unsupplied] = None

    # ---- columns of the rule book v2 (deterministic: no draws, so the rest of the park is unchanged) --
    # 建筑基底面积 (buildings only) is below the 建筑系数 numerator where structures and yards are part of it
    yard_share = np.select([role == "industrial", role == "warehouse"], [0.85, 0.80], 1.0)
    building_footprint = footprint * yard_share
    # 总建筑面积 ≥ 计容建筑面积 where underground floors are not counted (商服、住宅 parking)
    gross_floor = floor_area * np.where(np.isin(role, ["commercial", "residential"]), 1.08, 1.0)
    planned_floor = np.where(
        is_ent & ~unsupplied, area_m2 * np.fmax(np.nan_to_num(far, nan=0.0), 1.2), np.nan
    )
    # 城市房地产管理法 第二十六条: one 出让 idle parcel whose delay the preparatory works caused
    prep = np.zeros(n, dtype=bool)
    idle_sold = np.flatnonzero((case == "idle") & (supply_type == "出让"))
    prep[idle_sold[:1]] = True
    preparatory = _nullable_bool(prep, unsupplied)
    # idle-land disposal ledger: the idle cases are recorded (gov-caused ones under negotiation), and two
    # operating plants were idle land disposed of in 2025 by an extended start date (Art. 12)
    disposal = np.full(n, None, dtype=object)
    disposal[np.isin(case, ["idle", "idle_recoverable", "idle_stalled"])] = "未处置"
    disposal[case == "idle_gov_caused"] = "处置中"
    plain = np.flatnonzero((role == "industrial") & (state == "operating") & (case == ""))
    disposal[plain[:2]] = "已处置"
    disposal_date = np.full(n, None, dtype=object)
    disposal_date[plain[:2]] = ["2025-03-18", "2025-09-30"][: len(plain[:2])]

    frame = pd.DataFrame(
        {
            "parcel_id": parcel_ids,
            "name": name,
            "enterprise": enterprise,
            "land_use": land_use,
            "planned_use": planned,
            "supply_type": supply_type,
            "supply_date": supply,
            "lease_end_date": lease_end,
            "agreed_start_date": agreed,
            "agreed_completion_date": agreed_done,
            "actual_start_date": actual,
            "suspended_since": suspended,
            "gov_cause": gov_cause,
            "developed_area_m2": np.round(developed, 1),
            "total_investment_wan": np.round(total_inv, 1),
            "invested_wan": np.round(invested, 1),
            "land_price_wan": land_price,
            "floor_area_m2": np.round(floor_area, 1),
            "footprint_m2": np.round(footprint, 1),
            "admin_area_m2": np.round(admin_area, 1),
            "green_area_m2": np.round(green_area, 1),
            "industry_code": np.array([sp.CODE_2017.get(c, c) if c else c for c in industry], dtype=object),
            "fixed_assets_wan": np.round(fixed_assets, 1),
            "tax_wan": np.round(tax, 2),
            "revenue_wan": np.round(revenue, 1),
            "value_added_wan": np.round(value_added, 1),
            "energy_tce": np.round(energy, 1),
            "employees": employees,
            "rd_wan": np.round(rd, 1),
            "production_year": pd.array([None if np.isnan(y) else int(y) for y in prod_year], dtype="Int64"),
            "above_scale": above_scale,
            "high_tech": high_tech_arr,
            "policy_class": policy,
            "building_grade": grade,
            "building_footprint_m2": np.round(building_footprint, 1),
            "gross_floor_area_m2": np.round(gross_floor, 1),
            "planned_floor_area_m2": np.round(planned_floor, 1),
            "preparatory_delay": preparatory,
            "disposal_status": disposal,
            "disposal_date": disposal_date,
        }
    )
    for col in (
        "supply_date",
        "lease_end_date",
        "agreed_start_date",
        "agreed_completion_date",
        "actual_start_date",
        "suspended_since",
        "disposal_date",
    ):
        frame[col] = pd.to_datetime(frame[col]).astype("datetime64[ns]")
    for col in (
        "name",
        "enterprise",
        "land_use",
        "planned_use",
        "supply_type",
        "industry_code",
        "policy_class",
        "building_grade",
        "disposal_status",
    ):
        frame[col] = frame[col].astype("str").where(frame[col].notna(), None)
    if tuple(frame.columns) != CANONICAL_COLUMNS:  # geo/schema.py changed under the generator
        raise RuntimeError(
            f"sample ledger columns {list(frame.columns)} differ from {list(CANONICAL_COLUMNS)}"
        )
    frame["_role"] = role
    frame["_state"] = state
    frame["_case"] = case
    frame["_facility"] = np.where(tiny, "substation", uses["_facility"].to_numpy(dtype=object))
    frame["_facility_name"] = np.where(tiny, name, fac)
    cases = {c: sorted(parcel_ids[case == c].tolist()) for c in sp.CASE_COUNTS}
    cases["not_applicable"] = sorted(parcel_ids[unsupplied].tolist())
    cases["tiny_parcel"] = sorted(parcel_ids[tiny].tolist())
    return Records(frame=frame, cases=cases)

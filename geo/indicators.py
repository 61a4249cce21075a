"""Zone indicators of the development-zone intensive land-use evaluation — domain.md §3, contract §5.

Parcels are mapped to the categories of 《开发区土地集约利用评价规程（2014年度试行）》 from their
current use (``land_use``), planned use, supply type, buildings and idle status (preset
``indicators`` section; all prefixes are 用地用海分类 2023 codes):

- **A, built-up** (已建成城镇建设用地): current use in classes 07–15 and built — floor area (计容
  or total) or a footprint > 0, or a use that needs no buildings (roads 12, utilities 13, green 14).
  Sub-categories by current-use prefix, longest first: A1 住宅 07, A2 工矿仓储 10/11, A31 街巷 1207,
  A32 其他交通 12, A4 商服 09, A51 公园绿地 14, A52 其他公共 08/13/15, otherwise A6.
- **C, not buildable**: not built and planned (else current) use in the preset's non-buildable
  classes (farmland, forest, water, sea …).
- **B, buildable, not built**: the rest. **B21** (ready for supply) unless unsupplied land is
  declared not ready (``unsupplied_ready: false``) → **B22**. Rural B11/B12 are not distinguished.
- **D, supplied**: 划拨 → D1; 出让/租赁 → D21, or D22 once ``lease_end_date`` is before the as-of date.
- **E, supplyable not supplied**: 未供, not built, not C; E21 when planned 10/11, E1 when planned
  08/12/13/14 (allocation uses), else E22.
- **G, idle**: idle_status in the idle classes. **H**: A2 with ``high_tech`` true (H1; H2 is not
  distinguished).

Formulas (areas in m², rates as fractions 0–1, intensities in 万元/公顷)::

    land_development_rate       = (A + B21) / (A + B)
    land_supply_rate            = D / (A + B21)
    land_built_rate             = A / D
    industrial_land_rate        = A2 / A
    high_tech_land_rate         = H / A
    overall_far                 = Σ floor_area(A) / A
    building_density            = Σ building_footprint(A) / A     (buildings only, TD/T 1029 建筑基底)
    industrial_far              = Σ floor_area(A2) / A2           (计容建筑面积)
    industrial_building_coef    = Σ footprint(A2) / A2            (buildings + structures + yards)
    industrial_invest_intensity = Σ (fixed_assets_wan [+ land_price_wan where given])(A2) / A2[ha]
                                  (the preset's invest_below_min.land_price definition)
    industrial_tax_intensity    = Σ tax_wan(A2) / A2[ha]
    idle_land_rate              = G / D
    idle_disposal_rate          = disposed / identified idle land (闲置土地处置率; null without a
                                  disposal_status column): identified = idle on the as-of date or in the
                                  disposal ledger (disposal_status given); disposed = 已处置, dated on or
                                  before the as-of date where disposal_date is given

Zone type: ``industry_led`` when A2/A > 30 % and A1/A < 25 %, ``industry_city`` when A2/A ≤ 30 % and
A1/A ≥ 25 %; the mixed cases follow the A2 share alone (thresholds and an override in the preset).
Intensity score (ideal-value method, §3.4): ``S = min(actual / ideal, 1) × 100`` for positive
indicators, ``S = min(ideal / actual, 1) × 100`` for the idle rate (100 when it is 0), and
``score = Σ w S / Σ w`` over the zone type's indicators; null if one of them is null.
Potential: ``expansion_ha`` = E / 10 000; ``intensity_floor_area_m2`` = Σ over supplied industrial
parcels of max(0, far_min × area − floor_area); ``years_of_supply`` = E ÷ (area supplied in the last
N years / N).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from geo.rules.facts import Facts, prefix_match
from geo.rules.idle import add_years
from geo.rules.presets import RulesPreset
from geo.units import M2_PER_HA
from geo.vocab import IDLE_CLASSES, UNSUPPLIED

#: the keys of indicators.json (contract §5), in order
INDICATOR_KEYS: tuple[str, ...] = (
    "zone_type",
    "land_development_rate",
    "land_supply_rate",
    "land_built_rate",
    "industrial_land_rate",
    "high_tech_land_rate",
    "overall_far",
    "building_density",
    "industrial_far",
    "industrial_building_coef",
    "industrial_invest_intensity",
    "industrial_tax_intensity",
    "idle_land_rate",
    "idle_disposal_rate",
    "intensity_score",
    "potential",
)
POTENTIAL_KEYS: tuple[str, ...] = ("expansion_ha", "intensity_floor_area_m2", "years_of_supply")

_CONSTRUCTION = tuple(f"{c:02d}" for c in range(7, 16))


@dataclass(frozen=True)
class ZoneIndicators:
    """The contract's indicators, the parcels' 规程 categories, and the working behind the numbers."""

    indicators: dict[str, Any]
    categories: pd.DataFrame
    details: dict[str, Any] = field(default_factory=dict)


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or denominator is None or not np.isfinite(denominator) or denominator <= 0:
        return None
    value = numerator / denominator
    return float(value) if np.isfinite(value) else None


def _longest_prefix(codes: pd.Series, table: dict[str, list[str]], default: str | None) -> np.ndarray:
    pairs = sorted(((p, k) for k, prefixes in table.items() for p in prefixes), key=lambda x: -len(x[0]))
    index, uniques = pd.factorize(codes)
    keys = np.full(len(uniques) + 1, default, dtype=object)  # last slot: missing codes
    for i, code in enumerate(uniques):
        keys[i] = next((key for prefix, key in pairs if str(code).startswith(prefix)), default)
    return keys[np.where(index >= 0, index, len(uniques))]


def _disposal_rate(facts: Facts, idle_now: np.ndarray, area: np.ndarray) -> float | None:
    """闲置土地处置率 = disposed idle land ÷ identified idle land (by area), null without disposal_status.

    Identified: idle on the as-of date, or recorded in the disposal ledger (disposal_status given).
    Disposed: disposal_status 已处置 and, where disposal_date is given, dated on or before the as-of date.
    """
    if not facts.has("disposal_status"):
        return None
    status = facts.text("disposal_status")
    recorded = status.notna().to_numpy(dtype=bool)
    disposal_date = facts.date("disposal_date")
    dated_later = ~np.isnat(disposal_date) & (disposal_date > facts.as_of)
    disposed = (status == "已处置").to_numpy(dtype=bool) & ~dated_later
    identified = idle_now | recorded
    return _ratio(float(area[disposed & identified].sum()), float(area[identified].sum()))


def compute_indicators(
    facts: Facts, rules: RulesPreset, idle_status: pd.Series, far_min: np.ndarray
) -> ZoneIndicators:
    """Compute the zone indicators of contract §5 (formulas in the module docstring).

    Parameters
    ----------
    facts
        Parcel facts after the data checks (with ``area_m2``).
    rules
        The rules preset (its ``indicators`` section, scopes and supplied types).
    idle_status
        The parcels' idle statuses (G).
    far_min
        Each parcel's plot-ratio floor from the low-efficiency rules (NaN where unknown).

    """
    cfg = rules.indicators
    n = facts.n
    area = np.nan_to_num(facts.num("area_m2"))
    land, planned, supply = facts.text("land_use"), facts.text("planned_use"), facts.text("supply_type")
    floor, footprint = facts.num("floor_area_m2"), facts.num("footprint_m2")
    building_footprint, gross = facts.num("building_footprint_m2"), facts.num("gross_floor_area_m2")

    construction = prefix_match(land, _CONSTRUCTION)
    no_buildings_needed = facts.starts_with("land_use", cfg.built_without_buildings)
    has_buildings = (floor > 0) | (footprint > 0) | (building_footprint > 0) | (gross > 0)
    built = construction & (has_buildings | no_buildings_needed)
    a_category = _longest_prefix(land, cfg.built_categories, "A6")
    a_category[~built] = None
    use_for_c = planned.where(planned.notna(), land)
    non_buildable = prefix_match(use_for_c, cfg.non_buildable)
    c_land = ~built & non_buildable
    supplied = supply.isin(rules.idle.supplied_types).to_numpy(dtype=bool)
    unsupplied = (supply == UNSUPPLIED).to_numpy(dtype=bool)
    b_land = ~built & ~c_land
    b22 = b_land & unsupplied & (not cfg.unsupplied_ready)
    b21 = b_land & ~b22

    lease_end = facts.date("lease_end_date")
    allocated = (supply == "划拨").to_numpy(dtype=bool)
    expired = supplied & ~allocated & (lease_end < facts.as_of)
    e_land = unsupplied & ~built & ~c_land
    e_category = _longest_prefix(planned, {"E21": cfg.supply_industrial, "E1": cfg.supply_allocation}, "E22")
    high_tech, high_tech_known = facts.flag("high_tech")
    a2 = a_category == "A2"
    h_land = a2 & high_tech & high_tech_known
    g_land = np.isin(idle_status.to_numpy(), IDLE_CLASSES)

    land_category = np.where(built, a_category, np.where(c_land, "C", np.where(b22, "B22", "B21")))
    supply_category = np.full(n, None, dtype=object)
    supply_category[allocated] = "D1"
    supply_category[supplied & ~allocated] = "D21"
    supply_category[expired] = "D22"
    supply_category[e_land] = e_category[e_land]
    supply_category[unsupplied & ~e_land] = "F"
    categories = pd.DataFrame(
        {"zone_category": land_category.astype(object), "supply_category": supply_category, "idle_g": g_land}
    )

    def total(mask: np.ndarray) -> float:
        return float(area[mask].sum())

    a, a1, a2_area = total(built), total(a_category == "A1"), total(a2)
    b, b21_area = total(b_land), total(b21)
    d, g, h, e = total(supplied), total(g_land & supplied), total(h_land), total(e_land)

    def column_values(column: str) -> np.ndarray:
        if column == "fixed_assets_wan" and rules.low_efficiency.rules.invest_below_min.land_price == "add":
            # 固定资产投资包括厂房、设备和地价款 (the preset's definition, as for invest_below_min), the land
            # price added where it is given
            return facts.num("fixed_assets_wan") + np.nan_to_num(facts.num("land_price_wan"))
        return facts.num(column)

    def summed(column: str, mask: np.ndarray) -> tuple[float | None, int]:
        """Σ column over mask (NaN counted as 0) and the number of masked parcels lacking it."""
        if not facts.has(column):
            return None, int(mask.sum())
        values = column_values(column)[mask]
        return float(np.nansum(values)), int(np.isnan(values).sum())

    lacking: dict[str, int] = {}

    def intensity(column: str, mask: np.ndarray, denominator: float, per_ha: bool = False) -> float | None:
        value, missing = summed(column, mask)
        if missing:
            lacking[f"{column}@{'A2' if mask is a2 else 'A'}"] = missing
        denom = denominator / M2_PER_HA if per_ha else denominator
        return _ratio(value, denom)

    floor_a = np.where(no_buildings_needed & np.isnan(floor), 0.0, floor)
    footprint_a = np.where(no_buildings_needed & np.isnan(building_footprint), 0.0, building_footprint)
    overall_far = _ratio(float(np.nansum(floor_a[built])), a) if facts.has("floor_area_m2") else None
    building_density = (
        _ratio(float(np.nansum(footprint_a[built])), a) if facts.has("building_footprint_m2") else None
    )
    values: dict[str, Any] = {
        "land_development_rate": _ratio(a + b21_area, a + b),
        "land_supply_rate": _ratio(d, a + b21_area) if facts.has("supply_type") else None,
        "land_built_rate": _ratio(a, d) if facts.has("supply_type") else None,
        "industrial_land_rate": _ratio(a2_area, a),
        "high_tech_land_rate": _ratio(h, a) if facts.has("high_tech") else None,
        "overall_far": overall_far,
        "building_density": building_density,
        "industrial_far": intensity("floor_area_m2", a2, a2_area),
        "industrial_building_coef": intensity("footprint_m2", a2, a2_area),
        "industrial_invest_intensity": intensity("fixed_assets_wan", a2, a2_area, per_ha=True),
        "industrial_tax_intensity": intensity("tax_wan", a2, a2_area, per_ha=True),
        "overall_tax_intensity": intensity("tax_wan", built, a, per_ha=True),
        "idle_land_rate": _ratio(g, d) if facts.has("supply_type") else None,
        "idle_disposal_rate": _disposal_rate(facts, g_land, area),
    }
    if not facts.has("land_use"):
        for key in values:
            values[key] = None

    # --- zone type (2014 规程): A2/A > 30 % and A1/A < 25 % → industry-led; mixed cases by A2 alone
    share_a2, share_a1 = _ratio(a2_area, a), _ratio(a1, a)
    if cfg.zone_type != "auto":
        zone_type: str | None = cfg.zone_type
    elif share_a2 is None or share_a1 is None:
        zone_type = None
    elif share_a2 > cfg.industry_led_a2_share and share_a1 < cfg.industry_city_a1_share:
        zone_type = "industry_led"
    elif share_a2 <= cfg.industry_led_a2_share and share_a1 >= cfg.industry_city_a1_share:
        zone_type = "industry_city"
    else:
        zone_type = "industry_led" if share_a2 > cfg.industry_led_a2_share else "industry_city"

    # --- intensity score (ideal-value standardisation)
    score: float | None = None
    standardised: dict[str, float | None] = {}
    if zone_type is not None:
        items = cfg.scores[zone_type]  # type: ignore[index]
        weighted, weights = 0.0, 0.0
        for name, item in items.items():
            actual = values.get(name)
            if actual is None:
                standardised[name] = None
                continue
            if item.direction == "positive":
                s = min(actual / item.ideal, 1.0) * 100
            else:
                s = 100.0 if actual <= 0 else min(item.ideal / actual, 1.0) * 100
            standardised[name] = s
            weighted += item.weight * s
            weights += item.weight
        if standardised and all(v is not None for v in standardised.values()):
            score = weighted / weights

    # --- potential
    industrial_scope = facts.starts_with("land_use", rules.scope_prefixes("industrial") or [])
    if "industrial" not in rules.scopes:
        industrial_scope = a2
    target = supplied & industrial_scope & ~np.isnan(far_min) & ~np.isnan(floor)
    extra = np.maximum(0.0, far_min[target] * area[target] - floor[target])
    intensity_floor = float(extra.sum()) if facts.has("floor_area_m2") and target.any() else None
    years_of_supply: float | None = None
    supply_date = facts.date("supply_date")
    recent = np.zeros(n, dtype=bool)
    if facts.has("supply_date") and facts.has("supply_type"):
        start = add_years(np.array([facts.as_of]), -cfg.supply_history_years)[0]
        recent = supplied & (supply_date > start) & (supply_date <= facts.as_of)
        annual = total(recent) / cfg.supply_history_years
        years_of_supply = _ratio(e, annual)
    potential = {
        "expansion_ha": e / M2_PER_HA if facts.has("supply_type") else None,
        "intensity_floor_area_m2": intensity_floor,
        "years_of_supply": years_of_supply,
    }

    indicators: dict[str, Any] = {"zone_type": zone_type}
    for key in INDICATOR_KEYS[1:-2]:
        indicators[key] = values[key]
    indicators["intensity_score"] = score
    indicators["potential"] = potential

    areas_ha = {
        key: total(mask) / M2_PER_HA
        for key, mask in {
            "A": built,
            **{k: a_category == k for k in ("A1", "A2", "A31", "A32", "A4", "A51", "A52", "A6")},
            "B": b_land,
            "B21": b21,
            "B22": b22,
            "C": c_land,
            "D": supplied,
            "D1": allocated,
            "D22": expired,
            "E": e_land,
            "G": g_land & supplied,
            "H": h_land,
            "supplied_last_years": recent,
        }.items()
    }
    details = {
        "areas_ha": areas_ha,
        "overall_tax_intensity": values["overall_tax_intensity"],
        "zone_type_shares": {"A2/A": share_a2, "A1/A": share_a1},
        "standardised_scores": standardised,
        "supply_history_years": cfg.supply_history_years,
        "parcels_lacking_values": lacking,
        "supply_unknown_parcels": int((~supplied & ~unsupplied).sum()),
    }
    return ZoneIndicators(indicators=indicators, categories=categories, details=details)

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
from geo.vocab import ALLOCATED, IDLE_CLASSES, UNSUPPLIED

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
    area = np.nan_to_num(facts.num("area_m2"))
    m = _classify(facts, rules, idle_status)
    lacking: dict[str, int] = {}
    values = _rates_and_intensities(facts, rules, m, area, lacking)
    a = _total(area, m.built)
    share_a2, share_a1 = _ratio(_total(area, m.a2), a), _ratio(_total(area, m.a_category == "A1"), a)
    zone_type = _zone_type(rules, share_a2, share_a1)
    score, standardised = _intensity_score(rules, zone_type, values)
    potential, recent = _potential(facts, rules, m, area, far_min)

    indicators: dict[str, Any] = {"zone_type": zone_type}
    for key in INDICATOR_KEYS[1:-2]:
        indicators[key] = values[key]
    indicators["intensity_score"] = score
    indicators["potential"] = potential
    details = {
        "areas_ha": _areas_ha(m, area, recent),
        "overall_tax_intensity": values["overall_tax_intensity"],
        "zone_type_shares": {"A2/A": share_a2, "A1/A": share_a1},
        "standardised_scores": standardised,
        "supply_history_years": cfg.supply_history_years,
        "parcels_lacking_values": lacking,
        "supply_unknown_parcels": int((~m.supplied & ~m.unsupplied).sum()),
    }
    return ZoneIndicators(indicators=indicators, categories=_categories(m), details=details)


def _total(area: np.ndarray, mask: np.ndarray) -> float:
    return float(area[mask].sum())


@dataclass(frozen=True)
class _Classes:
    """The 规程's land categories of every parcel, as masks (letters as in the module docstring)."""

    built: np.ndarray  # A
    a_category: np.ndarray  # A1 … A6, None where not built
    no_buildings_needed: np.ndarray
    c_land: np.ndarray
    b_land: np.ndarray
    b21: np.ndarray
    b22: np.ndarray
    supplied: np.ndarray  # D
    unsupplied: np.ndarray
    allocated: np.ndarray  # D1
    expired: np.ndarray  # D22
    e_land: np.ndarray
    e_category: np.ndarray
    a2: np.ndarray
    h_land: np.ndarray
    g_land: np.ndarray


def _classify(facts: Facts, rules: RulesPreset, idle_status: pd.Series) -> _Classes:
    """Sort every parcel into the 规程's categories (built A*, buildable B2*, C, supplied D*, E, G, H)."""
    cfg = rules.indicators
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

    allocated = (supply == ALLOCATED).to_numpy(dtype=bool)
    high_tech, high_tech_known = facts.flag("high_tech")
    a2 = a_category == "A2"
    return _Classes(
        built=built,
        a_category=a_category,
        no_buildings_needed=no_buildings_needed,
        c_land=c_land,
        b_land=b_land,
        b21=b_land & ~b22,
        b22=b22,
        supplied=supplied,
        unsupplied=unsupplied,
        allocated=allocated,
        expired=supplied & ~allocated & (facts.date("lease_end_date") < facts.as_of),
        e_land=unsupplied & ~built & ~c_land,
        e_category=_longest_prefix(
            planned, {"E21": cfg.supply_industrial, "E1": cfg.supply_allocation}, "E22"
        ),
        a2=a2,
        h_land=a2 & high_tech & high_tech_known,
        g_land=np.isin(idle_status.to_numpy(), IDLE_CLASSES),
    )


def _categories(m: _Classes) -> pd.DataFrame:
    """Each parcel's 规程 land category, supply category and idle flag."""
    land_category = np.where(m.built, m.a_category, np.where(m.c_land, "C", np.where(m.b22, "B22", "B21")))
    supply_category = np.full(len(m.built), None, dtype=object)
    supply_category[m.allocated] = "D1"
    supply_category[m.supplied & ~m.allocated] = "D21"
    supply_category[m.expired] = "D22"
    supply_category[m.e_land] = m.e_category[m.e_land]
    supply_category[m.unsupplied & ~m.e_land] = "F"
    return pd.DataFrame(
        {
            "zone_category": land_category.astype(object),
            "supply_category": supply_category,
            "idle_g": m.g_land,
        }
    )


def _rates_and_intensities(
    facts: Facts, rules: RulesPreset, m: _Classes, area: np.ndarray, lacking: dict[str, int]
) -> dict[str, Any]:
    """Compute the rates, plot ratios and intensities; count in ``lacking`` the parcels missing a value."""
    floor, building_footprint = facts.num("floor_area_m2"), facts.num("building_footprint_m2")
    a, a2_area = _total(area, m.built), _total(area, m.a2)
    b, b21_area = _total(area, m.b_land), _total(area, m.b21)
    d, g, h = _total(area, m.supplied), _total(area, m.g_land & m.supplied), _total(area, m.h_land)

    def column_values(column: str) -> np.ndarray:
        if column == "fixed_assets_wan" and rules.low_efficiency.rules.invest_below_min.land_price == "add":
            # 固定资产投资包括厂房、设备和地价款 (the preset's definition, as for invest_below_min), the land
            # price added where it is given
            return facts.num("fixed_assets_wan") + np.nan_to_num(facts.num("land_price_wan"))
        return facts.num(column)

    def intensity(column: str, mask: np.ndarray, denominator: float, per_ha: bool = False) -> float | None:
        # Σ column over mask (NaN counted as 0); the parcels lacking it are counted
        if not facts.has(column):
            value, missing = None, int(mask.sum())
        else:
            masked = column_values(column)[mask]
            value, missing = float(np.nansum(masked)), int(np.isnan(masked).sum())
        if missing:
            lacking[f"{column}@{'A2' if mask is m.a2 else 'A'}"] = missing
        denom = denominator / M2_PER_HA if per_ha else denominator
        return _ratio(value, denom)

    floor_a = np.where(m.no_buildings_needed & np.isnan(floor), 0.0, floor)
    footprint_a = np.where(m.no_buildings_needed & np.isnan(building_footprint), 0.0, building_footprint)
    overall_far = _ratio(float(np.nansum(floor_a[m.built])), a) if facts.has("floor_area_m2") else None
    building_density = (
        _ratio(float(np.nansum(footprint_a[m.built])), a) if facts.has("building_footprint_m2") else None
    )
    values: dict[str, Any] = {
        "land_development_rate": _ratio(a + b21_area, a + b),
        "land_supply_rate": _ratio(d, a + b21_area) if facts.has("supply_type") else None,
        "land_built_rate": _ratio(a, d) if facts.has("supply_type") else None,
        "industrial_land_rate": _ratio(a2_area, a),
        "high_tech_land_rate": _ratio(h, a) if facts.has("high_tech") else None,
        "overall_far": overall_far,
        "building_density": building_density,
        "industrial_far": intensity("floor_area_m2", m.a2, a2_area),
        "industrial_building_coef": intensity("footprint_m2", m.a2, a2_area),
        "industrial_invest_intensity": intensity("fixed_assets_wan", m.a2, a2_area, per_ha=True),
        "industrial_tax_intensity": intensity("tax_wan", m.a2, a2_area, per_ha=True),
        "overall_tax_intensity": intensity("tax_wan", m.built, a, per_ha=True),
        "idle_land_rate": _ratio(g, d) if facts.has("supply_type") else None,
        "idle_disposal_rate": _disposal_rate(facts, m.g_land, area),
    }
    if not facts.has("land_use"):
        for key in values:
            values[key] = None
    return values


def _zone_type(rules: RulesPreset, share_a2: float | None, share_a1: float | None) -> str | None:
    """Zone type (2014 规程): A2/A > 30 % and A1/A < 25 % → industry-led; mixed cases by A2 alone."""
    cfg = rules.indicators
    if cfg.zone_type != "auto":
        return cfg.zone_type
    if share_a2 is None or share_a1 is None:
        return None
    if share_a2 > cfg.industry_led_a2_share and share_a1 < cfg.industry_city_a1_share:
        return "industry_led"
    if share_a2 <= cfg.industry_led_a2_share and share_a1 >= cfg.industry_city_a1_share:
        return "industry_city"
    return "industry_led" if share_a2 > cfg.industry_led_a2_share else "industry_city"


def _intensity_score(
    rules: RulesPreset, zone_type: str | None, values: dict[str, Any]
) -> tuple[float | None, dict[str, float | None]]:
    """Score the intensity (ideal-value standardisation); also return each indicator's standardised score."""
    score: float | None = None
    standardised: dict[str, float | None] = {}
    if zone_type is None:
        return score, standardised
    items = rules.indicators.scores[zone_type]  # type: ignore[index]
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
    return score, standardised


def _potential(
    facts: Facts, rules: RulesPreset, m: _Classes, area: np.ndarray, far_min: np.ndarray
) -> tuple[dict[str, float | None], np.ndarray]:
    """Expansion, intensity and years-of-supply potential; also the parcels supplied in the history years."""
    cfg = rules.indicators
    floor = facts.num("floor_area_m2")
    industrial_scope = facts.starts_with("land_use", rules.scope_prefixes("industrial") or [])
    if "industrial" not in rules.scopes:
        industrial_scope = m.a2
    target = m.supplied & industrial_scope & ~np.isnan(far_min) & ~np.isnan(floor)
    extra = np.maximum(0.0, far_min[target] * area[target] - floor[target])
    intensity_floor = float(extra.sum()) if facts.has("floor_area_m2") and target.any() else None
    years_of_supply: float | None = None
    e = _total(area, m.e_land)
    recent = np.zeros(facts.n, dtype=bool)
    if facts.has("supply_date") and facts.has("supply_type"):
        supply_date = facts.date("supply_date")
        start = add_years(np.array([facts.as_of]), -cfg.supply_history_years)[0]
        recent = m.supplied & (supply_date > start) & (supply_date <= facts.as_of)
        annual = _total(area, recent) / cfg.supply_history_years
        years_of_supply = _ratio(e, annual)
    potential = {
        "expansion_ha": e / M2_PER_HA if facts.has("supply_type") else None,
        "intensity_floor_area_m2": intensity_floor,
        "years_of_supply": years_of_supply,
    }
    return potential, recent


def _areas_ha(m: _Classes, area: np.ndarray, recent: np.ndarray) -> dict[str, float]:
    """Sum the area of each category in hectares (the working behind the indicators)."""
    masks = {
        "A": m.built,
        **{k: m.a_category == k for k in ("A1", "A2", "A31", "A32", "A4", "A51", "A52", "A6")},
        "B": m.b_land,
        "B21": m.b21,
        "B22": m.b22,
        "C": m.c_land,
        "D": m.supplied,
        "D1": m.allocated,
        "D22": m.expired,
        "E": m.e_land,
        "G": m.g_land & m.supplied,
        "H": m.h_land,
        "supplied_last_years": recent,
    }
    return {key: _total(area, mask) / M2_PER_HA for key, mask in masks.items()}

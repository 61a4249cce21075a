"""Zone indicators (contract §5) on an eight-parcel zone, every formula worked out by hand.

| id | use / planned | supply | area m² | floor  | footprint | notes                   | 规程     |
|----|---------------|--------|---------|--------|-----------|-------------------------|----------|
| P1 | 100101        | 出让   | 20 000  | 16 000 | 8 000     | ind. 38 (FAR ≥ 0.7), HT | A2       |
| P2 | 100101        | 出让   | 10 000  | 5 000  | 3 000     | ind. 26 (FAR ≥ 0.6)     | A2       |
| P3 | 070101        | 出让   | 10 000  | 20 000 | 2 500     | lease ended 2025-12-31  | A1       |

"footprint" is the 建筑系数 numerator (buildings + structures + yards); the buildings alone
(建筑基底面积, building_footprint_m2, for 建筑密度) are P1 7 000, P2 2 500, P3 2 500.
| P4 | 1207 road     | 划拨   | 5 000   | –      | –         |                         | A31      |
| P5 | 1401 park     | 划拨   | 5 000   | –      | –         |                         | A51      |
| P6 | 100101        | 出让   | 10 000  | 0      | 0         | not started, ind. 40    | B21, G   |
| P7 | 0101 / 1001   | 未供   | 20 000  | –      | –         | supplyable industrial   | B21, E21 |
| P8 | 1701 water    | 未供   | 10 000  | –      | –         | not buildable           | C        |

P6: agreed start 2024-01-01, not started → idle_recoverable; FAR floor 1.0.
A = 50 000, A1 = 10 000, A2 = 30 000, B = B21 = 30 000, C = 10 000, D = 60 000, G = 10 000,
H = 20 000, E = 20 000 m². Supplied in the three years before 2026-06-30: P2, P3, P6 = 30 000 m².
"""

from __future__ import annotations

from pathlib import Path

import pytest

from geo.analysis import run_analysis
from geo.indicators import INDICATOR_KEYS, POTENTIAL_KEYS
from tests.geo.test_idle import parcels_frame

AS_OF = "2026-06-30"


def zone_rows() -> list[dict]:
    started = {"actual_start_date": "2015-01-01", "agreed_start_date": "2015-01-01"}
    return [
        {
            "parcel_id": "P1",
            "area_m2": 20_000.0,
            "land_use": "100101",
            "planned_use": "1001",
            "supply_type": "出让",
            "supply_date": "2018-05-01",
            "floor_area_m2": 16_000.0,
            "footprint_m2": 8_000.0,
            "building_footprint_m2": 7_000.0,
            "fixed_assets_wan": 6_000.0,
            "tax_wan": 300.0,
            "high_tech": True,
            "industry_code": "38",
            **started,
        },
        {
            "parcel_id": "P2",
            "area_m2": 10_000.0,
            "land_use": "100101",
            "planned_use": "1001",
            "supply_type": "出让",
            "supply_date": "2024-03-01",
            "floor_area_m2": 5_000.0,
            "footprint_m2": 3_000.0,
            "building_footprint_m2": 2_500.0,
            "fixed_assets_wan": 1_000.0,
            "tax_wan": 50.0,
            "high_tech": False,
            "industry_code": "26",
            **started,
        },
        {
            "parcel_id": "P3",
            "area_m2": 10_000.0,
            "land_use": "070101",
            "planned_use": "0701",
            "supply_type": "出让",
            "supply_date": "2025-01-10",
            "lease_end_date": "2025-12-31",
            "floor_area_m2": 20_000.0,
            "footprint_m2": 2_500.0,
            "building_footprint_m2": 2_500.0,
            **started,
        },
        {
            "parcel_id": "P4",
            "area_m2": 5_000.0,
            "land_use": "1207",
            "planned_use": "1207",
            "supply_type": "划拨",
            "supply_date": "2010-01-01",
        },
        {
            "parcel_id": "P5",
            "area_m2": 5_000.0,
            "land_use": "1401",
            "planned_use": "1401",
            "supply_type": "划拨",
            "supply_date": "2010-01-01",
        },
        {
            "parcel_id": "P6",
            "area_m2": 10_000.0,
            "land_use": "100101",
            "planned_use": "1001",
            "supply_type": "出让",
            "supply_date": "2023-10-01",
            "agreed_start_date": "2024-01-01",
            "actual_start_date": None,
            "floor_area_m2": 0.0,
            "footprint_m2": 0.0,
            "building_footprint_m2": 0.0,
            "industry_code": "40",
            "high_tech": False,
        },
        {
            "parcel_id": "P7",
            "area_m2": 20_000.0,
            "land_use": "0101",
            "planned_use": "1001",
            "supply_type": "未供",
        },
        {
            "parcel_id": "P8",
            "area_m2": 10_000.0,
            "land_use": "1701",
            "planned_use": "1701",
            "supply_type": "未供",
        },
    ]


@pytest.fixture(scope="module")
def zone():
    return run_analysis(parcels_frame(zone_rows()), as_of=AS_OF)


def test_indicators_json_keys_are_exactly_the_contract(zone):
    assert list(zone.indicators) == list(INDICATOR_KEYS)
    assert list(zone.indicators["potential"]) == list(POTENTIAL_KEYS)


def test_categories(zone):
    cats = zone.parcels.set_index("parcel_id")
    assert cats["zone_category"].tolist() == ["A2", "A2", "A1", "A31", "A51", "B21", "B21", "C"]
    assert cats["supply_category"].tolist() == ["D21", "D21", "D22", "D1", "D1", "D21", "E21", "F"]
    assert cats.loc["P6", "idle_status"] == "idle_recoverable"


def test_every_formula(zone):
    ind = zone.indicators
    assert ind["land_development_rate"] == pytest.approx((50_000 + 30_000) / (50_000 + 30_000))
    assert ind["land_supply_rate"] == pytest.approx(60_000 / 80_000)  # D / (A + B21)
    assert ind["land_built_rate"] == pytest.approx(50_000 / 60_000)  # A / D
    assert ind["industrial_land_rate"] == pytest.approx(30_000 / 50_000)  # A2 / A
    assert ind["high_tech_land_rate"] == pytest.approx(20_000 / 50_000)  # H / A
    assert ind["overall_far"] == pytest.approx((16_000 + 5_000 + 20_000) / 50_000)  # 0.82
    # 建筑密度 from the buildings alone (TD/T 1029 建筑基底), not the 建筑系数 numerator
    assert ind["building_density"] == pytest.approx((7_000 + 2_500 + 2_500) / 50_000)  # 0.24
    assert ind["industrial_far"] == pytest.approx(21_000 / 30_000)  # 0.70
    assert ind["industrial_building_coef"] == pytest.approx(11_000 / 30_000)
    assert ind["industrial_invest_intensity"] == pytest.approx(7_000 / 3.0)  # 万元 per ha of A2
    assert ind["industrial_tax_intensity"] == pytest.approx(350 / 3.0)
    assert ind["idle_land_rate"] == pytest.approx(10_000 / 60_000)  # G / D
    # A2/A = 0.6 > 0.3 and A1/A = 0.2 < 0.25
    assert ind["zone_type"] == "industry_led"


def test_intensity_score(zone):
    # national industry_led weights and ideal values: S = min(actual/ideal, 1) × 100 (idle: ideal/actual)
    s = {
        "supply": (0.08, 75.0),
        "built": (0.08, 50_000 / 60_000 * 100),
        "industrial_land": (0.10, 100.0),  # 0.6 / 0.5 capped at 1
        "overall_far": (0.10, 0.82 / 1.2 * 100),
        "density": (0.08, 0.24 / 0.40 * 100),  # buildings alone: 12 000 / 50 000
        "industrial_far": (0.12, 0.7 / 1.2 * 100),
        "coef": (0.10, (11 / 30) / 0.5 * 100),
        "invest": (0.12, (7_000 / 3) / 9_000 * 100),
        "tax": (0.12, (350 / 3) / 700 * 100),
        "idle": (0.10, 0.01 / (1 / 6) * 100),
    }
    expected = sum(w * v for w, v in s.values()) / sum(w for w, _ in s.values())
    assert zone.indicators["intensity_score"] == pytest.approx(expected)
    assert zone.indicator_details["standardised_scores"]["idle_land_rate"] == pytest.approx(6.0)


def test_potential(zone):
    pot = zone.indicators["potential"]
    assert pot["expansion_ha"] == pytest.approx(2.0)  # P7
    # P1: 0.7 × 20 000 − 16 000 < 0 → 0; P2: 0.6 × 10 000 − 5 000 = 1 000; P6: 1.0 × 10 000 − 0 = 10 000
    assert pot["intensity_floor_area_m2"] == pytest.approx(11_000.0)
    # E / (30 000 m² supplied in 3 years / 3) = 20 000 / 10 000
    assert pot["years_of_supply"] == pytest.approx(2.0)


def test_unsupplied_not_ready(tmp_path: Path):
    user = tmp_path / "notready.yaml"
    user.write_text("indicators:\n  unsupplied_ready: false\n", encoding="utf-8")
    ind = run_analysis(parcels_frame(zone_rows()), as_of=AS_OF, rules=str(user)).indicators
    # B21 = P6 only (10 000), B22 = P7 (20 000)
    assert ind["land_development_rate"] == pytest.approx((50_000 + 10_000) / 80_000)
    assert ind["land_supply_rate"] == pytest.approx(60_000 / 60_000)


def test_null_where_inputs_are_missing():
    rows = [
        {k: v for k, v in r.items() if k not in ("floor_area_m2", "supply_date", "high_tech")}
        for r in zone_rows()
    ]
    ind = run_analysis(parcels_frame(rows), as_of=AS_OF).indicators
    assert ind["overall_far"] is None
    assert ind["industrial_far"] is None
    assert ind["high_tech_land_rate"] is None
    assert ind["intensity_score"] is None
    assert ind["potential"]["intensity_floor_area_m2"] is None
    assert ind["potential"]["years_of_supply"] is None
    # what does not need those columns is still there (footprints still mark the buildings, so A is unchanged)
    assert ind["building_density"] == pytest.approx(12_000 / 50_000)
    assert ind["potential"]["expansion_ha"] == pytest.approx(2.0)


def test_industry_city_zone():
    # mostly housing: A1/A = 30 000 / 40 000 ≥ 25 %, A2/A = 10 000 / 40 000 ≤ 30 %
    rows = [
        {
            "parcel_id": "H",
            "area_m2": 30_000.0,
            "land_use": "070101",
            "supply_type": "出让",
            "floor_area_m2": 1.0,
        },
        {
            "parcel_id": "I",
            "area_m2": 10_000.0,
            "land_use": "100101",
            "supply_type": "出让",
            "floor_area_m2": 1.0,
        },
    ]
    assert run_analysis(parcels_frame(rows), as_of=AS_OF).indicators["zone_type"] == "industry_city"


def test_idle_disposal_rate():
    """闲置土地处置率 = 已处置闲置土地 ÷ 认定闲置土地 (TD/T 1029-2010 管理绩效; formula [U] in the rule book).

    P6 (10 000 m², idle on the as-of date) 未处置; Q1 (10 000 m², idle ledger) 已处置 2026-03-01;
    Q2 (5 000 m²) 已处置 but dated 2026-07-01, after the as-of date 2026-06-30 → not yet;
    rate = 10 000 / 25 000 = 40 %.
    Without a disposal_status column the rate is null.
    """
    rows = zone_rows()
    assert run_analysis(parcels_frame(rows), as_of=AS_OF).indicators["idle_disposal_rate"] is None
    for row in rows:
        row["disposal_status"] = "未处置" if row["parcel_id"] == "P6" else None
    started = {
        "land_use": "100101",
        "planned_use": "1001",
        "supply_type": "出让",
        "supply_date": "2020-01-01",
        "agreed_start_date": "2020-06-01",
        "actual_start_date": "2022-01-01",
        "floor_area_m2": 8_000.0,
        "footprint_m2": 4_000.0,
    }
    rows.append({"parcel_id": "Q1", **started, "disposal_status": "已处置", "disposal_date": "2026-03-01"})
    rows.append(
        {
            "parcel_id": "Q2",
            **started,
            "area_m2": 5_000.0,
            "disposal_status": "已处置",
            "disposal_date": "2026-07-01",
        }
    )
    ind = run_analysis(parcels_frame(rows), as_of=AS_OF).indicators
    assert ind["idle_disposal_rate"] == pytest.approx(10_000 / 25_000)

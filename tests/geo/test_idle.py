"""Idle land under 国土资源部令第53号: every status, the anniversary rule, 29 February, the boundaries.

All answers are worked out by hand from contract §3: an anniversary is the same month/day N years
later (29 Feb → 28 Feb), reached "on or after"; the fee is 20 % of the land price for ``idle``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely import box

from geo.analysis import run_analysis
from geo.errors import SchemaError
from geo.rules.facts import Facts
from geo.rules.idle import add_years, evaluate_idle, format_date_zh
from geo.rules.presets import load_preset
from geo.schema import FIELDS_BY_NAME

CRS = 4546  # CGCS2000 / 3-degree Gauss-Kruger CM 111E (Yulin)
X0, Y0 = 412_000.0, 2_503_000.0


def parcels_frame(rows: list[dict[str, Any]], crs: int = CRS) -> gpd.GeoDataFrame:
    """Parcels with canonical dtypes (as geo.io returns them): squares of ``area_m2`` side by side.

    Each row may give ``area_m2`` (default 10 000 m²); every other key is a canonical column. Columns
    absent from all rows are absent from the frame.
    """
    columns: dict[str, list[Any]] = {}
    names = [k for row in rows for k in row if k != "area_m2"]
    for name in dict.fromkeys(names):
        columns[name] = [row.get(name) for row in rows]
    frame = pd.DataFrame(index=range(len(rows)))
    for name, values in columns.items():
        kind = FIELDS_BY_NAME[name].kind if name in FIELDS_BY_NAME else "text"
        if kind == "date":
            frame[name] = pd.to_datetime(pd.Series(values, dtype=object)).astype("datetime64[ns]")
        elif kind == "bool":
            frame[name] = pd.array(values, dtype="boolean")
        elif kind == "number":
            frame[name] = pd.Series([np.nan if v is None else v for v in values], dtype="float64")
        elif kind == "int":
            frame[name] = pd.array(values, dtype="Int64")
        else:
            frame[name] = pd.Series(values, dtype=object)
    geoms = []
    for i, row in enumerate(rows):
        side = math.sqrt(row.get("area_m2", 10_000.0))
        x = X0 + i * 400
        geoms.append(box(x, Y0, x + side, Y0 + side))
    return gpd.GeoDataFrame(frame, geometry=geoms, crs=crs)


def facts_of(gdf: gpd.GeoDataFrame, as_of: str) -> Facts:
    """Facts straight from a frame (no data checks), with areas from the geometry."""
    frame = pd.DataFrame(gdf.drop(columns="geometry")).reset_index(drop=True)
    frame["area_m2"] = gdf.geometry.area.to_numpy()
    frame["area_mu"] = frame["area_m2"] / (2000 / 3)
    return Facts(frame=frame, invalid={}, as_of=np.datetime64(as_of, "D"))


def supplied(**facts: Any) -> dict[str, Any]:
    """A supplied (出让) parcel with a land price of 1 200 万元."""
    return {"supply_type": "出让", "supply_date": "2020-01-01", "land_price_wan": 1200.0, **facts}


AS_OF = "2026-06-30"


# ------------------------------------------------------------------------------------------ dates


def test_anniversary_same_month_and_day_and_29_february():
    dates = np.array(["2024-02-29", "2023-03-01", "NaT", "2020-12-31", "2024-01-31"], dtype="datetime64[D]")
    assert add_years(dates, 1).astype(str).tolist() == [
        "2025-02-28",
        "2024-03-01",
        "NaT",
        "2021-12-31",
        "2025-01-31",
    ]
    # four years on, 29 February exists again
    assert add_years(dates, 4).astype(str).tolist()[0] == "2028-02-29"
    assert add_years(dates, -1).astype(str).tolist()[0] == "2023-02-28"


def test_dates_written_the_chinese_way():
    dates = np.array(["2024-03-01", "NaT", "2026-12-31"], dtype="datetime64[D]")
    assert format_date_zh(dates).tolist() == ["2024年3月1日", "", "2026年12月31日"]


# ------------------------------------------------------------------------------------------ statuses

# (case, facts, expected status, expected fee) — as-of 2026-06-30
CASES: list[tuple[str, dict[str, Any], str, float]] = [
    ("unsupplied", {"supply_type": "未供"}, "not_applicable", 0.0),
    # first anniversary of 2025-07-01 is 2026-07-01: the day before → not yet idle
    (
        "day before 1st anniversary",
        supplied(agreed_start_date="2025-07-01", actual_start_date=None),
        "not_idle",
        0.0,
    ),
    # first anniversary of 2025-06-30 is the as-of date itself → idle, fee 20 % × 1 200 = 240
    (
        "day of 1st anniversary",
        supplied(agreed_start_date="2025-06-30", actual_start_date=None),
        "idle",
        240.0,
    ),
    # second anniversary of 2024-07-01 is 2026-07-01: the day before → still idle (fee)
    (
        "day before 2nd anniversary",
        supplied(agreed_start_date="2024-07-01", actual_start_date=None),
        "idle",
        240.0,
    ),
    # second anniversary of 2024-06-30 is the as-of date → recoverable, no fee
    (
        "day of 2nd anniversary",
        supplied(agreed_start_date="2024-06-30", actual_start_date=None),
        "idle_recoverable",
        0.0,
    ),
    (
        "government cause",
        supplied(agreed_start_date="2025-06-30", actual_start_date=None, gov_cause=True),
        "idle_gov_caused",
        0.0,
    ),
    (
        "government cause, 2 years",
        supplied(agreed_start_date="2023-01-01", actual_start_date=None, gov_cause=True),
        "idle_gov_caused",
        0.0,
    ),
    (
        "government cause before anniversary",
        supplied(agreed_start_date="2025-07-01", actual_start_date=None, gov_cause=True),
        "not_idle",
        0.0,
    ),
    (
        "gov_cause false",
        supplied(agreed_start_date="2025-06-30", actual_start_date=None, gov_cause=False),
        "idle",
        240.0,
    ),
    (
        "started, running",
        supplied(agreed_start_date="2021-01-01", actual_start_date="2021-03-01"),
        "not_idle",
        0.0,
    ),
    # Art. 2 ¶2 on a 3 000 m² parcel: exactly 1/3 developed (1 000 m²) and 30 % invested → not stalled
    (
        "exactly one third",
        supplied(
            area_m2=3000.0,
            actual_start_date="2021-03-01",
            suspended_since="2025-06-30",
            developed_area_m2=1000.0,
            invested_wan=30.0,
            total_investment_wan=100.0,
        ),
        "not_idle",
        0.0,
    ),
    # 999 m² < 1 000 m² = one third → stalled (suspended exactly one year on the as-of date)
    (
        "just below one third",
        supplied(
            area_m2=3000.0,
            actual_start_date="2021-03-01",
            suspended_since="2025-06-30",
            developed_area_m2=999.0,
            invested_wan=30.0,
            total_investment_wan=100.0,
        ),
        "idle_stalled",
        0.0,
    ),
    # exactly 25 % invested, two thirds developed → not stalled
    (
        "exactly 25 percent",
        supplied(
            area_m2=3000.0,
            actual_start_date="2021-03-01",
            suspended_since="2025-06-30",
            developed_area_m2=2000.0,
            invested_wan=25.0,
            total_investment_wan=100.0,
        ),
        "not_idle",
        0.0,
    ),
    (
        "just below 25 percent",
        supplied(
            area_m2=3000.0,
            actual_start_date="2021-03-01",
            suspended_since="2025-06-30",
            developed_area_m2=2000.0,
            invested_wan=24.99,
            total_investment_wan=100.0,
        ),
        "idle_stalled",
        0.0,
    ),
    # suspended 2025-07-01: one full year is only reached on 2026-07-01
    (
        "suspended a day short of a year",
        supplied(
            area_m2=3000.0,
            actual_start_date="2021-03-01",
            suspended_since="2025-07-01",
            developed_area_m2=100.0,
            invested_wan=1.0,
            total_investment_wan=100.0,
        ),
        "not_idle",
        0.0,
    ),
    ("agreed start missing", supplied(agreed_start_date=None, actual_start_date=None), "unknown", 0.0),
    (
        "investment unknown, area fine",
        supplied(
            area_m2=3000.0,
            actual_start_date="2021-03-01",
            suspended_since="2024-01-01",
            developed_area_m2=2000.0,
        ),
        "unknown",
        0.0,
    ),
    # the area ratio alone decides when it is below 1/3, even with the investment unknown
    (
        "area low, investment unknown",
        supplied(
            area_m2=3000.0,
            actual_start_date="2021-03-01",
            suspended_since="2024-01-01",
            developed_area_m2=500.0,
        ),
        "idle_stalled",
        0.0,
    ),
    ("supply type missing", {"agreed_start_date": "2024-01-01"}, "unknown", 0.0),
]


@pytest.fixture(scope="module")
def statuses() -> pd.DataFrame:
    rows = [{"parcel_id": f"C{i:02d}", **facts} for i, (_, facts, _, _) in enumerate(CASES)]
    result = run_analysis(parcels_frame(rows), as_of=AS_OF)
    return result.parcels.set_index("parcel_id")


@pytest.mark.parametrize(("i", "case"), list(enumerate(CASES)), ids=[c[0] for c in CASES])
def test_status_and_fee(statuses, i, case):
    _, _, expected, fee = case
    row = statuses.loc[f"C{i:02d}"]
    assert row["idle_status"] == expected, row["idle_basis"]
    assert row["idle_fee_wan"] == pytest.approx(fee)


def test_basis_names_article_dates_and_fee(statuses):
    # agreed start 2025-06-30, first anniversary on the as-of date
    basis = statuses.loc["C02", "idle_basis"]
    assert basis == (
        "《闲置土地处置办法》第二条第一款、第十四条第一款：约定动工日期2025年6月30日，"
        "截至2026年6月30日未动工，已满一年未满两年；按土地价款1,200.00万元的20%征缴土地闲置费240.00万元"
    )
    assert statuses.loc["C04", "idle_basis"].startswith("《闲置土地处置办法》第二条第一款、第十四条第二款")
    assert "无偿收回" in statuses.loc["C04", "idle_basis"]
    assert "第八条、第十二条" in statuses.loc["C05", "idle_basis"]
    assert statuses.loc["C01", "idle_basis"].endswith("未满一年（满一年之日为2026年7月1日）")


def test_stalled_basis_gives_the_ratios(statuses):
    basis = statuses.loc["C11", "idle_basis"]  # 999 / 3000 = 33.30 %, 30 / 100 = 30.00 %
    assert basis.startswith(
        "《闲置土地处置办法》第二条第二款：已于2021年3月1日动工，2025年6月30日起中止开发建设"
    )
    assert "33.30%（不足三分之一）" in basis
    assert "已投资额占总投资30.00%；" in basis
    assert "不足25%" in statuses.loc["C13", "idle_basis"]


def test_unknown_names_the_missing_facts(statuses):
    assert statuses.loc["C15", "idle_basis"] == "无法认定是否闲置：缺少约定动工日期"
    assert statuses.loc["C16", "idle_basis"] == "无法认定是否闲置：缺少已投资额、总投资"
    assert statuses.loc["C18", "idle_basis"] == "无法认定是否闲置：缺少供地方式"


@pytest.mark.parametrize(("as_of", "expected"), [("2025-02-27", "not_idle"), ("2025-02-28", "idle")])
def test_29_february_supply_reaches_its_anniversary_on_28_february(as_of, expected):
    gdf = parcels_frame(
        [
            supplied(
                parcel_id="F",
                supply_date="2024-02-29",
                agreed_start_date="2024-02-29",
                actual_start_date=None,
            )
        ]
    )
    assert run_analysis(gdf, as_of=as_of).parcels["idle_status"].iloc[0] == expected


def test_missing_start_column_makes_supplied_parcels_unknown():
    gdf = parcels_frame(
        [supplied(parcel_id="A", agreed_start_date="2020-01-01"), {"parcel_id": "B", "supply_type": "未供"}]
    )
    result = run_analysis(gdf, as_of=AS_OF).parcels
    assert result["idle_status"].tolist() == ["unknown", "not_applicable"]
    assert result["idle_basis"].iloc[0] == "无法认定是否闲置：缺少实际动工日期"


def test_idle_without_land_price_has_null_fee_and_says_so():
    gdf = parcels_frame(
        [supplied(parcel_id="A", agreed_start_date="2025-06-01", actual_start_date=None, land_price_wan=None)]
    )
    row = run_analysis(gdf, as_of=AS_OF).parcels.iloc[0]
    assert row["idle_status"] == "idle"
    assert math.isnan(row["idle_fee_wan"])
    assert "土地价款缺失，金额待补" in row["idle_basis"]


def test_bad_dates_make_the_status_unknown_and_are_listed():
    gdf = parcels_frame(
        [
            supplied(parcel_id="FUT", agreed_start_date="2024-01-01", actual_start_date="2027-01-01"),
            supplied(
                parcel_id="FUTSUP",
                supply_date="2026-08-07",
                agreed_start_date="2024-01-01",
                actual_start_date=None,
            ),
            supplied(
                parcel_id="EARLY",
                supply_date="2022-05-01",
                agreed_start_date="2023-01-01",
                actual_start_date="2022-01-01",
            ),
        ]
    )
    # the run is on the as-of day: dates after it lie in the future of the run
    result = run_analysis(gdf, as_of=AS_OF, run_date=AS_OF)
    assert result.parcels["idle_status"].tolist() == ["unknown", "unknown", "unknown"]
    assert result.parcels["idle_basis"].iloc[1] == "无法认定是否闲置：数据有误（见数据问题表）：供地日期"
    assert "数据有误（见数据问题表）：实际动工日期" in result.parcels["idle_basis"].iloc[0]
    issues = result.data_issues.set_index("parcel_id")
    assert issues.loc["FUT", "column"] == "actual_start_date"
    assert "未来日期" in issues.loc["FUT", "problem"]
    assert issues.loc["EARLY", "value"] == "2022-01-01"
    assert "早于供地日期" in issues.loc["EARLY", "problem"]


def test_floor_area_reading_of_the_one_third_rule(tmp_path: Path):
    """第二条第二款 "开发建设用地面积占应动工开发建设用地总面积不足三分之一"; the floor reading takes
    应动工开发建设总面积 as the planned floor area, so a half-built parcel is 1/2 built, never ~100 %.

    Land basis: 1 000 / 6 000 m² = 1/6 < 1/3 → stalled. Floor basis: built 总建筑面积 3 000 of a planned
    6 000 m² = 50 % → not stalled; 1 999.98 of 6 000 = 33.333 % < 1/3 → stalled; exactly 2 000 = 1/3 → not.
    The built floor area alone (3 000 / 3 000) would have read 100 %.
    """
    base_facts = dict(
        area_m2=6000.0,
        actual_start_date="2021-03-01",
        suspended_since="2024-01-01",
        developed_area_m2=1000.0,
        floor_area_m2=3000.0,
        invested_wan=50.0,
        total_investment_wan=100.0,
        planned_floor_area_m2=6000.0,
    )
    gdf = parcels_frame(
        [
            supplied(parcel_id="S", gross_floor_area_m2=3000.0, **base_facts),
            supplied(parcel_id="T", gross_floor_area_m2=1999.98, **base_facts),
            supplied(parcel_id="U", gross_floor_area_m2=2000.0, **base_facts),
        ]
    )
    assert run_analysis(gdf, as_of=AS_OF).parcels["idle_status"].iloc[0] == "idle_stalled"
    user = tmp_path / "floor.yaml"
    user.write_text("extends: national\nidle:\n  stalled_area_basis: floor\n", encoding="utf-8")
    out = run_analysis(gdf, as_of=AS_OF, rules=str(user)).parcels.set_index("parcel_id")
    assert out["idle_status"].to_dict() == {"S": "not_idle", "T": "idle_stalled", "U": "not_idle"}
    assert "已建总建筑面积占规划总建筑面积50.00%" in out.loc["S", "idle_basis"]


def test_floor_basis_is_refused_without_the_planned_floor_area(tmp_path: Path):
    user = tmp_path / "floor.yaml"
    user.write_text("idle:\n  stalled_area_basis: floor\n", encoding="utf-8")
    gdf = parcels_frame([supplied(parcel_id="S", actual_start_date="2021-03-01", floor_area_m2=3000.0)])
    with pytest.raises(SchemaError, match="planned_floor_area_m2"):
        run_analysis(gdf, as_of=AS_OF, rules=str(user))


def test_stalled_land_is_disposed_of_under_article_12():
    """第十二条 (last paragraph, seen only in translation):
    "符合本办法第二条第二款规定情形的闲置土地，依照本条规定的方式处置"."""
    gdf = parcels_frame(
        [
            supplied(
                parcel_id="S",
                area_m2=6000.0,
                actual_start_date="2021-03-01",
                suspended_since="2024-01-01",
                developed_area_m2=1000.0,
                invested_wan=50.0,
                total_investment_wan=100.0,
            )
        ]
    )
    row = run_analysis(gdf, as_of=AS_OF).parcels.iloc[0]
    assert row["idle_status"] == "idle_stalled"
    assert row["idle_basis"].endswith("可以认定为闲置土地，依第十二条规定的方式处置")


def test_government_cause_covers_force_majeure():
    """第八条第二款: "因自然灾害等不可抗力导致土地闲置的，依照前款规定办理" — the basis names both."""
    gdf = parcels_frame(
        [supplied(parcel_id="G", agreed_start_date="2025-01-01", actual_start_date=None, gov_cause=True)]
    )
    row = run_analysis(gdf, as_of=AS_OF).parcels.iloc[0]
    assert row["idle_status"] == "idle_gov_caused"
    assert "第二款自然灾害等不可抗力" in row["idle_basis"] and "第十二条" in row["idle_basis"]
    assert row["idle_fee_wan"] == 0.0


def test_rented_land_has_no_fee_base_in_article_14():
    """第十四条第一款 "按照土地出让或者划拨价款的百分之二十征缴土地闲置费": 租赁 land is not named — no fee is
    invented. Agreed start 2025-01-01, as-of 2026-06-30: one full year, not two."""
    gdf = parcels_frame(
        [
            supplied(
                parcel_id="R", supply_type="租赁", agreed_start_date="2025-01-01", actual_start_date=None
            ),
            supplied(parcel_id="C", agreed_start_date="2025-01-01", actual_start_date=None),
        ]
    )
    out = run_analysis(gdf, as_of=AS_OF).parcels.set_index("parcel_id")
    assert out.loc["R", "idle_status"] == "idle"
    assert out.loc["R", "idle_fee_wan"] == 0.0
    assert "租赁供地不在其列" in out.loc["R", "idle_basis"]
    assert out.loc["C", "idle_fee_wan"] == pytest.approx(240.0)  # 20 % × 1 200


def test_preparatory_work_exception_of_the_real_estate_law():
    """城市房地产管理法 第二十六条: "…满一年未动工开发的，可以征收…土地闲置费；
    满二年未动工开发的，可以无偿收回土地使用权；但是，因不可抗力或者政府、政府有关部门的行为或者动工开发必需的前期工作造成动工开发迟延的除外。"

    出让 land with a verified preparatory-work delay: still idle (Art. 2 ¶1), no fee, not recoverable. The
    boundary: agreed 2024-06-30 → second anniversary 2026-06-30 = the as-of day (recoverable without it).
    """
    gdf = parcels_frame(
        [
            supplied(
                parcel_id="P2", agreed_start_date="2024-06-30", actual_start_date=None, preparatory_delay=True
            ),
            supplied(
                parcel_id="N2",
                agreed_start_date="2024-06-30",
                actual_start_date=None,
                preparatory_delay=False,
            ),
            supplied(
                parcel_id="P1", agreed_start_date="2025-06-30", actual_start_date=None, preparatory_delay=True
            ),
            supplied(
                parcel_id="A2",
                supply_type="划拨",
                agreed_start_date="2024-06-30",
                actual_start_date=None,
                preparatory_delay=True,
            ),
        ]
    )
    out = run_analysis(gdf, as_of=AS_OF).parcels.set_index("parcel_id")
    assert out["idle_status"].to_dict() == {
        "P2": "idle",
        "N2": "idle_recoverable",
        "P1": "idle",
        "A2": "idle_recoverable",  # Art. 26 governs 出让 land; 划拨 land follows Art. 14 of the Measures
    }
    assert out.loc["P2", "idle_fee_wan"] == 0.0 and out.loc["P1", "idle_fee_wan"] == 0.0
    assert (
        "动工开发必需的前期工作" in out.loc["P2", "idle_basis"] and "已满两年" in out.loc["P2", "idle_basis"]
    )


def test_missing_gov_cause_can_be_made_unknown(tmp_path: Path):
    user = tmp_path / "strict.yaml"
    user.write_text("idle:\n  missing_gov_cause: unknown\n", encoding="utf-8")
    gdf = parcels_frame([supplied(parcel_id="G", agreed_start_date="2025-01-01", actual_start_date=None)])
    assert run_analysis(gdf, as_of=AS_OF).parcels["idle_status"].iloc[0] == "idle"
    row = run_analysis(gdf, as_of=AS_OF, rules=str(user)).parcels.iloc[0]
    assert row["idle_status"] == "unknown"
    assert row["idle_basis"] == "无法认定是否闲置：缺少政府原因"


def test_evaluate_idle_is_vectorised_over_many_parcels():
    # 20 000 parcels with agreed starts spread over four years: statuses follow the anniversaries
    n = 20_000
    agreed = np.datetime64("2023-01-01") + (np.arange(n) % 1461).astype("timedelta64[D]")
    frame = pd.DataFrame(
        {
            "parcel_id": [f"P{i}" for i in range(n)],
            "supply_type": "出让",
            "agreed_start_date": agreed.astype("datetime64[ns]"),
            "actual_start_date": pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns]"),
            "land_price_wan": 100.0,
            "area_m2": 1000.0,
        }
    )
    facts = Facts(frame=frame, invalid={}, as_of=np.datetime64(AS_OF, "D"))
    out = evaluate_idle(facts, load_preset("national").rules.idle)
    t = np.datetime64(AS_OF, "D")
    expected = np.where(
        t >= add_years(agreed, 2), "idle_recoverable", np.where(t >= add_years(agreed, 1), "idle", "not_idle")
    )
    assert (out["idle_status"].to_numpy() == expected).all()
    assert out["idle_fee_wan"].sum() == pytest.approx(20.0 * (expected == "idle").sum())

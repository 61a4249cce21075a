"""Tiny inline park for the map and briefing tests: 12 parcels in EPSG:4546 near Yulin (110.15°E, 22.63°N)."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo.vocab import IDLE_STATUSES

#: EPSG:4546 coordinates of Yulin city (domain.md §8 check values)
YULIN_E, YULIN_N = 412_617.9, 2_503_812.7

STATUSES = list(IDLE_STATUSES)
REASONS = [
    "",
    "far_below_min;tax_below_avg_share",
    "coef_below_min",
    "idle",
    "exempt:high_tech",
    "dangerous_building",
]


def make_parcels(n: int = 12, *, crs: int | None = 4546, origin: tuple[float, float] = (YULIN_E, YULIN_N)):
    i = np.arange(n)
    side = int(np.ceil(np.sqrt(n)))
    cx = origin[0] + (i % side) * 120.0
    cy = origin[1] + (i // side) * 120.0
    status = np.array(STATUSES, dtype=object)[i % len(STATUSES)]
    reasons = np.array(REASONS, dtype=object)[i % len(REASONS)]
    area = np.full(n, 100.0 * 90.0)
    return gpd.GeoDataFrame(
        {
            "parcel_id": [f"YL-{k:03d}" for k in i],
            "enterprise": [f"玉林市第{k}机械有限公司" for k in i],
            "area_m2": area,
            "area_mu": area * 3 / 2000,
            "far": 0.5 + 0.1 * i,
            "building_coef": 0.25 + 0.02 * i,
            "tax_per_mu": 2.0 * i,
            "idle_status": status,
            "idle_basis": [
                "《闲置土地处置办法》第二条：超过约定动工日期满一年未动工"
                if str(s).startswith("idle")
                else ""
                for s in status
            ],
            "idle_fee_wan": np.where(status == "idle", 120.0, 0.0),
            "low_efficiency": [bool(r) and not str(r).startswith("exempt") for r in reasons],
            "low_eff_reasons": reasons,
            "mujun_class": np.array(["A", "B", "C", "D", None], dtype=object)[i % 5],
        },
        geometry=shapely.box(cx, cy, cx + 100.0, cy + 90.0),
        crs=crs,
    )


def make_plan_layers(parcels: gpd.GeoDataFrame, *, variant: int = 0) -> dict[str, gpd.GeoDataFrame]:
    cand = parcels[parcels["idle_status"].astype(str).str.startswith("idle")].copy()
    actions = (
        ["release", "facility:clinic", "upgrade", "green"]
        if variant == 0
        else ["upgrade", "keep", "upgrade", "facility:clinic"]
    )
    cand["action"] = [actions[k % len(actions)] for k in range(len(cand))]
    cand["facility_type"] = cand["action"].str.split(":").str[1]
    cand["cost_wan"] = [800.0 if a.startswith("facility") else 300.0 for a in cand["action"]]
    cand = cand[["parcel_id", "action", "facility_type", "cost_wan", "area_m2", "idle_status", "geometry"]]
    fac = cand[cand["action"].str.startswith("facility")]
    sites = gpd.GeoDataFrame(
        {
            "site_id": [f"S{k}" for k in range(len(fac))] + ["E0"],
            "parcel_id": [*fac["parcel_id"], None],
            "type": ["clinic"] * len(fac) + ["clinic"],
            "existing": [False] * len(fac) + [True],
            "radius_m": [300.0] * (len(fac) + 1),
            "served_demand": [120.0] * (len(fac) + 1),
        },
        geometry=[*fac.geometry.centroid, shapely.Point(YULIN_E - 200, YULIN_N - 200)],
        crs=parcels.crs,
    )
    rng = np.random.default_rng(1)
    pts = shapely.points(YULIN_E + rng.uniform(-300, 700, 30), YULIN_N + rng.uniform(-300, 600, 30))
    demand = gpd.GeoDataFrame(
        {"weight": rng.integers(5, 50, 30).astype(float)}, geometry=pts, crs=parcels.crs
    )
    dist = np.min(
        [shapely.distance(pts, s) for s in sites.geometry],
        axis=0,
    )
    demand["covered_clinic"] = dist <= 300.0
    demand["site_clinic"] = "S0"
    return {"parcels": cand, "sites": sites, "demand": demand}


def make_plan(
    layers: dict[str, gpd.GeoDataFrame], *, name: str = "2027 公共设施方案", status: str = "optimal"
) -> dict:
    cand = layers["parcels"]
    d = layers["demand"]
    return {
        "name": name,
        "status": status,
        "objective": float(d.loc[d["covered_clinic"], "weight"].sum()),
        "mip_gap": 0.0,
        "covered_demand": float(d.loc[d["covered_clinic"], "weight"].sum()),
        "coverage_ratio": float(d.loc[d["covered_clinic"], "weight"].sum() / d["weight"].sum()),
        "total_cost_wan": float(cand["cost_wan"].sum()),
        "selected": [
            {"parcel_id": p, "type": t, "action": a}
            for p, t, a in zip(cand["parcel_id"], cand["facility_type"], cand["action"], strict=True)
        ],
        "build_seconds": 0.1,
        "solve_seconds": 0.2,
        "solver": {"name": "cbc"},
    }


def write_analysis_dir(path: Path, parcels: gpd.GeoDataFrame | None = None) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (parcels if parcels is not None else make_parcels()).to_file(
        path / "parcels.gpkg", layer="parcels", engine="pyogrio"
    )
    (path / "indicators.json").write_text(
        json.dumps({"zone_type": "industry_led", "overall_far": 1.12, "idle_land_rate": 0.041}),
        encoding="utf-8",
    )
    return path


def write_plan_dir(
    path: Path, *, variant: int = 0, status: str = "optimal", name: str = "2027 公共设施方案"
) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    layers = make_plan_layers(make_parcels(), variant=variant)
    for key, gdf in layers.items():
        gdf.to_file(path / "plan.gpkg", layer=key, engine="pyogrio")
    plan = make_plan(layers, name=name, status=status)
    if status != "optimal":
        plan.update(
            {"objective": None, "selected": [], "diagnosis": ["预算 20000 万元不足以建设 3 处卫生服务站"]}
        )
    (path / "plan.json").write_text(json.dumps(plan, ensure_ascii=False), encoding="utf-8")
    pd.DataFrame(
        {"epsilon": [0, 1, 2], "coverage": [100.0, 300.0, 420.0], "cost_wan": [0.0, 800.0, 1600.0]}
    ).to_csv(path / "frontier.csv", index=False)
    return path


@pytest.fixture
def parcels() -> gpd.GeoDataFrame:
    return make_parcels()


@pytest.fixture
def analysis_dir(tmp_path: Path) -> Path:
    return write_analysis_dir(tmp_path / "analysis")


@pytest.fixture
def plan_dir(tmp_path: Path) -> Path:
    return write_plan_dir(tmp_path / "plan")

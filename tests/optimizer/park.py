"""A tiny analysed park written to a GeoPackage, and a scenario writer (shared by the plan tests)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import yaml
from shapely.geometry import Point, box

X0, Y0 = 400_000.0, 2_500_000.0  # EPSG:4546 (CGCS2000 / 3-degree GK CM 111E), near Yulin
MU = 2000.0 / 3.0


def square(x: float, y: float, side: float):
    return box(X0 + x, Y0 + y, X0 + x + side, Y0 + y + side)


def make_tiny_park(tmp_path: Path) -> Path:
    """Three analysed parcels (10 亩 each) in a row, demand points, an exclusion zone.

    P1 at x 0–81.6 m: idle_recoverable (recovered without compensation), no tax.
    P2 at x 300 m:    low-efficiency, tax 50 万元 (5 万元/亩), supplied.
    P3 at x 600 m:    not idle, not low-efficiency (not a candidate under ``revitalisable``).
    """
    side = float(np.sqrt(10 * MU))  # 10 亩
    parcels = gpd.GeoDataFrame(
        {
            "parcel_id": ["P1", "P2", "P3"],
            "supply_type": ["出让", "出让", "出让"],
            "land_use": ["100101", "100101", "100101"],
            "planned_use": ["100101", "0806", "100101"],
            "tax_wan": [0.0, 50.0, 200.0],
            "land_price_wan": [300.0, 300.0, 300.0],
            "idle_status": ["idle_recoverable", "not_idle", "not_idle"],
            "low_efficiency": [False, True, False],
            "area_m2": [side * side] * 3,
            "tax_per_mu": [0.0, 5.0, 20.0],
            "idle_fee_wan": [0.0, 40.0, 0.0],  # P2 as if it owed an idle fee
        },
        geometry=[square(0, 0, side), square(300, 0, side), square(600, 0, side)],
        crs="EPSG:4546",
    )
    demand = gpd.GeoDataFrame(
        {"weight": [10.0, 10.0, 5.0], "kind": ["residents", "workers", "residents"]},
        geometry=[Point(X0 + 40, Y0 + 120), Point(X0 + 40, Y0 - 60), Point(X0 + 700, Y0 + 200)],
        crs="EPSG:4546",
    )
    zone = gpd.GeoDataFrame({"kind": ["flood"]}, geometry=[square(590, -10, 120)], crs="EPSG:4546")
    path = tmp_path / "park.gpkg"
    parcels.to_file(path, layer="parcels")
    demand.to_file(path, layer="demand")
    zone.to_file(path, layer="exclusion")
    return path


def scenario_writer(tmp_path: Path):
    def write(data: dict, name: str = "scenario.yaml") -> Path:
        p = tmp_path / name
        p.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        return p

    return write


def base_scenario(**kw) -> dict:
    data = {
        "name": "tiny",
        "parcels": {"path": "park.gpkg", "layer": "parcels"},
        "candidates": "revitalisable",
        "demand": {"path": "park.gpkg", "layer": "demand", "weight": "weight"},
        "objective": "revitalise",
        "facilities": [],
        "weights": {"net_return": 1.0},
        "land_shares": {"living_max": None},
        "solver": {"name": "cbc", "time_limit_s": 30},
    }
    data.update(kw)
    return data

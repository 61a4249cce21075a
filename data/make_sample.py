"""Build the synthetic 玉林高新区 sample park (issue 2) deterministically from one seed.

Parcels, roads, demand, facilities, zoning, exclusions, rasters and an awkward Shapefile copy.

Usage::

    .venv/bin/python data/make_sample.py --out data/sample [--seed 20260630]

Writes into ``--out``: ``yulin_park.gpkg`` (layers ``parcels``, ``roads``, ``demand``,
``facilities``, ``planned_use``, ``exclusion``), ``parcels.parquet`` (GeoParquet), ``ndvi.tif`` and
``builtup.tif`` (10 m), ``sample_meta.json`` (seed, as-of date, CRS, counts, the parcels built to
show each case) and ``awkward/yulin_slice.shp``. See ``docs/sample.md``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path
from typing import cast

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from shapely.geometry import Point, Polygon

from data import sample_params as sp
from data.sample_awkward import write_awkward
from data.sample_layout import build_layout, carve_corner
from data.sample_rasters import surface_shares, write_rasters
from data.sample_records import assign_uses, build_records
from geo.schema import CANONICAL_COLUMNS, FIELDS_BY_NAME
from geo.units import M2_PER_MU

CRS = f"EPSG:{sp.CRS_EPSG}"
DATE_COLUMNS = tuple(f.name for f in FIELDS_BY_NAME.values() if f.kind == "date")
#: a hospital in Yulin's old town, west of the park (existing facility outside the parcels)
CITY_HOSPITAL_LOCAL = (-900.0, 2_650.0)


def attribute_csv(parcels: pd.DataFrame) -> bytes:
    """Return the parcels' attribute table as CSV bytes (canonical columns, no geometry).

    This is the determinism key: the same seed gives the same bytes.
    """
    return parcels[list(CANONICAL_COLUMNS)].to_csv(index=False, lineterminator="\n").encode("utf-8")


def _carve_tiny(
    parcels: list[Polygon], zones: list[str], blocks: list[int], rng: np.random.Generator
) -> np.ndarray:
    """Carve the 10 kV substation plots (225 m², under 3 pixels) out of rectangular industrial parcels."""
    cand = [
        i
        for i, (p, z) in enumerate(zip(parcels, zones, strict=True))
        if z == "industrial"
        and p.area > 20 * M2_PER_MU
        and p.area / shapely.minimum_rotated_rectangle(p).area > 0.98
    ]
    hosts = rng.choice(np.array(cand), size=sp.N_TINY_SUBSTATIONS, replace=False)
    for h in sorted(hosts.tolist()):
        rest, square = carve_corner(parcels[h], sp.TINY_SUBSTATION_SIDE_M)
        parcels[h] = rest
        parcels.append(square)
        zones.append("industrial")
        blocks.append(blocks[h])
    tiny = np.zeros(len(parcels), dtype=bool)
    tiny[-sp.N_TINY_SUBSTATIONS :] = True
    return tiny


def _points_in(
    polys: np.ndarray, counts: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """``counts[i]`` random points inside each polygon (rejection sampling, vectorised).

    Returns the points and the index of the polygon each belongs to.
    """
    tries = counts * 6 + 6
    owner = np.repeat(np.arange(len(polys)), tries)
    b = shapely.bounds(polys)[owner]
    x = rng.uniform(b[:, 0], b[:, 2])
    y = rng.uniform(b[:, 1], b[:, 3])
    inside = shapely.contains_xy(polys[owner], x, y)
    rank = pd.Series(inside.astype(int)).groupby(owner).cumsum().to_numpy()
    keep = inside & (rank <= counts[owner])
    pts = shapely.points(x[keep], y[keep])
    got = np.bincount(owner[keep], minlength=len(polys))
    short = np.flatnonzero(got < counts)  # thin shapes: fall back to a point on the surface
    extra_owner = np.repeat(short, counts[short] - got[short])
    extra = shapely.point_on_surface(polys[extra_owner])
    return np.concatenate([pts, extra]), np.concatenate([owner[keep], extra_owner])


def _demand(parcels: gpd.GeoDataFrame, rng: np.random.Generator) -> gpd.GeoDataFrame:
    """Workers at enterprise parcels in production, residents in occupied residential blocks."""
    role = parcels["_role"].to_numpy(dtype=object)
    state = parcels["_state"].to_numpy(dtype=object)
    area = parcels.geometry.area.to_numpy()
    polys = parcels.geometry.to_numpy()
    emp = parcels["employees"].to_numpy(dtype=float)
    workers = np.isin(role, ["industrial", "warehouse", "commercial", "research"]) & (emp > 0)
    residents = (role == "residential") & (state == "operating")
    population = np.round(
        parcels["floor_area_m2"].to_numpy(dtype=float)
        / sp.M2_PER_RESIDENT
        * rng.uniform(*sp.RESIDENT_OCCUPANCY, len(parcels))
    )
    frames = []
    for kind, mask, total, per_m2, cap in (
        ("workers", workers, emp, 5_000.0, 20),
        ("residents", residents, population, 2_500.0, 30),
    ):
        idx = np.flatnonzero(mask)
        counts = np.clip(np.ceil(area[idx] / per_m2).astype(int), 1, cap)
        pts, owner = _points_in(polys[idx], counts, rng)
        order = np.lexsort((shapely.get_x(pts), owner))  # stable: by parcel, then west to east
        pts, owner = pts[order], owner[order]
        weight = total[idx][owner] / counts[owner]
        frames.append(
            gpd.GeoDataFrame(
                {
                    "kind": kind,
                    "weight": np.round(weight, 2),
                    "parcel_id": parcels["parcel_id"].to_numpy()[idx][owner],
                },
                geometry=pts,
                crs=CRS,
            )
        )
    demand = pd.concat(frames, ignore_index=True)
    demand.insert(0, "demand_id", [f"D{i + 1:05d}" for i in range(len(demand))])
    return gpd.GeoDataFrame(demand, geometry="geometry", crs=CRS)


def _facilities(parcels: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Existing public facilities: one point per facility parcel, plus the city hospital outside the park."""
    fac = parcels[(parcels["_facility"] != "") & (parcels["_state"] == "operating")]
    hospital = Point(CITY_HOSPITAL_LOCAL[0] + sp.ORIGIN_E, CITY_HOSPITAL_LOCAL[1] + sp.ORIGIN_N)
    out = gpd.GeoDataFrame(
        {
            "type": [*fac["_facility"].tolist(), "hospital"],
            "name": [*fac["_facility_name"].tolist(), "玉林市第一人民医院"],
            "parcel_id": [*fac["parcel_id"].tolist(), None],
        },
        geometry=[*shapely.point_on_surface(fac.geometry.to_numpy()), hospital],
        crs=CRS,
    )
    out.insert(0, "facility_id", [f"F{i + 1:03d}" for i in range(len(out))])
    return out


def _planned_layer(
    parcels: gpd.GeoDataFrame, corridors: object, red_line: Polygon, boundary: Polygon
) -> gpd.GeoDataFrame:
    """Build the zoning layer: parcels dissolved by block and planned use, road land (1207), red line (03)."""
    zoning = parcels[["_block", "planned_use", "geometry"]].dissolve(
        by=["_block", "planned_use"], as_index=False
    )
    zoning = zoning.explode(index_parts=False)[["planned_use", "geometry"]]
    road_land = [
        g for g in shapely.get_parts(shapely.intersection(corridors, boundary)) if isinstance(g, Polygon)
    ]
    roads = gpd.GeoDataFrame({"planned_use": ["1207"] * len(road_land)}, geometry=road_land, crs=CRS)
    forest = gpd.GeoDataFrame({"planned_use": ["03"]}, geometry=[red_line], crs=CRS)
    out = pd.concat([zoning, roads, forest], ignore_index=True)
    out["name"] = out["planned_use"].map(sp.LAND_USE_NAMES)
    out.insert(0, "zone_id", [f"Z{i + 1:04d}" for i in range(len(out))])
    return gpd.GeoDataFrame(out, geometry="geometry", crs=CRS)


def _exclusion(river: object, red_line: Polygon, boundary: Polygon) -> gpd.GeoDataFrame:
    extent = shapely.box(*boundary.buffer(sp.RASTER_MARGIN_M).bounds)
    flood = shapely.buffer(river, sp.FLOOD_BUFFER_M).intersection(extent)
    return gpd.GeoDataFrame(
        {
            "kind": ["flood_zone", "eco_redline"],
            "name": ["南流江百年一遇洪水淹没区", "高新区东部生态保护红线（林地）"],
        },
        geometry=[flood, red_line],
        crs=CRS,
    )


def _roads(layout_roads: list) -> gpd.GeoDataFrame:
    out = gpd.GeoDataFrame(
        {
            "road_id": [f"R{i + 1:03d}" for i in range(len(layout_roads))],
            "name": [r[0] for r in layout_roads],
            "road_class": [r[1] for r in layout_roads],
            "width_m": [r[2] for r in layout_roads],
        },
        geometry=[r[3] for r in layout_roads],
        crs=CRS,
    )
    return out


def _for_file(frame: pd.DataFrame) -> pd.DataFrame:
    """Dates as real dates (``datetime.date`` → OGR Date / Arrow date32) for writing."""
    out = frame.copy()
    for col in DATE_COLUMNS:
        if col in out:
            out[col] = pd.Series(
                [None if pd.isna(v) else v.date() for v in out[col]], index=out.index, dtype=object
            )
    return out


def build_sample(out_dir: Path | str, seed: int = sp.DEFAULT_SEED) -> dict[str, object]:
    """Build the sample park into ``out_dir`` and return the content of ``sample_meta.json``.

    Parameters
    ----------
    out_dir : path
        Directory to write into (created; files of a previous build are overwritten).
    seed : int
        Seed of the one random generator every draw comes from; the same seed gives a
        byte-identical attribute table (:func:`attribute_csv`).

    Returns
    -------
    dict
        The content written to ``sample_meta.json``.

    """
    t0 = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)

    layout = build_layout(rng)
    polys, zones, blocks = list(layout.parcels), list(layout.zones), list(layout.blocks)
    tiny = _carve_tiny(polys, zones, blocks, rng)
    geoms = np.array(polys, dtype=object)
    cent = shapely.centroid(geoms)
    # number parcels north to south in 250 m bands, west to east within a band
    order = np.lexsort((shapely.get_x(cent), -np.floor(shapely.get_y(cent) / 250.0)))
    geoms, tiny = geoms[order], tiny[order]
    zones_arr = np.array(zones, dtype=object)[order]
    blocks_arr = np.array(blocks)[order]
    cx = shapely.get_x(shapely.centroid(geoms))
    area = shapely.area(geoms)
    ids = np.array([f"YL-GX-{i + 1:04d}" for i in range(len(geoms))], dtype=object)

    uses = assign_uses(zones_arr, area, cx, rng)
    town = shapely.union_all(geoms[np.isin(zones_arr, ["residential", "public_mixed"])])
    near_town = shapely.distance(geoms, town)
    records = build_records(uses, area, ids, near_town, tiny, rng)

    parcels = gpd.GeoDataFrame(records.frame, geometry=list(geoms), crs=CRS)
    parcels["_block"] = blocks_arr
    parcels["_zone"] = zones_arr
    roads = _roads(layout.road_lines)
    demand = _demand(parcels, rng)
    facilities = _facilities(parcels)
    planned = _planned_layer(parcels, layout.road_corridors, layout.red_line, layout.boundary)
    exclusion = _exclusion(layout.river, layout.red_line, layout.boundary)
    grid = write_rasters(
        out,
        list(geoms),
        surface_shares(records.frame, area),
        layout.road_corridors,
        layout.red_line,
        layout.river,
        layout.boundary,
        rng,
    )

    public = parcels[[*CANONICAL_COLUMNS, "geometry"]]
    gpkg = out / "yulin_park.gpkg"
    gpkg.unlink(missing_ok=True)
    layers = {
        "parcels": _for_file(public),
        "roads": roads,
        "demand": demand,
        "facilities": facilities,
        "planned_use": planned,
        "exclusion": exclusion,
    }
    for name, layer in layers.items():
        pyogrio.write_dataframe(layer, gpkg, layer=name, driver="GPKG", use_arrow=True)
    _for_file(public).to_parquet(out / "parcels.parquet", index=False)
    awkward = write_awkward(public, out, rng)

    mu = area / M2_PER_MU
    role = parcels["_role"].to_numpy(dtype=object)
    meta: dict[str, object] = {
        "seed": seed,
        "as_of": sp.AS_OF.isoformat(),
        "crs": CRS,
        "generated_by": "data/make_sample.py",
        "layers": {name: len(layer) for name, layer in layers.items()},
        "park_area_km2": round(layout.boundary.area / 1e6, 3),
        "parcel_area_km2": round(float(area.sum()) / 1e6, 3),
        "parcels_by_role": {
            r: {"count": int((role == r).sum()), "area_mu": round(float(mu[role == r].sum()), 1)}
            for r in sorted(set(role.tolist()))
        },
        "parcels_by_supply_type": parcels["supply_type"].value_counts().sort_index().to_dict(),
        "parcels_by_planned_class": parcels["planned_use"].str[:2].value_counts().sort_index().to_dict(),
        "demand_weight": {k: round(float(v), 1) for k, v in demand.groupby("kind")["weight"].sum().items()},
        "facilities_by_type": facilities["type"].value_counts().sort_index().to_dict(),
        "cases": records.cases,
        "parcel_cases": {
            pid: [name for name, ids in records.cases.items() if pid in ids]
            for pid in sorted({pid for ids in records.cases.values() for pid in ids})
        },
        "case_notes": {
            "meaning": "parcels constructed to show each case, evaluated at as_of; a parcel may show other "
            "reasons too (e.g. a non-exempt low-efficiency case has low revenue, hence a low 亩均税收)",
            "exempt_*": "would be flagged far_below_min (and low tax for new_production/high_tech) "
            "but for the exemption",
            "not_idle_*": "near misses that must stay not_idle at as_of",
            "tiny_parcel": "10 kV substation plots of 225 m² (under 3 pixels of 10 m)",
        },
        "rasters": grid,
        "awkward": awkward,
        "attributes_sha256": hashlib.sha256(attribute_csv(public)).hexdigest(),
        "build_seconds": None,
    }
    meta["build_seconds"] = round(time.perf_counter() - t0, 2)
    (out / "sample_meta.json").write_text(
        json.dumps(meta, ensure_ascii=False, indent=2, default=str), encoding="utf-8"
    )
    return meta


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: ``make_sample.py --out DIR [--seed N]``."""
    parser = argparse.ArgumentParser(
        description="生成玉林高新区示例数据 — build the synthetic 玉林高新区 sample park"
    )
    parser.add_argument("--out", required=True, type=Path, help="output directory (e.g. data/sample)")
    parser.add_argument(
        "--seed", type=int, default=sp.DEFAULT_SEED, help=f"random seed (default {sp.DEFAULT_SEED})"
    )
    args = parser.parse_args(argv)
    if args.seed < 0:
        parser.error(f"--seed must be a non-negative integer, got {args.seed}")
    try:
        meta = build_sample(args.out, seed=args.seed)
    except OSError as error:  # unwritable or full output directory: one line, no traceback
        print(f"make_sample: 无法写入 cannot write {args.out}: {error}", file=sys.stderr)
        return 2
    layers = cast(dict[str, int], meta["layers"])
    print(
        f"示例园区 sample park → {args.out}: {layers['parcels']} 宗地 parcels, "
        f"{layers['roads']} road segments, "
        f"{layers['demand']} demand points, {layers['facilities']} facilities; as-of {meta['as_of']}; "
        f"{meta['build_seconds']} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

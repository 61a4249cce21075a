"""The deliberately awkward Shapefile copy of a slice of the sample park (ingest's test bed).

What makes it awkward, all on purpose (issue 2; hardening.md A14, A15, A17, A18):

* field names are the Chinese aliases of ``geo/schema.py`` that fit the DBF's 10-byte limit in GBK,
  and a few are *truncated* to 10 bytes the way ArcGIS does (约定动工日期 → 约定动工日);
* text is GBK, there is no ``.cpg`` and the DBF language-driver id (byte 29) is 0, so nothing in
  the files declares the encoding;
* dates are text in mixed forms (``2019/5/1``, ``2019年5月1日``, ISO), booleans are 是/否, some
  numbers are text;
* coordinates carry the zone prefix (EPSG:4525, E ≈ 37 4xx xxx) and the ``.prj`` is ESRI WKT;
* a few geometries are invalid (bow-tie, self-touching ring, spike) and one parcel id is duplicated.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS
from shapely.geometry import Polygon

from data import sample_params as sp

#: DBF field name -> (canonical column, how it is stored, the full alias it was truncated from or "")
AWKWARD_FIELDS: dict[str, tuple[str, str, str]] = {
    "地块编号": ("parcel_id", "text", ""),
    "地块名称": ("name", "text", ""),
    "企业名称": ("enterprise", "text", ""),
    "现状用途": ("land_use", "text", ""),
    "规划用途": ("planned_use", "text", ""),
    "供地方式": ("supply_type", "text", ""),
    "供地日期": ("supply_date", "date_text", ""),
    "到期日期": ("lease_end_date", "date_text", ""),
    "约定动工日": ("agreed_start_date", "date_text", "约定动工日期"),
    "约定竣工日": ("agreed_completion_date", "date_text", "约定竣工日期"),
    "实际动工日": ("actual_start_date", "date_text", "实际动工日期"),
    "停工日期": ("suspended_since", "date_text", ""),
    "政府原因": ("gov_cause", "bool_text", ""),
    "已开发面积": ("developed_area_m2", "number", ""),
    "总投资": ("total_investment_wan", "number_text", ""),
    "已投资额": ("invested_wan", "number", ""),
    "土地价款": ("land_price_wan", "number", ""),
    "总建筑面积": ("gross_floor_area_m2", "number_text", ""),
    "计容建筑面": ("floor_area_m2", "number", "计容建筑面积"),
    "建筑基底面": ("building_footprint_m2", "number", "建筑基底面积"),
    "绿地面积": ("green_area_m2", "number", ""),
    "行业代码": ("industry_code", "text", ""),
    "固定资产投": ("fixed_assets_wan", "number", "固定资产投资"),
    "税收": ("tax_wan", "number_text", ""),
    "营业收入": ("revenue_wan", "number", ""),
    "工业增加值": ("value_added_wan", "number", ""),
    "综合能耗": ("energy_tce", "number", ""),
    "研发经费": ("rd_wan", "number", ""),
    "从业人员": ("employees", "number", ""),
    "投产年份": ("production_year", "number", ""),
    "规上企业": ("above_scale", "bool_text", ""),
    "高企": ("high_tech", "bool_text", ""),
    "产业政策类": ("policy_class", "text", "产业政策类别"),
    "危房等级": ("building_grade", "text", ""),
}
SLICE_SIZE = 80
SLICE_CENTRE_LOCAL = (1_250.0, 1_900.0)


def _date_text(values: pd.Series, forms: np.ndarray) -> list[str | None]:
    out: list[str | None] = []
    for value, form in zip(values, forms, strict=True):  # 80 rows, once per build
        if pd.isna(value):
            out.append(None)
        elif form == 0:
            out.append(f"{value.year}/{value.month}/{value.day}")
        elif form == 1:
            out.append(f"{value.year}年{value.month}月{value.day}日")
        else:
            out.append(value.strftime("%Y-%m-%d"))
    return out


def _invalid(kind: str, geom: Polygon) -> Polygon:
    """Return an invalid polygon of the given kind in the place of ``geom`` (its bounding box, shrunk)."""
    x0, y0, x1, y1 = geom.bounds
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    x0, x1 = cx - 0.45 * (x1 - x0), cx + 0.45 * (x1 - x0)
    y0, y1 = cy - 0.45 * (y1 - y0), cy + 0.45 * (y1 - y0)
    if kind == "bowtie":
        return Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1), (x0, y0)])
    if kind == "self_touching_ring":
        # the ring comes back to the top-middle vertex, enclosing an inverted hole
        xm, ym = cx, cy
        dx = 0.2 * (x1 - x0)
        return Polygon(
            [
                (x0, y0),
                (x1, y0),
                (x1, y1),
                (xm, y1),
                (xm + dx, ym),
                (xm - dx, ym),
                (xm, y1),
                (x0, y1),
                (x0, y0),
            ]
        )
    # a ring with a spike: out along a line and straight back
    return Polygon([(x0, y0), (x1, y0), (x1, cy), (x1 + 40.0, cy), (x1, cy), (x1, y1), (x0, y1), (x0, y0)])


def read_dbf_field_names(dbf: Path) -> tuple[int, list[bytes]]:
    """Return the language-driver id and the raw field-name bytes of a DBF header."""
    raw = dbf.read_bytes()
    header_len = int.from_bytes(raw[8:10], "little")
    names = []
    for off in range(32, header_len - 1, 32):
        if raw[off] == 0x0D:
            break
        names.append(raw[off : off + 11].split(b"\x00", 1)[0])
    return raw[29], names


def write_awkward(parcels: gpd.GeoDataFrame, out_dir: Path, rng: np.random.Generator) -> dict[str, object]:
    """Write ``awkward/yulin_slice.shp`` and return its expected facts for ``sample_meta.json``."""
    target = out_dir / "awkward"
    target.mkdir(parents=True, exist_ok=True)
    for old in target.glob("yulin_slice.*"):
        old.unlink()

    centre = np.array(SLICE_CENTRE_LOCAL) + np.array([sp.ORIGIN_E, sp.ORIGIN_N])
    cent = shapely.centroid(parcels.geometry.values)
    dist = np.hypot(shapely.get_x(cent) - centre[0], shapely.get_y(cent) - centre[1])
    order = np.argsort(dist, kind="stable")[:SLICE_SIZE]
    part = parcels.iloc[np.sort(order)].reset_index(drop=True)

    columns: dict[str, object] = {}
    for alias, (canon, how, _) in AWKWARD_FIELDS.items():
        values = part[canon]
        if how == "text":
            columns[alias] = [None if pd.isna(v) else str(v) for v in values]
        elif how == "date_text":
            columns[alias] = _date_text(values, rng.integers(0, 3, size=len(values)))
        elif how == "bool_text":
            columns[alias] = [None if pd.isna(v) else ("是" if bool(v) else "否") for v in values]
        elif how == "number_text":
            columns[alias] = [
                None if pd.isna(v) else f"{float(v):.2f}".rstrip("0").rstrip(".") for v in values
            ]
        else:
            columns[alias] = pd.to_numeric(values, errors="coerce").astype("float64").to_numpy()
    geoms = part.geometry.to_crs(epsg=sp.AWKWARD_EPSG).to_numpy()

    # three invalid geometries and exactly one duplicated id (rows chosen by the seed)
    rows = rng.choice(np.arange(1, len(part)), size=5, replace=False)
    invalid_kinds = ("bowtie", "self_touching_ring", "spike")
    invalid_ids: dict[str, str] = {}
    for row, kind in zip(rows[:3], invalid_kinds, strict=True):
        geoms[row] = _invalid(kind, geoms[row])
        invalid_ids[str(part.at[row, "parcel_id"])] = kind
    dup_from, dup_to = int(rows[3]), int(rows[4])
    ids = list(columns["地块编号"])  # type: ignore[call-overload]
    lost_id = ids[dup_to]
    ids[dup_to] = ids[dup_from]
    columns["地块编号"] = ids

    frame = gpd.GeoDataFrame(columns, geometry=list(geoms), crs=f"EPSG:{sp.AWKWARD_EPSG}")
    shp = target / "yulin_slice.shp"
    pyogrio.write_dataframe(frame, shp, driver="ESRI Shapefile", encoding="GBK")
    (target / "yulin_slice.cpg").unlink(missing_ok=True)
    dbf = target / "yulin_slice.dbf"
    raw = bytearray(dbf.read_bytes())
    raw[29] = 0  # language driver id: unknown, so nothing declares the encoding
    dbf.write_bytes(bytes(raw))
    (target / "yulin_slice.prj").write_text(
        CRS.from_epsg(sp.AWKWARD_EPSG).to_wkt("WKT1_ESRI"), encoding="ascii"
    )

    ldid, names = read_dbf_field_names(dbf)
    decoded = [b.decode("gbk") for b in names]
    if ldid != 0 or decoded != list(AWKWARD_FIELDS) or (target / "yulin_slice.cpg").exists():
        raise RuntimeError(f"awkward copy {dbf} was not written as intended: LDID {ldid}, fields {decoded}")

    back = pyogrio.read_dataframe(shp, encoding="GBK")
    still_invalid = sorted(
        str(pid) for pid, ok in zip(back["地块编号"], back.geometry.is_valid, strict=True) if not ok
    )
    if sorted(invalid_ids) != still_invalid:
        raise RuntimeError(
            f"awkward copy {shp}: invalid geometries read back as {still_invalid}, meant {invalid_ids}"
        )

    return {
        "path": "awkward/yulin_slice.shp",
        "encoding": "GBK",
        "cpg": False,
        "dbf_language_driver_id": 0,
        "epsg": sp.AWKWARD_EPSG,
        "rows": len(frame),
        "parcel_ids": [str(p) for p in ids],
        "fields": {alias: canon for alias, (canon, _, _) in AWKWARD_FIELDS.items()},
        "truncated_fields": {alias: full for alias, (_, _, full) in AWKWARD_FIELDS.items() if full},
        "date_text_fields": [a for a, (_, how, _) in AWKWARD_FIELDS.items() if how == "date_text"],
        "number_text_fields": [a for a, (_, how, _) in AWKWARD_FIELDS.items() if how == "number_text"],
        "bool_text_fields": [a for a, (_, how, _) in AWKWARD_FIELDS.items() if how == "bool_text"],
        "date_forms": ["2019/5/1", "2019年5月1日", "2019-05-01"],
        "invalid_parcel_ids": invalid_ids,
        "duplicated_id": str(ids[dup_from]),
        "duplicated_rows": [dup_from, dup_to],
        "id_replaced_by_duplicate": str(lost_id),
    }

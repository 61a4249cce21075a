"""Hand-made ledgers as a bureau exports them: GBK Shapefiles without ``.cpg`` (DBF language id 0).

Three styles (issue 10): a 供地台账 export with ledger words and a name cut at 10 bytes, a
地籍/宗地 database extract with pinyin-initial field names, and a 三调-coded layer. Every parcel is a
100 m × 100 m square (10 000 m², 15 亩) in EPSG:4546, one beside the other, so areas are exact.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pyogrio
from pyproj import CRS
from shapely.geometry import box

EPSG = 4546
SIDE = 100.0


def _squares(n: int) -> list:
    return [box(500_000 + i * 150, 2_500_000, 500_000 + i * 150 + SIDE, 2_500_000 + SIDE) for i in range(n)]


def write_gbk_shapefile(columns: dict[str, list], path: Path) -> Path:
    """Write ``columns`` as a GBK Shapefile with no ``.cpg`` and DBF language id 0; return the .shp."""
    n = len(next(iter(columns.values())))
    frame = gpd.GeoDataFrame(columns, geometry=_squares(n), crs=f"EPSG:{EPSG}")
    path.parent.mkdir(parents=True, exist_ok=True)
    pyogrio.write_dataframe(frame, path, driver="ESRI Shapefile", encoding="GBK")
    path.with_suffix(".cpg").unlink(missing_ok=True)
    dbf = path.with_suffix(".dbf")
    raw = bytearray(dbf.read_bytes())
    raw[29] = 0
    dbf.write_bytes(bytes(raw))
    path.with_suffix(".prj").write_text(CRS.from_epsg(EPSG).to_wkt("WKT1_ESRI"), encoding="ascii")
    return path


#: 供地台账 export: 约定开工时 and 实际开工时 are 约定开工时间 / 实际开工时间 cut at the DBF's 10 bytes
SUPPLY_LEDGER: dict[str, list] = {
    "地块编号": ["GD-01", "GD-02", "GD-03", "GD-04", "GD-05", "GD-06"],
    "受让单位": [
        "榆林华泰新材料有限公司",
        "榆林市恒通机械制造有限公司",
        "榆林高新区城市建设投资集团",
        "陕西北元精工有限公司",
        "榆林丰源食品厂",
        "榆林润禾包装有限公司",
    ],
    "供地方式": ["挂牌出让", "协议出让", "国有划拨", "挂牌出让", "协议出让", "国有划拨"],
    "供地时间": ["2021/3/15", "2023/5/10", "2022/1/20", "2024/8/1", "2023/12/30", "2020/6/1"],
    "约定开工时": ["2021/9/15", "2023/11/10", "2022/7/20", "2025/2/1", "2024/6/30", "2020/12/1"],
    "实际开工时": ["", "", "2022/6/1", "", "", "已开工"],
    "用地性质": ["0601", "0601", "0601", "0601", "0601", "0601"],
    "建筑面积": [0.0, 0.0, 12000.0, 0.0, 0.0, 8000.0],
    "投资总额": [5000.0, 3000.0, 8000.0, 2000.0, 1500.0, 4000.0],
    "年纳税额": [0.0, 0.0, 150.0, 0.0, 0.0, 45.0],
}

#: 地籍/宗地 database extract: pinyin initials, dates as DBF text, 是/否 government cause
CADASTRE_LEDGER: dict[str, list] = {
    "ZDDM": ["610802001001", "610802001002", "610802001003", "610802001004", "610802001005"],
    "QLR": [
        "榆林宏达化工有限公司",
        "榆林金鼎物流有限公司",
        "榆林市新能电力设备厂",
        "陕西榆能精细化工有限公司",
        "榆林智联电子科技有限公司",
    ],
    "GDFS": ["出让", "出让", "划拨", "出让", "出让"],
    "GDRQ": ["20200310", "20210701", "20190901", "20220415", "20230301"],
    "YDDGRQ": ["20200910", "20220101", "20200301", "20221015", "20230901"],
    "SJDGRQ": ["", "", "20200315", "20221101", ""],
    "TGRQ": ["", "", "20230501", "", ""],
    "ZFYY": ["否", "是", "否", "否", "否"],
    "YKFMJ": [0.0, 0.0, 2000.0, 6000.0, 0.0],
    "TDJK": [1200.0, 800.0, 500.0, 1500.0, 900.0],
    "YDXZ": ["1001", "1101", "1001", "1001", "1001"],
}

#: 三调-coded layer: DLBM in the 三调 working classes (05H1, 08H1), TBBH as the id
SANDIAO_LAYER: dict[str, list] = {
    "TBBH": ["0101", "0102", "0103", "0104"],
    "DLBM": ["0601", "05H1", "0702", "08H1"],
    "DLMC": ["工业用地", "商业服务业设施用地", "农村宅基地", "机关团体新闻出版用地"],
    "QSDWMC": ["榆林高新区管委会", "榆林高新区管委会", "芹河村", "榆林高新区管委会"],
    "GDFS": ["出让", "出让", "未供", "划拨"],
}

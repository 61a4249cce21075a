"""Parameters of the synthetic 玉林高新区 sample park (the generator's own configuration).

These numbers shape the *synthetic* park only; they are not rule thresholds. The rule engine
reads its thresholds from its presets. Each construction margin below is chosen so that a
parcel built to show a case is flagged under any sensible preset and an ordinary parcel is not
(e.g. an efficient industrial parcel's plot ratio is at least 1.05 × the national floor of its
industry, a parcel built to fail it is at most 0.7 ×).

Sources (see ``/work/shared/spec/domain.md``):

* §3.4 national zone averages: industrial plot ratio 0.93, fixed-asset investment intensity
  8 984.3 万元/ha, industrial tax 678.99 万元/ha (= 45.3 万元/亩).
* §4.2 table 2 (《工业项目建设用地控制指标》 2008, GB/T 4754-2002 codes): the plot-ratio floor by
  industry; building coefficient ≥ 30 %; admin/living land ≤ 7 % (15 % under the park dormitory
  policy of §4.3); green ratio ≤ 20 %.
* §7 (用地用海分类指南 2023): the land-use codes.
* §8: Yulin (110.15°E, 22.63°N) → EPSG:4546 E 412 617.9, N 2 503 812.7.
"""

from __future__ import annotations

import datetime as dt

DEFAULT_SEED = 20260630
AS_OF = dt.date(2026, 6, 30)
CRS_EPSG = 4546  # CGCS2000 / 3-degree Gauss-Kruger CM 111E (no zone prefix)
AWKWARD_EPSG = 4525  # CGCS2000 / 3-degree Gauss-Kruger zone 37 (zone prefix in the easting)

#: south-west corner of the park's local frame in EPSG:4546 (the park spans ≈ 3.6 × 3.0 km,
#: its centre ≈ 1.4 km south-south-east of Yulin's centre at E 412 618, N 2 503 813)
ORIGIN_E = 411_400.0
ORIGIN_N = 2_501_000.0
RASTER_RES_M = 10.0
RASTER_MARGIN_M = 300.0

# --- industries -------------------------------------------------------------------------------------
#: GB/T 4754-2002 two-digit code -> (plot-ratio floor of domain.md §4.2 table 2, Chinese word for the
#: company name, sampling weight in the park). Weights follow Yulin's real mix: machinery and engines
#: (玉柴), electrical and electronics, pharmaceuticals, food, furniture, apparel, ceramics.
INDUSTRIES: dict[str, tuple[float, str, float]] = {
    "13": (1.0, "农产品加工", 4.0),
    "14": (1.0, "食品", 4.0),
    "15": (1.0, "饮料", 1.5),
    "17": (0.8, "纺织", 2.0),
    "18": (1.0, "服饰", 4.0),
    "19": (1.0, "皮革制品", 2.0),
    "20": (0.8, "木业", 2.5),
    "21": (0.8, "家具", 3.0),
    "22": (0.8, "纸业", 1.0),
    "23": (0.8, "印务", 1.0),
    "24": (1.0, "文体用品", 1.0),
    "26": (0.6, "化工", 2.0),
    "27": (0.7, "制药", 5.0),
    "29": (0.8, "橡胶制品", 1.5),
    "30": (1.0, "塑胶", 3.0),
    "31": (0.7, "新型建材", 4.0),
    "33": (0.6, "有色金属材料", 1.5),
    "34": (0.7, "金属制品", 6.0),
    "35": (0.7, "机械", 12.0),
    "36": (0.7, "专用设备", 6.0),
    "37": (0.7, "汽车零部件", 8.0),
    "39": (0.7, "电气", 6.0),
    "40": (1.0, "电子科技", 7.0),
    "41": (1.0, "仪器仪表", 2.0),
    "42": (1.0, "工艺品", 1.5),
    "43": (0.7, "再生资源", 1.0),
}
#: the park's ledger writes GB/T 4754-2017 divisions (the edition in force) although the generator
#: draws industries by the 2002 codes of the 2008 table: 2002 code -> 2017 division (geo/codes/industry.csv;
#: 29 橡胶 and 30 塑料 both became 29 橡胶和塑料制品业, 42 工艺品 is 24 文教、工美…, 58 仓储业 is 59 …)
CODE_2017: dict[str, str] = {
    **{c: c for c in ("13", "14", "15", "17", "18", "19", "20", "21", "22", "23", "24", "26", "27", "29")},
    "30": "29",
    "31": "30",
    "33": "32",
    "34": "33",
    "35": "34",
    "36": "35",
    "37": "36",
    "39": "38",
    "40": "39",
    "41": "40",
    "42": "24",
    "43": "42",
    "58": "59",
    "65": "52",
    "66": "61",
    "67": "62",
    "72": "70",
    "74": "72",
    "75": "73",
}


def generation_floor(code: str) -> float:
    """Return the highest table-2 floor of the 2002 codes written as the same 2017 division as ``code``."""
    return max(floor for c, (floor, _, _) in INDUSTRIES.items() if CODE_2017[c] == CODE_2017[code])


#: industries whose firms are often 高新技术企业 (probability 0.30 instead of 0.05)
HIGH_TECH_INDUSTRIES = ("27", "35", "36", "37", "39", "40", "41")
#: industries the catalogue encourages (产业结构调整指导目录 鼓励类 in the sample)
ENCOURAGED_INDUSTRIES = ("27", "39", "40", "41", "43")
#: industries where a plant may be in the restricted (限制) class
RESTRICTED_INDUSTRIES = ("22", "26", "31", "33")
#: industries used for the parcels built to show ``policy_eliminated`` (old kilns, small smelters...)
ELIMINATED_INDUSTRIES = ("31", "33", "22", "26")

#: non-manufacturing enterprise codes (GB/T 4754-2002): 58 仓储业, 65 零售业, 66 住宿业, 67 餐饮业,
#: 72 房地产业, 74 商务服务业, 75 研究与试验发展
SERVICE_WORDS: dict[str, str] = {
    "58": "物流",
    "65": "商贸",
    "66": "酒店管理",
    "67": "餐饮管理",
    "72": "房地产开发",
    "74": "企业管理咨询",
    "75": "科技研究院",
}
#: 规模以上 revenue threshold by code (万元/年): industry 2 000, wholesale/logistics 2 000, retail 500,
#: accommodation and catering 200, other services 1 000 (国家统计局 规上 标准)
ABOVE_SCALE_REVENUE_WAN: dict[str, float] = {"58": 2000.0, "65": 500.0, "66": 200.0, "67": 200.0}
ABOVE_SCALE_DEFAULT_WAN = 2000.0
ABOVE_SCALE_SERVICES_WAN = 1000.0

# --- distributions (anchored on domain.md §3.4) -----------------------------------------------------------
NATIONAL_INDUSTRIAL_FAR = 0.93
NATIONAL_INVEST_WAN_PER_HA = 8984.3
NATIONAL_TAX_WAN_PER_HA = 678.99
#: ordinary industrial parcels: FAR = floor × U(FAR_FACTOR); building coefficient, admin and green shares
FAR_FACTOR = (1.05, 1.45)
COEF_RANGE = (0.42, 0.62)
ADMIN_RANGE = (0.02, 0.06)
GREEN_RANGE = (0.06, 0.17)
#: fixed-asset intensity of ordinary industrial parcels: log-normal around the national mean, clipped
INVEST_SIGMA = 0.35
INVEST_CLIP = (4_000.0, 25_000.0)
#: tax per 亩 of ordinary producing parcels relative to the national mean (45.3 万元/亩), clipped so that
#: no ordinary parcel falls near 40 % of the park average
TAX_SIGMA = 0.45
TAX_CLIP = (0.62, 3.5)
TAX_SHARE_OF_REVENUE = (0.045, 0.08)
#: land prices, 万元/亩 (Yulin industrial land ≈ 12–22 万元/亩; 划拨 = compensation costs)
LAND_PRICE_WAN_PER_MU = {
    "industrial": (12.0, 22.0),
    "warehouse": (12.0, 20.0),
    "commercial": (90.0, 220.0),
    "residential": (160.0, 320.0),
    "public": (6.0, 10.0),
}
EMPLOYEES_PER_HA = {"industrial": (18.0, 45.0), "warehouse": (8.0, 20.0), "commercial": (40.0, 120.0)}
M2_PER_RESIDENT = 36.0
RESIDENT_OCCUPANCY = (0.75, 0.92)

# --- cases built into the park (parcels per case) -----------------------------------------------------
CASE_COUNTS: dict[str, int] = {
    "idle": 6,
    "idle_recoverable": 6,
    "idle_gov_caused": 4,
    "idle_stalled": 6,
    "unknown": 4,
    "not_idle_recent_agreed": 3,
    "not_idle_short_suspension": 3,
    "far_below_min": 6,
    "coef_below_min": 5,
    "admin_over_max": 5,
    "green_over_max": 5,
    "invest_below_min": 5,
    "tax_below_avg_share": 6,
    "policy_eliminated": 5,
    "dangerous_building": 6,
    "use_mismatch": 4,
    "rs_unbuilt": 5,
    "exempt_new_production": 4,
    "exempt_above_scale": 4,
    "exempt_high_tech": 4,
    "lease_expired": 2,
}
#: case margins: a parcel built to fail a test fails it by a wide margin
CASE_FAR_FACTOR = (0.3, 0.68)
CASE_COEF = (0.12, 0.24)
CASE_ADMIN = (0.16, 0.24)
CASE_GREEN = (0.26, 0.38)
CASE_INVEST_WAN_PER_HA = (350.0, 950.0)
CASE_SMALL_REVENUE_WAN = (600.0, 1_850.0)
STALLED_DEVELOPED = (0.05, 0.30)
STALLED_INVESTED = (0.08, 0.22)

# --- layout -------------------------------------------------------------------------------------------
#: road widths (red-line width, m) by class
ROAD_WIDTH_M = {"主干路": 40.0, "次干路": 24.0, "支路": 16.0}
#: maximum parcel size per zone (亩) before a piece is split again; choices with weights
ZONE_SPLIT_MU: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = {
    "industrial": ((24.0, 34.0, 55.0, 120.0), (0.4, 0.35, 0.17, 0.08)),
    "warehouse": ((45.0, 80.0), (0.6, 0.4)),
    "residential": ((30.0, 45.0), (0.6, 0.4)),
    "public_mixed": ((12.0, 20.0, 35.0), (0.45, 0.4, 0.15)),
    "commercial": ((10.0, 16.0), (0.6, 0.4)),
    "green_reserve": ((90.0, 150.0), (0.5, 0.5)),
    "reserve": ((60.0, 110.0), (0.6, 0.4)),
}
MIN_INDUSTRIAL_MU = 10.5
TINY_SUBSTATION_SIDE_M = 15.0  # 225 m² < 3 pixels of 10 m
N_TINY_SUBSTATIONS = 3
RED_LINE_CENTRE = (3_330.0, 1_760.0)
RED_LINE_RADIUS_M = 235.0
FLOOD_BUFFER_M = 420.0

#: 2023 用地用海 codes used in the sample and their names (domain.md §7)
LAND_USE_NAMES: dict[str, str] = {
    "03": "林地",
    "070102": "二类城镇住宅用地",
    "0702": "城镇社区服务设施用地",
    "0801": "机关团体用地",
    "0802": "科研用地",
    "080403": "中小学用地",
    "080404": "幼儿园用地",
    "0805": "体育用地",
    "080602": "基层医疗卫生设施用地",
    "080701": "老年人社会福利用地",
    "090101": "零售商业用地",
    "090103": "餐饮用地",
    "090104": "旅馆用地",
    "0902": "商务金融用地",
    "100101": "一类工业用地",
    "100102": "二类工业用地",
    "110101": "一类物流仓储用地",
    "110102": "二类物流仓储用地",
    "1207": "城镇村道路用地",
    "1303": "供电用地",
    "1310": "消防用地",
    "1401": "公园绿地",
    "1402": "防护绿地",
    "16": "留白用地",
    "23": "其他土地",
}

BRANDS = [
    "华锐",
    "鑫达",
    "宏源",
    "恒通",
    "瑞丰",
    "金桂",
    "桂南",
    "玉龙",
    "嘉和",
    "兴邦",
    "振华",
    "博远",
    "中科",
    "天翼",
    "润泽",
    "力拓",
    "永盛",
    "昌隆",
    "佳利",
    "明辉",
    "盛泰",
    "远航",
    "新宇",
    "宝兴",
    "腾达",
    "信达",
    "众诚",
    "安泰",
    "康宁",
    "弘毅",
    "德润",
    "海川",
    "鼎盛",
    "万和",
    "富源",
    "凯越",
    "启航",
    "聚能",
    "云帆",
    "东升",
    "立信",
    "景泰",
    "宏图",
    "祥和",
    "金源",
    "绿源",
    "创新",
    "星辰",
    "华泰",
    "恒昌",
    "广源",
    "荣华",
    "锦程",
    "天成",
    "汇通",
    "合力",
    "卓越",
    "精工",
    "联创",
    "宇航",
    "百川",
    "恒力",
    "亚泰",
    "长青",
    "国联",
    "智达",
    "新桂",
    "南方",
    "北流",
    "容州",
    "博白",
    "陆川",
    "兴业",
    "大容",
    "铜石",
    "六万",
    "勾漏",
    "绣江",
    "桂东",
    "玉州",
]

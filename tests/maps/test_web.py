import json
import re
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given
from hypothesis import strategies as st

from geo.errors import CRSError, InputError
from maps import leaflet, web
from maps.web import (
    Display,
    NoSolutionError,
    analysis_map,
    compare_map,
    differing_parcels,
    plan_map,
    render_html,
    save_map,
)

from .conftest import make_parcels, make_plan, make_plan_layers


def _geojson_layers(m: folium.Map) -> dict[str, folium.GeoJson]:
    return {child.layer_name: child for child in m._children.values() if isinstance(child, folium.GeoJson)}


def _panels(html: str) -> list[str]:
    """The decoded innerHTML of every legend and info panel on the page."""
    return [json.loads(s) for s in re.findall(r'div\.innerHTML = ("(?:[^"\\]|\\.)*");', html)]


def _legends(m) -> dict[str, leaflet.LayerLegend]:
    return {c.title: c for c in m._children.values() if isinstance(c, leaflet.LayerLegend)}


def test_analysis_map_layers_legends_and_tools(parcels):
    m = analysis_map(parcels, {"zone_type": "industry_led", "overall_far": 1.12, "idle_land_rate": 0.041})
    layers = _geojson_layers(m)
    assert list(layers) == ["亩均效益分类", "闲置土地认定", "低效用地（首要原因）"]
    # idle layer holds exactly the idle + unknown parcels; low-efficiency layer the flagged ones
    idle_ids = {f["properties"]["parcel_id"] for f in layers["闲置土地认定"].data["features"]}
    expected = set(
        parcels.loc[
            parcels["idle_status"].isin(
                ["idle", "idle_recoverable", "idle_gov_caused", "idle_stalled", "unknown"]
            ),
            "parcel_id",
        ]
    )
    assert idle_ids == expected
    low_ids = {f["properties"]["parcel_id"] for f in layers["低效用地（首要原因）"].data["features"]}
    assert low_ids == set(parcels.loc[parcels["low_efficiency"], "parcel_id"])
    legends = _legends(m)
    assert set(legends) == {"亩均效益分类（宗）", "闲置土地认定（宗）", "低效用地·首要原因（宗）"}
    # each legend is bound to its own layer and lists the counts
    assert legends["闲置土地认定（宗）"].layer is layers["闲置土地认定"]
    assert '闲置满两年（可无偿收回）<span class="n">2</span>' in legends["闲置土地认定（宗）"].html
    assert '容积率低于行业下限<span class="n">2</span>' in legends["低效用地·首要原因（宗）"].html
    html = render_html(m)
    assert "layer.on('add'" in html and "layer.on('remove'" in html
    assert "L.Control.Search" in html and "propertyName: 'parcel_id'" in html
    assert "L.Control.Measure" in html and "L.control.fullscreen" in html.replace("Fullscreen", "fullscreen")
    panels = _panels(html)
    info = next(p for p in panels if p.startswith("<h4>存量土地盘活分析图"))
    assert "<td>开发区类型</td><td class='v'>工业主导型</td>" in info
    assert "<td>土地闲置率</td><td class='v'>4.1%</td>" in info
    assert "<td>应征闲置费</td><td class='v'>240.0 万元</td>" in info
    assert sum(p.startswith("<h4>闲置土地认定") for p in panels) == 1
    assert layers["低效用地（首要原因）"].show is False


def test_popup_values_in_chinese(parcels):
    m = analysis_map(parcels)
    base = _geojson_layers(m)["亩均效益分类"]
    popup = next(c for c in base._children.values() if isinstance(c, folium.GeoJsonPopup))
    assert popup.aliases == [
        "地块编号",
        "企业",
        "面积（亩）",
        "容积率",
        "建筑系数",
        "亩均税收（万元/亩）",
        "状态",
        "依据",
        "闲置费（万元）",
        "低效原因",
    ]
    props = {f["properties"]["parcel_id"]: f["properties"] for f in base.data["features"]}
    p1 = props["YL-001"]
    # 100 m × 90 m = 9000 m² = 13.50 亩; status idle; fee 120 万元; reasons in Chinese
    assert p1["area_mu"] == "13.50"
    assert p1["far"] == "0.60"
    assert p1["building_coef"] == "27.0%"
    assert p1["idle_status"] == "闲置（满一年未满两年）"
    assert p1["idle_fee_wan"] == "120.00"
    assert p1["low_eff_reasons"] == "容积率低于行业下限、亩均税收低于平均水平的规定比例"
    assert props["YL-004"]["low_eff_reasons"] == "豁免：high_tech"
    assert props["YL-000"]["idle_basis"] == "—"


def test_coordinates_rounded_to_six_decimals_and_in_wgs84(parcels):
    html = render_html(analysis_map(parcels))
    numbers = re.findall(r"\[(1\d\d\.\d+), (2\d\.\d+)\]", html)
    assert numbers
    assert all(len(a.split(".")[1]) <= 6 and len(b.split(".")[1]) <= 6 for a, b in numbers)
    assert all(110.14 < float(a) < 110.16 and 22.62 < float(b) < 22.64 for a, b in numbers)


def test_simplification_reduces_vertices_within_tolerance():
    # a 100 m square with 2000 collinear-ish vertices (±1 cm noise) simplifies to its corners
    ring = shapely.box(412_600, 2_503_800, 412_700, 2_503_900).exterior.segmentize(0.2)
    noisy = shapely.Polygon(shapely.get_coordinates(ring) + 0.01)
    gdf = gpd.GeoDataFrame({"parcel_id": ["A"]}, geometry=[noisy], crs=4546)
    shown = web.display_frame(gdf, basemap=web.get_basemap("none"), simplify_m=0.5)
    assert shapely.get_num_coordinates(shown.geometry.iloc[0]) <= 6
    assert shown.to_crs(4546).geometry.iloc[0].symmetric_difference(noisy).area < 100 * 0.5 * 4


def test_raw_layer_shows_only_what_it_has():
    raw = gpd.GeoDataFrame(
        {"parcel_id": ["A", "B"]},
        geometry=[shapely.box(0, 0, 1e-3, 1e-3), shapely.box(1e-3, 0, 2e-3, 1e-3)],
        crs=4490,
    )
    raw = raw.set_geometry(raw.translate(110.15, 22.63))
    m = analysis_map(raw)
    layers = _geojson_layers(m)
    assert list(layers) == ["地块"]
    popup = next(c for c in layers["地块"]._children.values() if isinstance(c, folium.GeoJsonPopup))
    assert popup.fields == ["parcel_id"]


def test_bad_inputs(parcels):
    with pytest.raises(CRSError, match="no CRS"):
        analysis_map(parcels.set_crs(None, allow_override=True))
    with pytest.raises(InputError, match="no parcels"):
        analysis_map(parcels.iloc[:0])
    with pytest.raises(InputError, match="parcel_id"):
        analysis_map(parcels.drop(columns="parcel_id"))


def test_max_features_keeps_flagged_parcels_first():
    parcels = make_parcels(30)
    m = analysis_map(parcels, max_features=5)
    base = _geojson_layers(m)["亩均效益分类"]
    ids = {f["properties"]["parcel_id"] for f in base.data["features"]}
    assert len(ids) == 5
    flagged = (
        parcels["idle_status"].isin(["idle", "idle_recoverable", "idle_gov_caused", "idle_stalled"])
        | parcels["low_efficiency"]
    )
    assert ids <= set(parcels.loc[flagged, "parcel_id"])
    assert any("仅显示 5 / 30 宗地块" in p for p in _panels(render_html(m)))


def test_plan_map_layers(parcels):
    layers = make_plan_layers(parcels)
    plan = make_plan(layers)
    m = plan_map(layers, plan)
    names = list(_geojson_layers(m))
    assert names == [
        "地块方案动作",
        "设施服务半径",
        "公共设施选址",
        "实际服务范围（按分配）",
        "需求点·有设施覆盖",
        "需求点·无设施覆盖",
    ]
    legends = _legends(m)
    assert '建设公共设施：卫生服务站<span class="n">2</span>' in legends["地块方案动作（宗）"].html
    covered = int(layers["demand"]["covered_clinic"].sum())
    assert f"{covered:,} 点" in legends["需求点·有设施覆盖"].html
    # service areas are true 300 m circles: area ≈ π·300² once projected back
    circles = gpd.GeoDataFrame.from_features(
        _geojson_layers(m)["设施服务半径"].data["features"], crs=4326
    ).to_crs(4546)
    assert circles.area.iloc[0] == pytest.approx(3.14159 * 300**2, rel=0.01)
    info = next(p for p in _panels(render_html(m)) if p.startswith("<h4>盘活方案"))
    assert "<td>求解状态</td><td class='v'>已证明最优</td>" in info
    assert f"<td>需求覆盖率</td><td class='v'>{plan['coverage_ratio'] * 100:.1f}%</td>" in info


def test_plan_without_solution_is_refused(parcels):
    layers = make_plan_layers(parcels)
    plan = make_plan(layers, status="infeasible") | {"diagnosis": ["预算不足以建设 3 处卫生服务站"]}
    with pytest.raises(NoSolutionError, match="预算不足"):
        plan_map(layers, plan)


def test_compare_map_highlights_differences(parcels):
    a = make_plan_layers(parcels, variant=0)
    b = make_plan_layers(parcels, variant=1)
    diff = differing_parcels(a["parcels"], b["parcels"])
    merged = a["parcels"][["parcel_id", "action"]].merge(
        b["parcels"][["parcel_id", "action"]], on="parcel_id"
    )
    assert diff == set(merged.loc[merged["action_x"] != merged["action_y"], "parcel_id"])
    assert diff
    dm = compare_map([("方案A", a, make_plan(a, name="方案A")), ("方案B", b, make_plan(b, name="方案B"))])
    for side in (dm.m1, dm.m2):
        diff_layer = next(
            c
            for c in side._children.values()
            if isinstance(c, folium.GeoJson) and c.layer_name.endswith("方案差异地块")
        )
        assert {f["properties"]["parcel_id"] for f in diff_layer.data["features"]} == diff
    # the side-by-side view starts with actions, differences and sites; service areas and demand are off
    shown = {c.layer_name: c.show for c in dm.m1._children.values() if isinstance(c, folium.GeoJson)}
    assert shown["方案A·地块方案动作"] and shown["方案A·方案差异地块"] and shown["方案A·公共设施选址"]
    assert not shown["方案A·设施服务半径"] and not shown["方案A·需求点·有设施覆盖"]
    html = render_html(dm)
    assert "L.Map.Sync" in html or ".sync(" in html


def test_compare_needs_two_plans(parcels):
    a = make_plan_layers(parcels)
    with pytest.raises(InputError, match="at least two"):
        compare_map([("A", a, make_plan(a))])


def test_save_map_is_atomic(tmp_path: Path, parcels, monkeypatch):
    out = tmp_path / "m.html"
    save_map(analysis_map(parcels), out)
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert [p.name for p in tmp_path.iterdir()] == ["m.html"]

    # a failure while writing leaves the previous file and no temporary file
    before = out.read_bytes()

    def boom(*_a, **_k):
        raise OSError("disk full")

    monkeypatch.setattr(web.os, "fsync", boom)
    with pytest.raises(OSError, match="disk full"):
        save_map(analysis_map(parcels), out)
    assert out.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.html"]


def test_page_carries_its_own_chinese_font(parcels):
    html = render_html(analysis_map(parcels))
    assert "@font-face{font-family:'Panhuo Noto Sans SC'" in html
    assert "data:font/otf;base64," in html


def test_compact_payload_round_trips_coordinates_and_values():
    parcels = make_parcels(5)
    multi = shapely.MultiPolygon(
        [
            shapely.box(412_000, 2_503_000, 412_050, 2_503_050),
            shapely.box(412_100, 2_503_000, 412_150, 2_503_050),
        ]
    )
    parcels.loc[4, "geometry"] = multi
    frame = web.display_frame(parcels, basemap=web.get_basemap("none"), simplify_m=0)
    payload = leaflet.compact_payload(frame, ["parcel_id", "idle_status"])
    # decode exactly as the page does
    xy = iter(payload["xy"])
    rings, r = [], 0
    for count in payload["part_rings"]:
        for _ in range(count):
            x = y = 0
            ring = []
            for _ in range(payload["ring_len"][r]):
                x += next(xy)
                y += next(xy)
                ring.append((x / 1e6, y / 1e6))
            rings.append(ring)
            r += 1
    assert payload["part_row"] == [0, 1, 2, 3, 4, 4]  # the multi-part parcel has two parts
    expected = shapely.get_coordinates(frame.geometry.iloc[0].exterior)
    assert np.allclose(np.array(rings[0]), expected, rtol=0, atol=1e-9)
    assert np.allclose(
        np.array(rings[-1]),
        shapely.get_coordinates(frame.geometry.iloc[4].geoms[1].exterior),
        rtol=0,
        atol=1e-9,
    )
    col = payload["cols"]["idle_status"]
    assert [col["lut"][c] for c in col["codes"]] == list(frame["idle_status"])


def test_compact_analysis_map_keeps_layers_legends_and_search(parcels):
    m = analysis_map(parcels, display=Display(compact=True))
    layers = [c for c in m._children.values() if isinstance(c, leaflet.CompactParcelLayer)]
    assert [layer.layer_name for layer in layers] == ["亩均效益分类", "闲置土地认定", "低效用地（首要原因）"]
    assert layers[1].keep and set(layers[1].keep) == {
        "idle",
        "idle_recoverable",
        "idle_gov_caused",
        "idle_stalled",
        "unknown",
    }
    assert layers[1].fields[0] == "parcel_id" and layers[1].labels[-1] == "低效原因"
    html = render_html(m)
    assert html.count("var parcel_data_") == 1  # the parcels are embedded once for all three layers
    assert f"layer: {layers[0].get_name()}" in html  # the search indexes the base layer
    assert len(_legends(m)) == 3
    assert not any(isinstance(c, folium.GeoJson) for c in m._children.values())


@given(
    st.lists(
        st.tuples(st.floats(0, 5000), st.floats(0, 5000), st.floats(1, 300), st.floats(1, 300)),
        min_size=1,
        max_size=8,
    )
)
def test_compact_coordinates_decode_to_the_rounded_display_coordinates(boxes):
    geoms = [
        shapely.box(412_000 + x, 2_503_000 + y, 412_000 + x + w, 2_503_000 + y + h) for x, y, w, h in boxes
    ]
    gdf = gpd.GeoDataFrame({"parcel_id": [f"P{i}" for i in range(len(geoms))]}, geometry=geoms, crs=4546)
    frame = web.display_frame(gdf, basemap=web.get_basemap("none"), simplify_m=0)
    payload = leaflet.compact_payload(frame, ["parcel_id"])
    xy = np.array(payload["xy"], dtype=np.int64).reshape(-1, 2)
    # undo the per-ring delta coding
    ring_id = np.repeat(np.arange(len(payload["ring_len"])), payload["ring_len"])
    decoded = np.zeros_like(xy)
    for r in range(len(payload["ring_len"])):
        decoded[ring_id == r] = np.cumsum(xy[ring_id == r], axis=0)
    expected = np.round(shapely.get_coordinates(frame.geometry.to_numpy()) * 1e6).astype(np.int64)
    assert np.array_equal(decoded, expected)


def test_served_areas_wrap_the_assigned_covered_points():
    # a site serving the four corners of a 200 m square; a fifth point is assigned but not covered
    xy = [(0, 0), (200, 0), (200, 200), (0, 200), (1000, 1000)]
    demand = gpd.GeoDataFrame(
        {
            "weight": [1.0, 2.0, 3.0, 4.0, 50.0],
            "site_clinic": ["S1"] * 5,
            "covered_clinic": [True, True, True, True, False],
        },
        geometry=[shapely.Point(412_000 + x, 2_503_000 + y) for x, y in xy],
        crs=4546,
    )
    areas = web.served_areas(demand, buffer_m=25.0)
    assert list(areas["site_id"]) == ["S1"] and list(areas["type"]) == ["clinic"]
    assert areas["points"].iloc[0] == 4 and areas["weight"].iloc[0] == 10.0
    area = areas.geometry.iloc[0]
    # the square grown by 25 m: 200² + 4·200·25 + π·25²
    assert area.area == pytest.approx(200**2 + 4 * 200 * 25 + 3.14159 * 25**2, rel=0.01)
    assert not area.contains(shapely.Point(413_000, 2_504_000))
    assert web.served_areas(demand.drop(columns=["site_clinic"])).empty
    # sites interleaved in the layer's order are grouped correctly
    mixed = demand.iloc[:4].assign(site_clinic=["A", "B", "A", "B"])
    areas = web.served_areas(mixed, buffer_m=10.0).set_index("site_id")
    assert areas.loc["A", "weight"] == 4.0 and areas.loc["B", "weight"] == 6.0
    assert areas.loc["A"].geometry.contains(shapely.Point(412_200, 2_503_200))


def test_plan_info_panel_shows_coverage_by_type(parcels):
    layers = make_plan_layers(parcels)
    plan = make_plan(layers) | {"coverage_by_type": {"clinic": {"covered": 5.0, "total": 10.0, "ratio": 0.5}}}
    info = next(p for p in _panels(render_html(plan_map(layers, plan))) if p.startswith("<h4>盘活方案"))
    assert "卫生服务站覆盖率</td><td class='v'>50.0%</td>" in info


# --------------------------------------------------------------------------------------------
# the park's other parcels beneath a plan (context layer)


def _context_layers(m: folium.Map) -> list[leaflet.ContextLayer]:
    return [c for c in m._children.values() if isinstance(c, leaflet.ContextLayer)]


def _decode_rings(payload: dict) -> list[np.ndarray]:
    """Undo compact_payload's delta coding: one (n, 2) array of lon/lat per ring."""
    xy = np.cumsum(np.asarray(payload["xy"], dtype=np.int64).reshape(-1, 2), axis=0)
    rings, start = [], 0
    for n in payload["ring_len"]:
        first = xy[start - 1] if start else np.zeros(2, dtype=np.int64)
        rings.append((xy[start : start + n] - first) / 10**leaflet.DECIMALS)
        start += n
    return rings


def test_plan_map_draws_the_rest_of_the_park_grey_beneath(parcels):
    layers = make_plan_layers(parcels)
    candidates = set(layers["parcels"]["parcel_id"])
    others = parcels[~parcels["parcel_id"].isin(candidates)]
    m = plan_map({**layers, "context": parcels[["parcel_id", "geometry"]]}, make_plan(layers))
    (context,) = _context_layers(m)
    # only the parcels the plan does not draw itself, once each, with no attributes
    assert context.count == len(others) == 12 - len(candidates)
    assert context.payload["cols"] == {} and context.payload["n"] == len(others)
    # the first (south-west) non-candidate box, back in EPSG:4546, is the parcel itself (±0.2 m)
    ring = _decode_rings(context.payload)[0]
    back = gpd.GeoSeries([shapely.Polygon(ring)], crs=4326).to_crs(4546).iloc[0]
    assert back.symmetric_difference(others.geometry.iloc[0]).area < 0.2 * back.length
    # beneath: added before the plan's own layers; takes no clicks; grey in the action legend
    children = list(m._children.values())
    parcel_layer = _geojson_layers(m)["地块方案动作"]
    assert children.index(context) < children.index(parcel_layer)
    html = render_html(m)
    assert "interactive: false" in html and leaflet.CONTEXT_FILL in html
    legend = _legends(m)["地块方案动作（宗）"].html
    assert f'园区其他地块（非候选）<span class="n">{len(others)}</span>' in legend
    # a plan without the context layer shows no grey parcels and no such legend row
    bare = plan_map(layers, make_plan(layers))
    assert not _context_layers(bare) and "园区其他地块" not in _legends(bare)["地块方案动作（宗）"].html


def test_context_layer_costs_few_bytes_per_parcel():
    # 2 000 boxes stand in for the park: the context costs under 60 bytes a parcel in the page
    park = make_parcels(2000)
    layers = make_plan_layers(park.iloc[:20])
    m = plan_map({**layers, "context": park}, make_plan(layers))
    (context,) = _context_layers(m)
    payload = json.dumps(context.payload, separators=(",", ":"))
    assert len(payload) / context.count < 60
    assert not context.canvas  # below CANVAS_THRESHOLD the page keeps SVG


def test_compare_map_puts_the_park_beneath_both_sides_once(parcels):
    a = make_plan_layers(parcels, variant=0)
    b = make_plan_layers(parcels, variant=1)
    park = parcels[["parcel_id", "geometry"]]
    dm = compare_map(
        [
            ("方案A", {**a, "context": park}, make_plan(a, name="方案A")),
            ("方案B", b, make_plan(b, name="方案B")),
        ]
    )
    (left,) = _context_layers(dm.m1)
    (right,) = _context_layers(dm.m2)
    assert right.source is left and right.rings_name == left.rings_name
    html = render_html(dm)
    assert html.count('"ring_len"') == 1  # the geometry is embedded once for both panes
    assert html.count(f"var {left.get_name()}_rings") == 1


def test_plan_view_is_fitted_once_around_the_panels(parcels):
    layers = make_plan_layers(parcels)
    html = render_html(plan_map(layers, make_plan(layers)))
    # one fit, not animated, padded by the measured widths of the control corners
    assert html.count(".fitBounds(") == 1
    assert "paddingTopLeft: [left, 10], paddingBottomRight: [right, 10]" in html
    assert '"zoomSnap": 0.25' in html


def test_service_radii_are_outlines_and_covered_demand_starts_off(parcels):
    layers = make_plan_layers(parcels)
    m = plan_map(layers, make_plan(layers))
    geo = _geojson_layers(m)
    circles = geo["设施服务半径"]
    styled = circles.style_function(circles.data["features"][0])
    assert styled["fill"] is False  # a filled circle would swallow the clicks on the parcels beneath
    assert not geo["需求点·有设施覆盖"].show and geo["需求点·无设施覆盖"].show


def test_load_plan_reads_the_context_layer(tmp_path: Path):
    from maps.results import load_plan

    from .conftest import write_plan_dir

    park = make_parcels()
    with_layer = write_plan_dir(tmp_path / "a")
    park[["parcel_id", "geometry"]].to_file(with_layer / "plan.gpkg", layer="context", engine="pyogrio")
    assert len(load_plan(with_layer).layers["context"]) == 12
    # plan.json naming the scenario's parcel layer (relative to the plan directory)
    named = write_plan_dir(tmp_path / "b")
    park.to_file(tmp_path / "park.gpkg", layer="parcels", engine="pyogrio")
    plan = json.loads((named / "plan.json").read_text(encoding="utf-8"))
    (named / "plan.json").write_text(
        json.dumps({**plan, "parcels_path": "../park.gpkg"}, ensure_ascii=False), encoding="utf-8"
    )
    assert set(load_plan(named).layers["context"]["parcel_id"]) == set(park["parcel_id"])
    # a path that is gone, or none at all: no context, never a guess
    (tmp_path / "park.gpkg").unlink()
    assert "context" not in load_plan(named).layers
    assert "context" not in load_plan(write_plan_dir(tmp_path / "c")).layers


def test_plan_map_shows_the_park_and_the_demand_with_its_weights_and_coverage():
    """Issue 13: the park beneath the candidates, and the demand points as toggleable layers with legends.

    Every demand point's popup gives its weight, kind, population and, per facility type, whether it
    is covered and by which site.
    """
    parcels = make_parcels(12)
    layers = make_plan_layers(parcels)
    demand = layers["demand"]
    demand["demand_id"] = [f"D{i:03d}" for i in range(len(demand))]
    demand["kind"] = "residents"
    demand["population"] = demand["weight"] * 2
    m = plan_map({**layers, "context": parcels[["parcel_id", "geometry"]]}, make_plan(layers))
    html = render_html(m)
    assert len(_context_layers(m)) == 1 and "园区其他地块" in html
    geo = _geojson_layers(m)
    covered, uncovered = geo["需求点·有设施覆盖"], geo["需求点·无设施覆盖"]
    assert not covered.show and uncovered.show  # both in the layer control, the covered ones off
    legends = _legends(m)
    n_cov = int(demand["covered_clinic"].sum())
    assert f"{n_cov:,} 点" in legends["需求点·有设施覆盖"].html
    assert f"{len(demand) - n_cov:,} 点" in legends["需求点·无设施覆盖"].html
    props = {f["properties"]["demand_id"]: f["properties"] for f in covered.data["features"]}
    props |= {f["properties"]["demand_id"]: f["properties"] for f in uncovered.data["features"]}
    assert len(props) == len(demand)
    for row in demand.itertuples():
        p = props[row.demand_id]
        assert p["w"] == f"{row.weight:,.0f}" and p["pop"] == f"{row.population:,.0f}"
        assert p["kind_label"] == "居住人口"
        assert p["cover"] == ("卫生服务站：已覆盖（S0）" if row.covered_clinic else "卫生服务站：未覆盖")
    for label in ("需求点编号", "需求权重", "人口（人）", "覆盖情况"):
        assert label in html

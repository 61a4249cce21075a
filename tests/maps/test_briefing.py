import datetime as dt
import subprocess
import warnings
from pathlib import Path

import matplotlib as mpl
import pandas as pd
import pytest

from geo.errors import InputError, NotFoundError
from maps import briefing, fonts, style
from maps.briefing import BriefingText, build_briefing, crs_label, map_crs
from maps.results import load_analysis, load_plan
from maps.web import NoSolutionError

from .conftest import make_parcels, write_analysis_dir, write_plan_dir

DAY = dt.date(2026, 11, 26)


def _pdf_text(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def _pdf_fonts(path: Path) -> list[str]:
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    return [line.split()[0] for line in out.splitlines()[2:] if line.strip()]


def _pages(path: Path) -> int:
    out = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return int(next(line.split()[-1] for line in out.splitlines() if line.startswith("Pages:")))


def test_analysis_briefing_pdf_text_fonts_and_pages(analysis_dir: Path, tmp_path: Path):
    out = tmp_path / "brief.pdf"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing glyph would warn ("Glyph ... missing from font")
        result = build_briefing(
            out=out,
            analysis=load_analysis(analysis_dir),
            png=True,
            text=BriefingText(date=DAY, source="玉林高新区 2026 年度调查"),
        )
    # idle land (8 parcels, one page of 10 rows), low-efficiency land not idle (YL-005), statistics
    assert result.pages == _pages(out) == len(result.pngs) == 3
    text = _pdf_text(out)
    assert "一事一议 地块简报——闲置土地" in text
    assert "2026年11月26日" in text and "玉林高新区 2026 年度调查" in text
    assert "CGCS2000 / 3度带高斯-克吕格 CM 111E (EPSG:4546)" in text
    for pid in ("YL-001", "YL-002", "YL-011"):
        assert pid in text
    assert "闲置满两年（可无偿收回）" in text
    # every font in the PDF is the embedded Noto Sans SC subset: no fallback font, real text
    assert all(name.endswith("NotoSansSC-Regular") for name in _pdf_fonts(out))
    assert all(p.stat().st_size > 10_000 for p in result.pngs)


def test_every_text_on_the_pages_has_glyphs_in_the_cjk_font(analysis_dir: Path):
    figures = briefing.analysis_figures(load_analysis(analysis_dir), date=DAY)
    texts = [t for fig in figures for t in briefing.figure_texts(fig)]
    assert any("闲置" in t for t in texts)
    assert fonts.missing_glyphs("".join(texts)) == []
    # and every text object is set in the CJK family
    from matplotlib.text import Text

    families = {t.get_fontname() for fig in figures for t in fig.findobj(Text) if t.get_text()}
    assert families == {fonts.cjk_family()}


def test_selected_parcels_a3(analysis_dir: Path, tmp_path: Path):
    out = tmp_path / "a3.pdf"
    result = build_briefing(
        out=out, analysis=load_analysis(analysis_dir), parcel_ids=["YL-005", "YL-000"], paper="A3"
    )
    assert result.pages == 2  # selection page + statistics
    out_info = subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True, check=True).stdout
    assert "841.89 x 1190.55 pts" in out_info  # A3 portrait
    text = _pdf_text(out)
    assert "所选地块" in text and "YL-005" in text and "YL-000" in text


def test_long_groups_continue_on_further_pages(tmp_path: Path):
    parcels = make_parcels(60)
    parcels["idle_basis"] = parcels["idle_basis"].where(
        parcels["idle_basis"] == "", parcels["idle_basis"] * 4
    )
    adir = write_analysis_dir(tmp_path / "big", parcels)
    figures = briefing.analysis_figures(load_analysis(adir), date=DAY, charts=False)
    header = [h for _, h, _ in briefing.ANALYSIS_COLUMNS]
    widths = [w for _, _, w in briefing.ANALYSIS_COLUMNS]
    idle_codes = ["idle", "idle_recoverable", "idle_gov_caused", "idle_stalled"]
    idle = parcels[parcels["idle_status"].isin(idle_codes)]
    low = parcels[parcels["low_efficiency"] & ~parcels["idle_status"].isin(idle_codes)]
    slices = {
        name: briefing.paginate_rows(header, briefing._analysis_rows(group), widths, "A4")
        for name, group in (("idle", idle), ("low", low))
    }
    assert len(figures) == len(slices["idle"]) + len(slices["low"])
    assert len(slices["idle"]) > 1
    # every page's table fits its frame, and pages cover every row once, in order
    budget = briefing.TABLE_RECT[3] * 297 / 25.4 * 72
    rows = briefing._analysis_rows(idle)
    for a, b in slices["idle"]:
        _, heights = briefing._row_heights_pt(
            header, rows[a:b], widths, briefing.TABLE_RECT[2] * 210 / 25.4 * 72, 6.5
        )
        assert sum(heights) <= budget
    flat = [i for a, b in slices["idle"] for i in range(a, b)]
    assert flat == list(range(len(idle)))


def test_unknown_ids_are_named_and_nothing_is_written(analysis_dir: Path, tmp_path: Path):
    out = tmp_path / "x.pdf"
    with pytest.raises(NotFoundError, match="YL-999、ZZ-1"):
        build_briefing(out=out, analysis=load_analysis(analysis_dir), parcel_ids=["YL-001", "YL-999", "ZZ-1"])
    assert not any(p.is_file() for p in tmp_path.iterdir())


def test_empty_selection(tmp_path: Path):
    parcels = make_parcels(12)
    parcels["idle_status"] = "not_idle"
    parcels["low_efficiency"] = False
    adir = write_analysis_dir(tmp_path / "clean", parcels)
    with pytest.raises(InputError, match="empty selection"):
        build_briefing(out=tmp_path / "x.pdf", analysis=load_analysis(adir))
    assert not (tmp_path / "x.pdf").exists()


def test_plan_briefing(plan_dir: Path, tmp_path: Path):
    out = tmp_path / "plan.pdf"
    other = write_plan_dir(tmp_path / "plan_b", variant=1, name="方案B")
    result = build_briefing(
        out=out, plans=[load_plan(plan_dir), load_plan(other)], text=BriefingText(date=DAY)
    )
    # one page per scenario, then each scenario's trade-off curves (both dirs hold a frontier.csv)
    assert result.pages == _pages(out) == 4
    text = _pdf_text(out)
    assert "一事一议 盘活方案简报——2027 公共设施方案" in text and "方案B" in text
    assert "建设公共设施：卫生服务站" in text and "需求覆盖率" in text and "总费用：3,400.0 万元" in text
    compact = text.replace(" ", "")
    assert "取舍曲线" in compact and "覆盖率—投资帕累托前沿" in compact and "第4页/共4页" in compact


def test_plan_without_solution_writes_nothing(tmp_path: Path):
    bad = write_plan_dir(tmp_path / "bad", status="infeasible")
    with pytest.raises(NoSolutionError, match="预算 20000 万元不足"):
        build_briefing(out=tmp_path / "x.pdf", plans=[load_plan(bad)])
    assert not any(p.is_file() for p in tmp_path.iterdir())


def test_crs_helpers():
    parcels = make_parcels(2)
    assert crs_label(parcels.crs) == "CGCS2000 / 3度带高斯-克吕格 CM 111E (EPSG:4546)"
    # a geographic layer is drawn in the CGCS2000 3° zone of its centre (111°E → EPSG:4546)
    assert map_crs(parcels.to_crs(4490)).to_epsg() == 4546
    assert "第37带" in crs_label(parcels.to_crs(4525).crs)


def test_failed_write_leaves_no_half_file(analysis_dir: Path, tmp_path: Path, monkeypatch):
    figures = briefing.analysis_figures(load_analysis(analysis_dir), date=DAY)

    def boom(*_a, **_k):
        raise OSError("disk full")

    monkeypatch.setattr(briefing.os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        briefing.write_figures(figures, tmp_path / "b.pdf", png=True)
    assert not any(p.is_file() for p in tmp_path.iterdir())


def test_plan_table_continues_on_further_pages(tmp_path: Path):
    from .conftest import make_plan, make_plan_layers

    layers = make_plan_layers(make_parcels(60))
    changed = int((layers["parcels"]["action"] != "keep").sum())
    assert changed > briefing.PLAN_ROWS["A4"]
    result = briefing.PlanResult(layers, make_plan(layers), tmp_path)
    figures = briefing.plan_figures([result], date=DAY)
    assert len(figures) == 2
    texts = [" ".join(briefing.figure_texts(fig)) for fig in figures]
    assert f"续表见后页（另 {changed - briefing.PLAN_ROWS['A4']} 宗）" in texts[0]
    assert "（续表）" in texts[1]
    # every changed parcel is listed on one of the pages
    table_ids = [
        t for t in " ".join(texts).split() if t.startswith("YL-") and t in set(layers["parcels"]["parcel_id"])
    ]
    assert set(table_ids) == set(layers["parcels"]["parcel_id"])


def test_plan_page_shows_the_rest_of_the_park_in_grey(tmp_path: Path):
    from .conftest import make_plan, make_plan_layers

    park = make_parcels()
    layers = make_plan_layers(park)
    others = park[~park["parcel_id"].isin(set(layers["parcels"]["parcel_id"]))]
    with_park = briefing.PlanResult({**layers, "context": park}, make_plan(layers), tmp_path)
    fig = briefing.plan_figures([with_park], date=DAY)[0]
    assert "园区其他地块（非候选）" in briefing.figure_texts(fig)
    ax = fig.axes[0]
    grey = [c for c in ax.collections if len(c.get_paths()) == len(others)]
    assert grey and tuple(grey[0].get_facecolor()[0][:3]) == pytest.approx((0xEE / 255,) * 3)
    # without it the page says nothing of the rest of the park
    bare = briefing.plan_figures([briefing.PlanResult(layers, make_plan(layers), tmp_path)], date=DAY)
    assert "园区其他地块（非候选）" not in briefing.figure_texts(bare[0])


def test_parcel_labels_never_overlap(tmp_path: Path):
    import geopandas as gpd
    import numpy as np
    import shapely

    # a 10 × 10 block of 0.8 m parcels, 1 m apart (on a map at least 50 m wide): a hundred ids cannot fit
    x = 412_600 + (np.arange(100) % 10).astype(float)
    y = 2_503_800 + (np.arange(100) // 10).astype(float)
    boxes = shapely.box(x, y, x + 0.8, y + 0.8)
    row = gpd.GeoDataFrame({"parcel_id": [f"YL-GX-{k:04d}" for k in range(100)]}, geometry=boxes, crs=4546)
    with mpl.rc_context(fonts.mpl_rc()):
        fig = briefing._page("A4", "标注", "")
        ax = briefing._map_axes(fig)
        briefing._finish_map(ax, briefing._extent(row.geometry), row.crs, [], labels=row)
    renderer = fig.canvas.get_renderer()
    labels = [t for t in ax.texts if t.get_text().startswith("YL-GX-")]
    assert 10 < len(labels) < 100
    from matplotlib.text import Text

    # the ids themselves (a leader line back to a moved label's parcel may cross another label)
    boxes_px = [Text.get_window_extent(t, renderer) for t in labels]
    assert not any(a.overlaps(b) for i, a in enumerate(boxes_px) for b in boxes_px[i + 1 :])
    legend = ax.get_legend()
    assert legend is not None
    assert f"图上标注 {len(labels)} / 100 宗" in " ".join(t.get_text() for t in legend.get_texts())


def test_long_data_source_keeps_to_one_line_within_the_page():
    source = "panhuo plan 输出 " + "、".join(f"/srv/panhuo/jobs/2026/方案{k}/plan" for k in range(6))
    line = briefing._subtitle(DAY, source)
    assert line.startswith("日期：2026年11月26日　　数据来源：…")
    assert line.endswith("方案5/plan")
    assert sum(briefing._char_em(c) for c in line) <= briefing.SUBTITLE_EM
    assert briefing._subtitle(DAY, "panhuo analyze 输出 out/analysis").endswith("out/analysis")


def test_wrapped_cells_follow_chinese_line_breaking():
    # 6 em lines: "闲置土地（满1年，征收闲置费）" would put "）" alone on a line, "、" at a line's start
    assert briefing._wrap("闲置土地（满1年，征收闲置费）", 6) == "闲置土地（满\n1年，征收闲\n置费）"
    assert briefing._wrap("容积率低于控制下限、建筑系数低于控制下限", 9) == (
        "容积率低于控制下限、\n建筑系数低于控制下\n限"
    )
    # an opening bracket never ends a line: it moves down with what it opens
    assert briefing._wrap("政府原因闲（协商处置）", 6) == "政府原因闲\n（协商处置）"
    for text in ("闲置满2年（可无偿收回）", "《闲置土地处置办法》第二条第一款、第十四条第二款：约定动工日期"):
        for width in (4, 5, 6, 7, 9, 13):
            lines = briefing._wrap(text, width).split("\n")
            assert "".join(lines) == text
            assert not any(line[0] in briefing.NO_LINE_START for line in lines)
            assert not any(line[-1] in briefing.NO_LINE_END for line in lines)


def test_low_efficiency_briefing_shows_reasons_thresholds_values_and_the_as_of_date(tmp_path: Path):
    """`brief --group low`: coloured by reason, each reason with the parcel's value and the preset's test,
    the as-of date printed as 评价日 and the rule preset named (not the idle layout, not today's date).

    guangxi-provisional: 建筑系数 < 35 %; a 10 000 m² parcel with 2 500 m² of buildings, structures and
    yards has 25.0 %; one with FAR 0.6 has a floor of max(0.7, 0.7) = 0.70 for industry 39.
    """
    from geo.analysis import run_analysis
    from geo.export import write_outputs
    from maps import results
    from maps.briefing import analysis_figures, figure_texts
    from tests.geo.test_idle import parcels_frame
    from tests.geo.test_low_efficiency import base

    rows = [
        {"parcel_id": "C1", **base(footprint_m2=2_500.0, fixed_assets_wan=3_800.0, land_price_wan=200.0)},
        {"parcel_id": "F1", **base(floor_area_m2=6_000.0, fixed_assets_wan=3_800.0, land_price_wan=200.0)},
        {"parcel_id": "OK", **base(fixed_assets_wan=3_800.0, land_price_wan=200.0)},
    ]
    result = run_analysis(parcels_frame(rows), as_of="2026-06-30", rules="guangxi-provisional")
    write_outputs(result, tmp_path / "an")
    analysis = results.load_analysis(tmp_path / "an")
    figures = analysis_figures(analysis, groups=("low",), charts=False)
    texts = "\n".join(t for fig in figures for t in figure_texts(fig))
    assert "评价日：2026年6月30日" in texts
    assert "规则预设：guangxi-provisional" in texts
    assert "日期：" + style.chinese_date(dt.date.today()) not in texts
    assert "建筑系数 25.0%｜标准：建筑系数 < 35%" in texts
    assert "容积率 0.60（本宗下限 0.70）｜标准：容积率 < max(0.7" in texts
    # the legend names the reasons, not idle statuses
    legend = [
        t.get_text() for fig in figures for ax in fig.axes if ax.get_legend() for t in ax.get_legend().texts
    ]
    assert style.LOW_EFF_REASONS["coef_below_min"][0] in legend
    assert style.LOW_EFF_REASONS["far_below_min"][0] in legend
    assert not any(label == style.IDLE_STATUS["not_idle"][0] for label in legend)
    # the map colours each parcel by its reason
    colours = {
        mpl.colors.to_hex(c)
        for fig in figures
        for ax in fig.axes
        for coll in ax.collections
        for c in coll.get_facecolors()
    }
    assert {style.LOW_EFF_REASONS["coef_below_min"][1], style.LOW_EFF_REASONS["far_below_min"][1]} <= colours


def test_low_efficiency_rows_name_discretionary_exemptions():
    """A waived reason next to one that fired: the waiver is the authority's choice ("可以不予认定")."""
    from maps.briefing import low_efficiency_rows

    frame = pd.DataFrame(
        {
            "parcel_id": ["X"],
            "enterprise": ["某公司"],
            "area_mu": [15.0],
            "low_eff_reasons": ["dangerous_building;exempt:above_scale"],
            "building_grade": ["D"],
            "idle_status": ["not_idle"],
        }
    )
    summary = {
        "rule_tests": {"dangerous_building": "房屋安全等级为C、D级（JGJ 125）"},
        "exemptions": {"above_scale": {"label_zh": "规上企业", "discretionary": True}},
    }
    (row,) = low_efficiency_rows(frame, summary)
    assert row[3] == "危房（C、D级）"
    assert row[4] == "房屋安全等级 D 级｜标准：房屋安全等级为C、D级（JGJ 125）"
    assert row[5] == "规上企业（可以不予认定）"


def test_an_analysis_read_back_is_the_analysis_result_it_was(tmp_path: Path):
    """maps reads an output directory back into the one geo.analysis.AnalysisResult (no copy class)."""
    from geo.analysis import AnalysisResult, run_analysis
    from geo.export import write_outputs
    from maps import results
    from tests.geo.test_idle import parcels_frame
    from tests.geo.test_low_efficiency import base

    rows = [
        {"parcel_id": "C1", **base(footprint_m2=2_500.0, fixed_assets_wan=3_800.0, land_price_wan=200.0)},
        {"parcel_id": "OK", **base(fixed_assets_wan=3_800.0, land_price_wan=200.0)},
    ]
    result = run_analysis(parcels_frame(rows), as_of="2026-06-30", rules="guangxi-provisional")
    write_outputs(result, tmp_path / "an")
    back = results.load_analysis(tmp_path / "an")
    assert type(back) is AnalysisResult
    assert back.source == tmp_path / "an" and back.as_of == dt.date(2026, 6, 30)
    assert back.summary["preset"] == "guangxi-provisional" and "indicator_details" not in back.summary
    assert set(back.summary) == set(result.summary)
    assert set(back.indicator_details) == set(result.indicator_details)
    assert list(back.data_issues.columns[:4]) == ["parcel_id", "column", "value", "problem"]
    assert len(back.data_issues) == len(result.data_issues)
    assert sorted(back.parcels["parcel_id"]) == ["C1", "OK"]
    assert back.preset is None and result.preset_used is result.preset
    with pytest.raises(InputError, match="不含规则预设"):
        _ = back.preset_used

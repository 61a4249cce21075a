"""report.xlsx: reasons in Chinese with codes, autofilters, every preset value with its kind and source."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook

from geo.analysis import run_analysis
from geo.export import write_outputs
from tests.geo.test_idle import parcels_frame
from tests.geo.test_low_efficiency import AS_OF, base


@pytest.fixture(scope="module", params=["national", "zhejiang-jinhua", "guangxi-provisional"])
def report(request, tmp_path_factory) -> tuple[str, Path]:
    rows = [
        {"parcel_id": "P1", **base(floor_area_m2=6_000.0)},
        {"parcel_id": "P2", **base(floor_area_m2=6_000.0, above_scale=True)},
        {"parcel_id": "P3", **base()},
    ]
    out = tmp_path_factory.mktemp(request.param)
    result = run_analysis(parcels_frame(rows), as_of=AS_OF, rules=request.param)
    return request.param, write_outputs(result, out)["report_xlsx"]


def test_every_preset_value_has_a_kind_and_a_source(report):
    """No value is labelled national without a national source; sources never name panhuo's own files."""
    name, path = report
    ws = load_workbook(path)["规则参数"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == ("参数", "取值", "类别（国家/地方/假定/未启用）", "来源 / 说明")
    values = [r for r in rows[4:] if r[0]]
    assert values
    for key, _, kind, source in values:
        assert kind in {"国家", "地方", "假定"} or (kind == "未启用" and source.startswith("规则未启用")), key
        assert source, key
        for internal in ("domain.md", ".yaml", ".py", "contract.md"):
            assert internal not in source, (key, source)
    kinds = {key: kind for key, _, kind, _ in values}
    if name == "national":
        assert kinds["low_efficiency.rules.coef_below_min.min"] == "国家"
        # the Jinhua ratio is not a national value: the rule is off and its number is inert
        assert kinds["low_efficiency.rules.tax_below_avg_share.share"] == "未启用"
        assert kinds["indicators.built_categories.A2"] == "假定"
        assert kinds["low_efficiency.rules.use_mismatch.compat.1001"] == "假定"
        assert kinds["indicators.scores.industry_led.overall_far.ideal"] == "假定"
    if name == "guangxi-provisional":
        assert kinds["low_efficiency.rules.tax_below_avg_share.share"] == "假定"
        assert kinds["low_efficiency.rules.invest_below_min.min"] == "地方"
    if name == "zhejiang-jinhua":
        assert kinds["low_efficiency.rules.far_below_min.absolute_min"] == "地方"
        assert kinds["low_efficiency.exemptions.far_with_high_tax.tax_per_mu_min"] == "地方"
    edition = {r[0]: r[1] for r in values}["low_efficiency.rules.admin_over_max.edition"]
    assert edition


def test_reasons_in_chinese_with_codes_and_autofilters(report):
    name, path = report
    wb = load_workbook(path)
    ws = wb["低效用地"]
    header = [c.value for c in ws[1]]
    reasons = header.index("低效原因")
    assert header[reasons + 1] == "低效原因代码"
    by_id = {row[0]: row for row in ws.iter_rows(min_row=2, values_only=True)}
    assert by_id["P1"][reasons] == "容积率低于行业下限"
    assert by_id["P1"][reasons + 1] == "far_below_min"
    for title in wb.sheetnames:
        if title != "汇总":
            assert wb[title].auto_filter.ref, title
    if name == "guangxi-provisional":
        # the exemption borrowed from Jinhua is discretionary ("可以不予认定"), and the report says so
        summary = [r[0] for r in wb["汇总"].iter_rows(values_only=True) if r[0]]
        assert "豁免（可以不予认定）：规上企业（exempt:above_scale）" in summary

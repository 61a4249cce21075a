"""The data step in the browser: unmatched columns mapped and confirmed, a layer without a CRS fixed
by giving the EPSG code and sending the same file again."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.api.conftest import parcels_geojson
from tests.api.test_upload_encoding import NAMES, gbk_shapefile_zip
from tests.e2e.conftest import Page, sign_in
from tests.e2e.test_journey import block_off_host, drop_file

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def _accepts_columns(server: Any) -> bool:
    request = urllib.request.Request(
        f"{server.url}/openapi.json", headers={"Authorization": f"Bearer {server.planner}"}
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        doc = json.load(answer)
    return "columns" in doc["components"]["schemas"]["AnalysisIn"]["properties"]


def test_unmatched_columns_are_mapped_and_a_missing_crs_is_given(page: Page, server: Any) -> None:
    p = page
    tab: Any = p.page
    blocked = block_off_host(p)
    sign_in(p, server.planner)

    doc = json.loads(parcels_geojson(3))
    for feature in doc["features"]:
        feature["properties"]["约定开工"] = "2024-01-01"
        feature["properties"]["备注XYZ"] = "x"
    drop_file(p, "台账.geojson", json.dumps(doc, ensure_ascii=False).encode())
    tab.locator("#report", has_text="台账.geojson").wait_for(timeout=60_000)
    report = tab.inner_text("#report")
    assert "约定开工" in report and "备注XYZ" in report and "EPSG:4524" in report
    mapping = tab.locator("#mapping")
    pick = mapping.locator('select[data-column="约定开工"]')
    assert "agreed_start_date" in pick.inner_text()
    pick.select_option("agreed_start_date")
    tab.click("#confirm-mapping")
    assert "已确认 1 列" in mapping.inner_text()
    assert (tab.locator("#mapping-unsupported").count() == 0) == _accepts_columns(server)
    p.shot("12-mapping")
    # the confirmed mapping goes with the analysis of that layer (where the service takes it)
    tab.click("#nav-analysis")
    tab.fill("#an-asof", "2026-06-30")
    tab.click("#run-analysis")
    tab.locator("#parcels").wait_for(timeout=120_000)
    assert tab.locator("#parcels tbody tr").count() == 3
    tab.click("#nav-data")

    # the same layer without a CRS (GeoJSON then means WGS 84, which its metres do not fit): the
    # report says so and offers to send it again with the CRS the check suggests
    no_crs = parcels_geojson(3, crs=None)
    drop_file(p, "无坐标系.geojson", no_crs)
    tab.locator("#report", has_text="无坐标系.geojson").wait_for(timeout=60_000)
    assert "EPSG:4524" in tab.inner_text("#report")  # the check's suggestion, in words
    assert tab.input_value("#fix-crs") == "4524"  # and filled in, to confirm
    tab.get_by_role("button", name="按此坐标系重新上传").click()
    expect(tab.locator("#datasets tbody tr", has_text="无坐标系.geojson")).to_have_count(2, timeout=60_000)
    assert "EPSG:4524" in tab.locator("#datasets tbody tr.selected").inner_text()  # the new one, opened
    assert tab.locator("#fix-crs").count() == 0
    assert blocked == [] and p.off_host() == []


def test_a_guessed_encoding_is_fixed_and_the_names_read_in_chinese(
    page: Page, server: Any, tmp_path: Any
) -> None:
    p = page
    tab: Any = p.page
    blocked = block_off_host(p)
    sign_in(p, server.planner)
    drop_file(p, "园区编码.zip", gbk_shapefile_zip(tmp_path))
    tab.locator("#report", has_text="园区编码.zip").wait_for(timeout=60_000)
    assert "只是猜测" in tab.inner_text("#encoding-guessed")
    choice = tab.get_by_label("编码（预览）")
    assert choice.input_value() == "GBK"  # Chinese first
    options = choice.locator("option").all_inner_texts()
    assert options[0].startswith("GBK") and all(n in options[0] for n in NAMES), options
    assert any(o.startswith("UTF-8") for o in options)
    p.shot("13-encoding-choice")
    tab.get_by_role("button", name="按此编码重新上传").click()
    expect(tab.locator("#datasets tbody tr", has_text="园区编码.zip")).to_have_count(2, timeout=60_000)
    assert "GBK" in tab.inner_text("#report") and tab.locator("#encoding-fix").count() == 0
    # the corrected names are what the analysis of the re-uploaded layer shows
    tab.click("#nav-analysis")
    tab.fill("#an-asof", "2026-06-30")
    tab.click("#run-analysis")
    tab.locator("#parcels").wait_for(timeout=120_000)
    table = tab.inner_text("#parcels")
    assert all(name in table for name in NAMES), table
    p.shot("14-encoding-fixed")
    assert blocked == [] and p.off_host() == []

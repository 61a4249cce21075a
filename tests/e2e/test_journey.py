"""The planner's journey through the workbench in Debian's headless Chromium (issue 13).

Upload the sample park by drag and drop, run an analysis, open a parcel, build and run two
scenarios, compare them, download a briefing — asserting on what the page shows. Bad input on the
way: a file that is not GIS, a scenario with a missing name and an impossible radius, an
infeasible budget, the connection lost while a run is going, a viewer's token. Off-host requests
are aborted and recorded: none may happen (an intranet has no internet).
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Page, copy_shot, sign_in

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def drop_file(p: Page, name: str, data: bytes) -> None:
    """Drop a file on the upload zone, as a person dragging it from the desktop."""
    p.page.evaluate(  # type: ignore[attr-defined]
        """([name, b64]) => {
            const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
            const dt = new DataTransfer();
            dt.items.add(new File([bytes], name));
            const zone = document.getElementById("drop");
            const init = {dataTransfer: dt, bubbles: true, cancelable: true};
            zone.dispatchEvent(new DragEvent("dragover", init));
            zone.dispatchEvent(new DragEvent("drop", init));
        }""",
        [name, base64.b64encode(data).decode()],
    )


def api_get(server: Any, path: str) -> Any:
    """GET an API route as the planner (to compare what the page shows with the job's answer)."""
    request = urllib.request.Request(server.url + path, headers={"Authorization": f"Bearer {server.planner}"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.load(answer)


def block_off_host(p: Page) -> list[str]:
    """Abort every request that is not to 127.0.0.1 (the network is off) and record it."""
    blocked: list[str] = []

    def handle(route: Any) -> None:
        url = route.request.url
        parsed = urlparse(url)
        # the browser's own pages (chrome://, the PDF viewer) and blob:/data: never touch the network
        if parsed.scheme not in ("http", "https", "ws", "wss") or parsed.hostname == "127.0.0.1":
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    p.page.context.route("**/*", handle)  # type: ignore[attr-defined]
    return blocked


def test_journey_from_upload_to_briefing(page: Page, server: Any) -> None:
    p = page
    tab: Any = p.page
    blocked = block_off_host(p)

    # --- sign in -----------------------------------------------------------------------------
    tab.goto(server.url + "/")
    tab.get_by_label("令牌").fill("not-a-token")
    tab.get_by_role("button", name="登录").click()
    tab.get_by_text("令牌无效").first.wait_for()
    p.shot("01-signin")
    sign_in(p, server.planner)
    assert "规划科 张工" in tab.inner_text("#who") and "规划人员" in tab.inner_text("#who")

    # --- data: a non-GIS file, then the sample park ----------------------------------------
    drop_file(p, "会议纪要.txt", "这不是图层".encode())
    status = tab.locator("#upload-status")
    status.get_by_text("这不是可识别的 GIS 文件").wait_for()
    assert "会议纪要.txt" in status.inner_text()
    drop_file(p, "yulin_park.gpkg", (server.sample / "yulin_park.gpkg").read_bytes())
    tab.locator("#report").wait_for(timeout=90_000)
    report = tab.inner_text("#report")
    assert "UTF-8" in report and "EPSG:4546" in report and "652" in report
    assert "所有列均已识别" in report
    assert tab.locator("#datasets tbody tr").count() == 1  # the refused file left nothing behind
    copy_shot(p.shot("02-data-report"), "workbench-data.png")

    # --- analysis ----------------------------------------------------------------------------
    tab.click("#nav-analysis")
    assert tab.input_value("#an-layer") == "parcels"
    tab.fill("#an-asof", "2026-06-30")
    tab.select_option("#an-preset", "national")
    # start, change one's mind, cancel: the job is dismissed and says so
    tab.click("#run-analysis")
    tab.locator("#analysis-progress button", has_text="取消").click()
    tab.locator("#analyses .badge", has_text="已取消").wait_for(timeout=30_000)
    assert "已取消" in tab.inner_text("#analysis-failed")
    tab.click("#run-analysis")
    tab.locator("#parcels").wait_for(timeout=120_000)
    assert tab.locator("#parcels tbody tr").count() == 652
    # the page shows the job's own figures (the rule book's answers are tested in tests/geo)
    job_id = tab.evaluate("sessionStorage.getItem('panhuo.analysis')")
    result = api_get(server, f"/jobs/{job_id}/results")
    s = result["summary"]
    idle, low = s["idle"]["count"], s["low_efficiency"]["true"]["count"]
    summary = tab.inner_text("#summary")
    assert f"闲置土地 {idle} 宗" in summary and f"低效用地 {low} 宗" in summary and idle > 0
    assert "容积率低于行业下限" in tab.inner_text("#by-reason")
    # indicators against ideal values: 土地供应率 (ideal 1.0 in the national preset) scores rate × 100
    supply = tab.locator("#indicators tr", has_text="土地供应率").inner_text()
    rate = result["indicators"]["land_supply_rate"]
    assert f"{rate * 100:.1f}" in supply and re.search(r"\b1\b", supply)
    # filter, sort, open a parcel from the table: the map goes there and the detail opens
    tab.select_option("#parcel-status", "idle")
    assert tab.locator("#parcels tbody tr").count() == idle
    tab.locator("#parcels thead button", has_text="面积").click()
    tab.locator("#parcels thead button", has_text="面积").click()  # largest first
    first = tab.locator("#parcels tbody tr").first
    pid = first.locator("td").nth(1).inner_text()
    first.click()
    assert pid in tab.inner_text("#parcel-detail") and "闲置土地处置办法" in tab.inner_text("#parcel-detail")
    # choose the two largest idle parcels for a briefing of their own
    chosen = [tab.locator("#parcels tbody tr").nth(i).locator("td").nth(1).inner_text() for i in (0, 1)]
    for i in (0, 1):
        tab.locator("#parcels tbody tr").nth(i).locator("input.pick").check()
    assert "已选 2 宗" in tab.inner_text("#picked-count")
    copy_shot(p.shot("03-analysis-parcel"), "workbench-analysis.png")
    # the other way round: hide the row, click the parcel on the map (now centred on it)
    tab.select_option("#parcel-status", "other")
    tab.locator("#parcel-detail").evaluate("(el) => el.replaceChildren()")
    box = tab.locator("#analysis-map").bounding_box()
    tab.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    tab.locator("#parcels tr.selected").wait_for()
    assert tab.locator("#parcels tr.selected td").nth(1).inner_text() == pid
    assert pid in tab.inner_text("#parcel-detail")
    with tab.expect_download() as download:
        tab.click("#export-xlsx")
    xlsx = Path(download.value.path()).read_bytes()
    assert download.value.suggested_filename.endswith("report.xlsx") and xlsx[:2] == b"PK"
    tab.locator("#summary").scroll_into_view_if_needed()
    p.shot("04-analysis-summary")

    # --- scenarios: bad input at the field, then two runs ----------------------------------
    tab.click("#nav-scenarios")
    tab.click("#new-scenario")
    tab.select_option('[data-path="demand.layer"]', "demand")
    tab.fill('[data-path="demand.weight"]', "weight")
    tab.fill('[data-path="facilities.0.radius_m"]', "-5")
    tab.locator('[data-path="facilities.0.radius_m"]').dispatch_event("change")
    tab.click("#save-scenario")
    name_error = tab.locator('[data-field="name"] .field-error')
    name_error.wait_for()
    assert "必填" in name_error.inner_text()
    radius_error = tab.locator('[data-field="facilities.0.radius_m"] .field-error')
    assert "服务半径必须大于 0 米" in radius_error.inner_text()
    assert tab.get_attribute('[data-path="facilities.0.radius_m"]', "aria-invalid") == "true"
    p.shot("05-scenario-errors")
    tab.fill("#sc-name", "2027 卫生站两处")
    tab.locator("#sc-name").dispatch_event("change")
    tab.fill('[data-path="facilities.0.radius_m"]', "1000")
    tab.locator('[data-path="facilities.0.radius_m"]').dispatch_event("change")
    tab.click("#save-run")
    tab.locator("#plan-status").wait_for(timeout=120_000)
    assert tab.inner_text("#plan-status") == "已证明最优"
    coverage_a = tab.locator("#plan-numbers dd").nth(1).inner_text()
    assert tab.locator("#coverage-by-type tbody tr").count() == 1
    assert "建设公共设施" in tab.inner_text("#land-by-action")
    # the plan map draws the park around the candidates and the demand, covered or not
    legend = tab.locator("#plan .legend")
    expect(legend).to_contain_text("需求点：已覆盖")
    assert "需求点：未覆盖" in legend.inner_text() and "园区其余地块" in legend.inner_text()
    assert tab.locator("#plan .leaflet-control-layers").count() == 1
    tab.locator("#plan").scroll_into_view_if_needed()
    copy_shot(p.shot("06-plan"), "workbench-plan.png")

    # duplicate, change one assumption (up to three clinics instead of two), run again
    tab.locator("#scenarios button", has_text="复制").first.click()
    expect(tab.locator("#sc-name")).to_have_value(re.compile("（副本）$"))
    tab.fill("#sc-name", "2027 卫生站三处")
    tab.locator("#sc-name").dispatch_event("change")
    tab.fill('[data-path="facilities.0.count"]', "")
    tab.locator('[data-path="facilities.0.count"]').dispatch_event("change")
    tab.fill('[data-path="facilities.0.max_count"]', "3")
    tab.locator('[data-path="facilities.0.max_count"]').dispatch_event("change")
    # and ask for the coverage–cost trade-off curve with this run
    tab.select_option("#run-frontier", "coverage:cost")
    tab.fill("#run-steps", "3")
    tab.locator("#run-steps").dispatch_event("change")
    # the network goes down as the run starts (the browser is offline while the job runs on the
    # server): the page says so and keeps trying; back online, it picks the job up by itself
    with tab.expect_response(re.compile(r"/scenarios/[A-Za-z0-9_-]+/runs$")) as submitted:
        tab.click("#save-run")
    assert submitted.value.status == 202
    tab.context.set_offline(True)
    tab.locator("#offline").wait_for(state="visible", timeout=30_000)
    assert "连接中断" in tab.inner_text("#offline")
    tab.wait_for_timeout(2000)  # polls fail meanwhile; the banner stays
    assert tab.locator("#offline").is_visible()
    p.shot("07-offline")
    tab.context.set_offline(False)
    expect(tab.locator("#frontier-chart circle")).to_have_count(3, timeout=120_000)  # run B's own result
    tab.locator("#offline").wait_for(state="hidden", timeout=30_000)
    assert tab.inner_text("#plan-status") == "已证明最优"
    assert "2027 卫生站三处" in tab.inner_text("#plan")
    coverage_b = tab.locator("#plan-numbers dd").nth(1).inner_text()
    assert coverage_b != coverage_a  # up to three clinics cover more demand
    # the trade-off curve: three points from no cost (no clinic) to the cost of the best plan
    assert tab.locator("#frontier-chart circle").count() == 3
    cells = [tab.locator("#frontier-table tbody tr").nth(i).locator("td") for i in range(3)]
    costs = [float(c.nth(1).inner_text().replace(",", "")) for c in cells]
    cover = [float(c.nth(2).inner_text().replace(",", "")) for c in cells]
    assert costs == sorted(costs) and cover == sorted(cover) and costs[0] == 0 and cover[0] == 0
    tab.locator("#frontier").scroll_into_view_if_needed()
    copy_shot(p.shot("07b-frontier"), "workbench-frontier.png")

    # an impossible budget: infeasible, and the diagnosis says why in words
    tab.locator("#scenarios button", has_text="复制").first.click()
    expect(tab.locator("#sc-name")).to_have_value(re.compile("（副本）$"))
    tab.fill("#sc-name", "预算不足")
    tab.locator("#sc-name").dispatch_event("change")
    tab.fill('[data-path="budget_wan"]', "100")
    tab.locator('[data-path="budget_wan"]').dispatch_event("change")
    tab.fill('[data-path="facilities.0.min_count"]', "1")  # one clinic must be built: 800 万元 at least
    tab.locator('[data-path="facilities.0.min_count"]').dispatch_event("change")
    tab.click("#save-run")
    tab.locator("#plan-status", has_text="无可行解").wait_for(timeout=120_000)
    diagnosis = tab.inner_text("#diagnosis")
    assert "不能同时满足" in diagnosis and "预算" in diagnosis and "低于必须新建设施的最低费用" in diagnosis
    p.shot("08-infeasible")

    # --- compare the two feasible runs ------------------------------------------------------
    tab.click("#nav-compare")
    for label in ("2027 卫生站两处", "2027 卫生站三处"):
        tab.locator("#compare-form label", has_text=label).locator("input").check()
    tab.click("#compare-run")
    tab.locator("#compare-table").wait_for()
    table = tab.inner_text("#compare-table")
    assert "2027 卫生站两处" in table and "2027 卫生站三处" in table
    assert tab.locator("#compare-table td.diff").count() >= 2  # coverage and cost differ
    assert "处置方式不同的地块" in tab.inner_text("#changed-count")
    for side in ("a", "b"):
        assert tab.locator(f"#compare-map-{side} .leaflet-pane").count() > 0
    tab.locator("#compare-map-a").scroll_into_view_if_needed()
    copy_shot(p.shot("09-compare"), "workbench-compare.png")

    # three runs (the infeasible one too): the table has a column each, the planner picks the two
    # the dual map shows (the runs in the order they were made: 两处, 三处, 预算不足)
    tab.locator("#compare-form label", has_text="预算不足").locator("input").check()
    tab.click("#compare-run")
    tab.locator("#dual-pick").wait_for()
    assert "预算不足" in tab.inner_text("#compare-table")
    assert tab.locator("#compare-table thead th").count() == 4
    tab.select_option("#dual-left", "1")  # the same run on both sides: refused, said why
    assert "两次不同" in tab.inner_text("#dual-status")
    tab.select_option("#dual-right", "0")
    expect(tab.locator("#dual-map h2")).to_contain_text("2027 卫生站三处")
    heading = tab.inner_text("#dual-map h2")
    assert heading.index("三处") < heading.index("↔") < heading.index("两处")
    assert tab.get_attribute("#dual-left", "id") == "dual-left" and tab.input_value("#dual-left") == "1"
    for side in ("a", "b"):
        assert tab.locator(f"#compare-map-{side} .leaflet-pane").count() > 0
    tab.locator("#dual-map").scroll_into_view_if_needed()
    p.shot("09b-compare-pick")

    # --- briefing of a scenario run ---------------------------------------------------------
    tab.click("#nav-briefing")
    run_b = tab.locator("#brief-source option", has_text="2027 卫生站三处").get_attribute("value")
    tab.select_option("#brief-source", run_b)
    tab.click("#brief-show")
    tab.locator("#brief-status", has_text="KB").wait_for(timeout=60_000)
    assert tab.get_attribute("#brief-preview", "src").startswith("blob:")
    with tab.expect_download() as download:
        tab.click("#brief-download")
    pdf = Path(download.value.path()).read_bytes()
    assert pdf[:5] == b"%PDF-" and len(pdf) > 20_000
    tab.locator("#brief-preview").scroll_into_view_if_needed()
    tab.wait_for_timeout(2500)  # Chromium's PDF viewer draws the first page
    copy_shot(p.shot("10-briefing"), "workbench-briefing.png")

    # --- briefing of the parcels chosen in the analysis table
    analysis_source = tab.locator("#brief-source option", has_text="分析").get_attribute("value")
    tab.select_option("#brief-source", analysis_source)
    assert tab.is_checked("#scope-picked") and "2 宗" in tab.inner_text("#brief-scope")
    with tab.expect_download() as download:
        tab.click("#brief-download")
    picked_pdf = Path(download.value.path())
    text = subprocess.run(
        ["pdftotext", str(picked_pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert all(pid_ in text for pid_ in chosen), (chosen, text[:500])

    # every control of every view has a name a screen reader reads out (labelled inputs)
    unnamed_js = """() => [...document.querySelectorAll('input, select, textarea, button')]
        .filter((el) => !el.closest('.leaflet-container') && el.type !== 'file' && !el.hidden)
        .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                        && !(el.tagName === 'BUTTON' && el.textContent.trim()))
        .map((el) => el.outerHTML.slice(0, 120))"""
    for view in ("data", "analysis", "scenarios", "compare", "briefing"):
        tab.click(f"#nav-{view}")
        if view == "scenarios" and tab.locator("#scenario-form").count() == 0:
            tab.click("#new-scenario")
        assert tab.evaluate(unnamed_js) == [], view
    # from the keyboard: the navigation keeps the focus, Tab goes on to the upload zone, Enter asks
    # for the file chooser
    tab.click("#nav-data")
    assert tab.evaluate("document.activeElement.id") == "nav-data"
    for _ in range(12):
        tab.keyboard.press("Tab")
        if tab.evaluate("document.activeElement.id") == "drop":
            break
    assert tab.evaluate("document.activeElement.id") == "drop"
    tab.evaluate(
        """() => document.getElementById('file').addEventListener('click',
             (e) => { window.chooserOpened = true; e.preventDefault(); })"""
    )
    tab.keyboard.press("Enter")
    assert tab.evaluate("window.chooserOpened === true")

    # --- English switch ---------------------------------------------------------------------
    tab.click("#lang")
    assert tab.inner_text("#nav-data") == "Data" and tab.inner_text("h1") == "Data"
    assert "Drop a layer file here" in tab.inner_text("#drop")
    tab.click("#lang")

    assert blocked == [] and p.off_host() == []
    assert not [e for e in p.console_errors if "Failed to load resource" not in e], p.console_errors


def test_a_viewer_is_offered_no_change_and_the_api_refuses_anyway(page: Page, server: Any) -> None:
    p = page
    tab: Any = p.page
    block_off_host(p)
    sign_in(p, server.viewer)
    assert "只读" in tab.inner_text("#who")
    assert tab.locator("#drop").count() == 0  # no upload
    tab.click("#nav-analysis")
    assert tab.locator("#run-analysis").count() == 0
    tab.click("#nav-scenarios")
    assert tab.locator("#new-scenario").count() == 0
    assert tab.locator("#scenarios button", has_text="复制").count() == 0
    refused = tab.evaluate(
        """async (token) => (await fetch('/analyses', {method: 'POST',
              headers: {Authorization: `Bearer ${token}`, 'Content-Type': 'application/json'},
              body: JSON.stringify({dataset_id: 'x'})})).status""",
        server.viewer,
    )
    assert refused == 403
    p.shot("11-viewer")
    assert p.off_host() == []

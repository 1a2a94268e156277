"""The HTML report in a real browser: headless Chromium (Debian's `chromium`, which `.ci/run`
installs) driven by Playwright's Python package through `executable_path`.

It must load with no console errors (a CSP hash that does not match the inline script shows up
here), make no network request, show the verdict, the findings and the charts, sort and filter
its tables, and still show everything with JavaScript off. A screenshot of the sample report is
saved under reports/browser/; UPDATE_SCREENSHOT=1 also refreshes docs/report.png for the README.

Skipped only where no chromium is installed and this is not CI: under CI (CI=true, as .ci/run
runs) or with TRAFFICLINT_REQUIRE_BROWSER=1, a missing browser fails the test instead.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from conftest import PINNED_VERSIONS, REPO, fixed_clock

from analyzer.check import check
from analyzer.config import load_config
from analyzer.render import render_html

pytestmark = pytest.mark.browser

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
SHOTS = REPO / "reports" / "browser"


def chromium() -> str:
    found = os.environ.get("TRAFFICLINT_CHROMIUM") or shutil.which("chromium") \
        or shutil.which("chromium-browser")
    if found:
        return found
    if os.environ.get("CI") or os.environ.get("TRAFFICLINT_REQUIRE_BROWSER"):
        pytest.fail("chromium is not installed; .ci/run installs it with apt-get")
    pytest.skip("chromium is not installed (apt-get install chromium); CI runs this test")


@pytest.fixture(scope="module")
def sample_report(tmp_path_factory) -> Path:
    from analyzer import check as check_module
    versions = check_module.versions
    check_module.versions = lambda: PINNED_VERSIONS
    try:
        config = load_config(REPO / "sample_logs" / "trafficlint.yaml")
        html = render_html(check([str(REPO / "sample_logs")], config, clock=fixed_clock))
    finally:
        check_module.versions = versions
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(html, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright
    executable = chromium()
    # Playwright starts the browser with a fresh temporary --user-data-dir of its own.
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, headless=True,
                                    args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, sample_report):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems, requests = [], []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
            if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(sample_report.as_uri())
    page.wait_for_load_state("load")
    yield page
    assert problems == []
    assert requests == [sample_report.as_uri()], "the report must not touch the network"
    context.close()


def test_report_shows_verdict_findings_and_charts(page):
    verdict = page.locator("#verdict")
    assert verdict.is_visible()
    assert verdict.inner_text().startswith("FAIL · 11 of 14 clients show anti-patterns")
    assert "deltaware-poller" in verdict.inner_text()
    rows = page.locator("table.findings tbody tr")
    assert rows.count() == 136
    assert rows.first.is_visible()
    assert "2200-46162-025" in page.locator("#rule-NUV-001 table.findings").inner_text()
    for chart in ("#chart-calls svg", "#chart-errors svg", "#chart-gaps-NUV-001-polling svg"):
        box = page.locator(chart).bounding_box()
        assert box and box["width"] > 600 and box["height"] > 100, chart
    assert page.locator("#chart-calls rect.s0").count() > 100
    assert page.locator("#chart-gaps-NUV-001-polling line.limit").count() == 1
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "report-full.png"), full_page=True)
    page.screenshot(path=str(SHOTS / "report.png"))
    if os.environ.get("UPDATE_SCREENSHOT") == "1":
        page.screenshot(path=str(REPO / "docs" / "report.png"),
                        clip={"x": 0, "y": 0, "width": 1280, "height": 2400}, full_page=True)


def test_tables_sort_and_filter(page):
    table = page.locator("#client-table")
    names = lambda: table.locator("tbody tr td:first-child").all_inner_texts()  # noqa: E731
    assert names()[0] == "fjord-unlisted"  # furthest up the escalation ladder, then most severe
    table.locator("thead th", has_text="Calls a day").locator("button").click()
    assert names()[0] == "granite-dupes"  # fewest calls a day first
    table.locator("thead th", has_text="Calls a day").locator("button").click()
    assert names()[0] == "deltaware-poller"
    filter_box = page.locator(".table-tools input.filter").first
    filter_box.fill("quiet")
    visible = [n for n, row in zip(names(), table.locator("tbody tr").all(), strict=True)
               if row.is_visible()]
    assert visible == ["bluefin-quiet"]
    assert page.locator(".table-tools .meta").first.inner_text() == "1 of 14 rows"


def test_without_javascript_the_report_is_whole(browser, sample_report):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(sample_report.as_uri())
    assert page.locator("table.findings tbody tr").count() == 136
    assert page.locator("#chart-errors svg").is_visible()
    assert page.locator(".table-tools").count() == 0  # no dead controls
    context.close()


def test_hostile_log_values_stay_text_in_the_browser(browser, hostile_report, tmp_path):
    path = tmp_path / "hostile.html"
    path.write_text(render_html(hostile_report), encoding="utf-8")
    context = browser.new_context()
    page = context.new_page()
    dialogs, problems = [], []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    assert dialogs == [] and problems == []
    assert page.locator("img").count() == 0  # the injected <img onerror> is text
    assert page.locator("script").count() == 1  # only the report's own
    assert "<script>alert(1)</script>" in page.locator("table.findings").inner_text()
    context.close()

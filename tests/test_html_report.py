"""The HTML report's structure: capped tables, charts from the traffic profile, maintenance
windows shaded, and a file size that does not grow with the log."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import re
from datetime import UTC, datetime, timedelta

from conftest import FIXTURE, run_check

from analyzer import view
from analyzer.config import RuleOverride
from analyzer.model import MaintenanceWindow
from analyzer.render import html_assets, html_from_dict, render_html
from analyzer.severity import Severity
from analyzer.traffic import bucket_seconds

START = datetime(2026, 11, 2, tzinfo=UTC)


def write_logs(folder, clients: int, files: int, days: int) -> None:
    """Each client asks for three orders that do not exist, three times each (one finding per
    order), and polls one part number (a very long one for the first few clients); spread over
    `files` files and `days` days."""
    folder.mkdir()
    rows: list[list[str]] = [[] for _ in range(files)]
    for c in range(clients):
        at = START + timedelta(minutes=c * days * 1440 // clients)
        for order in range(3):
            for repeat in range(3):
                when = at + timedelta(minutes=order * 5 + repeat)
                rows[(c + order) % files].append(json.dumps({
                    "timestamp": when.isoformat(), "operation": "orderStatus",
                    "client_id": f"client-{c:05d}", "order_id": f"SO{c}{order}",
                    "http_status": 500, "error_code": "100",
                    "error_message": f"Order SO{c}{order} not found"}))
        for poll in range(6):
            rows[c % files].append(json.dumps({
                "timestamp": (at + timedelta(minutes=poll)).isoformat(),
                "operation": "checkInventory", "client_id": f"client-{c:05d}",
                "part_number": f"P{c}-" + "x" * (5000 if c < 5 else 10)}))
    for index, lines in enumerate(rows):
        (folder / f"part-{index:04d}.ndjson").write_text("\n".join(lines) + "\n")


def test_file_size_is_bounded_whatever_the_log_size(tmp_path):
    sizes = {}
    for name, clients, files, days in (("small", 300, 110, 7), ("big", 3000, 220, 90)):
        write_logs(tmp_path / name, clients, files, days)
        report = run_check([tmp_path / name])
        html = render_html(report)
        sizes[name] = len(html.encode("utf-8"))
        assert len(report.findings) == 4 * clients
        assert f"{clients - view.MAX_CLIENT_ROWS:,} more of {clients:,} clients" in html
        assert f"more of {3 * clients:,} findings" in html
        assert f"{files - view.MAX_FILE_ROWS:,} more of {files:,} files" in html
        assert "x" * (view.MAX_VALUE_CHARS + 1) not in html
    # Ten times the clients and findings, twice the files: about the same report.
    assert sizes["big"] < 1.15 * sizes["small"], sizes
    assert sizes["big"] < 1_500_000, sizes


def test_bucket_grows_with_the_span():
    start = datetime(2026, 1, 1, tzinfo=UTC)
    assert bucket_seconds(start, start + timedelta(minutes=20)) == 60
    assert bucket_seconds(start, start + timedelta(days=7)) == 3600
    assert bucket_seconds(start, start + timedelta(days=90)) == 43200
    assert bucket_seconds(start, start + timedelta(days=3650)) > 86400 * 14


def test_maintenance_windows_are_shaded_on_the_error_chart(report):
    window = MaintenanceWindow(datetime(2026, 11, 16, 9, 0, tzinfo=UTC),
                               datetime(2026, 11, 16, 9, 30, tzinfo=UTC), "NetSuite upgrade")
    traffic = dataclasses.replace(report.traffic, maintenance=(window,))
    html = render_html(dataclasses.replace(report, traffic=traffic))
    start = html.index('id="chart-errors"')
    errors = html[start:html.index("</figure>", start)]
    assert "Errors per 10 min, by client, announced maintenance shaded" in errors
    assert re.search(r'<rect class="shade" x="[\d.]+" y="14" width="[\d.]+" height="182">'
                     r"<title>NetSuite upgrade: 2026-11-16 09:00 to 2026-11-16 09:30 UTC</title>",
                     errors)
    assert "No maintenance windows were declared" not in html


def test_the_csp_allows_only_the_reports_own_script_and_style(report):
    html = render_html(report)
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html).group(1)
    csp = csp.replace("&#39;", "'")
    assert csp == html_assets()["csp"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert csp.startswith("default-src 'none'; ")
    script = re.search(r"<script>(.*?)</script>", html, re.S).group(1)
    style = re.search(r"<style>(.*?)</style>", html, re.S).group(1)
    for name, body in (("script-src", script), ("style-src", style)):
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"{name} 'sha256-{digest}'" in csp


def test_info_only_clients_are_below_the_escalation_ladder(report):
    # The ladder step is the model's: pin NUV-002 (ghost's only rule) to info.
    data = run_check([FIXTURE], rules={"NUV-002": RuleOverride(severity=Severity.INFO)}).to_dict()
    ghost = next(c for c in view.build(data)["flagged_clients"] if c["client_id"] == "ghost")
    assert (ghost["step"], ghost["next_steps"]) == (0, [])
    assert ghost["step_text"] == "none: hygiene, no provider action expected"
    html = html_from_dict(data)
    row = html[html.index('<a href="#client-'):html.index("</tbody>")]
    assert "none: hygiene, no provider action expected" in row


def test_finding_status_gets_a_column_when_the_model_carries_it(report):
    """A run with a baseline marks findings new, worsened or unchanged, and suppressions mark
    them suppressed (issue 3 adds both to the model): the rule tables show it."""
    data = report.to_dict()
    assert "<th>Status</th>" not in html_from_dict(data)
    data["findings"][0]["baseline"] = "new"
    data["findings"][1]["suppressed"] = {"reason": "known", "expires": "2027-01-01",
                                         "owner": None}
    html = html_from_dict(data)
    assert html.count("<th>Status</th>") == 3
    assert '<span class="badge status">new</span>' in html
    assert '<span class="badge status">suppressed</span>' in html

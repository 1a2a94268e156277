"""One report, every format: golden JSON, HTML and text pin the wording; hostile log values
come out inert in each; the same input gives byte-identical output."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from analyzer import check as check_module
from analyzer.render import render_html, render_json, render_text
from conftest import REPO, golden, run_check

FIXTURE = Path("tests/fixtures/mixed.csv")
SCHEMA = json.loads((REPO / "docs" / "report.schema.json").read_text())
PINNED_VERSIONS = (("trafficlint", "0.1.0"), ("polars", "2.x"), ("python", "3.x"))


@pytest.fixture
def report(monkeypatch):
    monkeypatch.chdir(REPO)  # relative paths in the report, as a user would see them
    monkeypatch.setattr(check_module, "versions", lambda: PINNED_VERSIONS)
    return run_check([FIXTURE])


def test_golden_json(report):
    golden("report.json", render_json(report))


def test_golden_html(report):
    golden("report.html", render_html(report))


def test_golden_text(report):
    golden("report.txt", render_text(report))


def test_json_matches_the_documented_schema(report):
    jsonschema.validate(json.loads(render_json(report)), SCHEMA)


def test_same_input_in_any_order_gives_identical_bytes(monkeypatch, tmp_path):
    monkeypatch.setattr(check_module, "versions", lambda: PINNED_VERSIONS)
    lines = (REPO / FIXTURE).read_text().splitlines(keepends=True)
    first = tmp_path / "a.csv"
    second = tmp_path / "b.csv"
    first.write_text("".join(lines[:30]))
    second.write_text(lines[0] + "".join(lines[30:]))
    outputs = []
    for order in ([first, second], [second, first]):
        report = run_check(order)
        outputs.append((render_json(report), render_html(report), render_text(report)))
    assert outputs[0] == outputs[1]


HOSTILE = {
    "script": "<script>alert(1)</script>",
    "img": '"><img src=x onerror=alert(1)>',
    "ansi": "\x1b[31mred\x1b]0;title\x07",
    "bidi": "abc\u202edcba",
}


@pytest.fixture
def hostile_report(tmp_path):
    log = tmp_path / "hostile.ndjson"
    rows = []
    for i in range(6):  # a poller, so every hostile value reaches a finding
        rows.append({"timestamp": f"2026-11-16T09:{i:02d}:00Z", "operation": "checkInventory",
                     "client_id": HOSTILE["script"] + HOSTILE["ansi"],
                     "part_number": HOSTILE["img"] + HOSTILE["bidi"]})
    rows.append({"timestamp": "2026-11-16T09:00:00" + HOSTILE["script"], "operation": "x"})
    log.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    report = run_check([log])
    assert report.findings, "the hostile log must produce a finding to be a real test"
    return report


def test_html_escapes_log_values(hostile_report):
    html = render_html(hostile_report)
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in html
    # The one script element is the report's own, which the CSP allows by its hash.
    assert html.lower().count("<script") == 1
    assert html.count("<script>(function () {") == 1


def test_terminal_output_has_no_control_characters_from_logs(hostile_report):
    text = render_text(hostile_report, colour=False)
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    assert "\\x1b[31mred" in text


def test_json_round_trips_log_values_exactly(hostile_report):
    data = json.loads(render_json(hostile_report))
    assert data["findings"][0]["client_id"] == HOSTILE["script"] + HOSTILE["ansi"]

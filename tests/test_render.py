"""One report, every format: golden JSON, HTML and text pin the wording; hostile log values
come out inert in each; the same input gives byte-identical output."""

from __future__ import annotations

import json

import jsonschema
from conftest import (
    FIXTURE,
    HOSTILE_CLIENT,
    HOSTILE_PART,
    PINNED_VERSIONS,
    REPO,
    golden,
    run_check,
)

from analyzer import check as check_module
from analyzer.render import render_html, render_json, render_text

SCHEMA = json.loads((REPO / "docs" / "report.schema.json").read_text())


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
    assert data["findings"][0]["client_id"] == HOSTILE_CLIENT
    assert data["findings"][0]["key"] == {"part_number": HOSTILE_PART}


def test_html_settings_read_as_text_not_python_reprs():
    from analyzer.view import setting_text
    assert setting_text(None) == "(default)"
    assert setting_text(["live", "prod"]) == "live, prod"
    assert setting_text([]) == "(none)"
    assert setting_text({"duplicate_codes": ["101"], "retry_statuses": [502, 503]}) == \
        "duplicate_codes: 101, retry_statuses: 502, 503"

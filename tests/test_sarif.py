"""SARIF 2.1.0: valid against the official schema (formats included), results at the log file
and line, rules with their documentation, fingerprints that do not depend on input order."""

from __future__ import annotations

import json

import jsonschema
import pytest
from conftest import HOSTILE_CLIENT, REPO, golden, run_check

from analyzer.sarif import file_uri, message_text, render_sarif

SCHEMA = json.loads((REPO / "tests" / "data" / "sarif-schema-2.1.0.json").read_text())


def validate(sarif: dict) -> None:
    validator = jsonschema.Draft4Validator(SCHEMA, format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(sarif), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])


def test_the_schema_checks_uri_formats():
    """Without a URI validator installed, `format: uri-reference` would pass anything."""
    checker = jsonschema.FormatChecker()
    assert not checker.conforms("a b\\c:%zz", "uri-reference")
    assert checker.conforms("logs/a%20b.ndjson", "uri-reference")


def test_golden_sarif(report):
    golden("report.sarif", render_sarif(report))


def test_fixture_sarif_is_valid(report):
    validate(json.loads(render_sarif(report)))


def test_sample_week_sarif_is_valid():
    validate(json.loads(render_sarif(run_check([REPO / "sample_logs"]))))


def test_hostile_values_stay_valid_and_inert(hostile_report):
    sarif = json.loads(render_sarif(hostile_report))
    validate(sarif)
    result = sarif["runs"][0]["results"][0]
    assert result["properties"]["client_id"] == HOSTILE_CLIENT  # exact in machine fields
    text = result["message"]["text"]
    assert "\x1b" not in text and "\u202e" not in text and "\\x1b\\[31mred" in text
    assert "\\[link\\](javascript:alert(1))" in text  # not an embedded link to a location
    uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri.startswith("file:///") and uri.endswith("/hostile%2C%20100%25%3A%20x.ndjson")


def test_results_point_at_the_log_file_and_line(report):
    run = json.loads(render_sarif(report))["runs"][0]
    data = report.to_dict()
    assert len(run["results"]) == len(data["findings"])
    for result, finding in zip(run["results"], data["findings"], strict=True):
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uri"] == finding["evidence"][0]["file"]
        assert location["region"]["startLine"] == finding["evidence"][0]["line"]
        assert len(result["relatedLocations"]) == len(finding["evidence"]) - 1
        assert result["partialFingerprints"] == {"trafficlint/v2": finding["fingerprint"]}
        assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
    levels = {r["level"] for r in run["results"]}
    assert levels == {"error", "warning"}  # critical, warning


def test_rules_carry_their_documentation(report):
    rules = json.loads(render_sarif(report))["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [r.id for r in report.rules]
    polling = next(r for r in rules if r["id"] == "NUV-001")
    title = "checkInventory polled at intervals under 15 minutes"
    assert polling["shortDescription"]["text"] == title
    fix = "How to fix it:\nCheck availability at most once every 15 minutes"
    assert fix in polling["help"]["text"]
    assert "**How to fix it.**" in polling["help"]["markdown"]
    assert polling["helpUri"] == "https://developer.nuvias-uc.com/order_api/status/"
    assert polling["defaultConfiguration"] == {"level": "warning"}


def test_rejected_rows_are_notifications(report):
    invocation = json.loads(render_sarif(report))["runs"][0]["invocations"][0]
    assert invocation["toolExecutionNotifications"] == [{
        "level": "warning",
        "message": {"text": "1 input rows rejected: timestamp has no UTC offset (name the zone "
                            "with --timezone)"},
    }]


def test_fingerprints_do_not_depend_on_input_order(tmp_path):
    lines = (REPO / "tests" / "fixtures" / "mixed.csv").read_text().splitlines(keepends=True)
    (tmp_path / "a.csv").write_text("".join(lines[:30]))
    (tmp_path / "b.csv").write_text(lines[0] + "".join(lines[30:]))
    prints = []
    for order in (["a.csv", "b.csv"], ["b.csv", "a.csv"]):
        sarif = json.loads(render_sarif(run_check([tmp_path / name for name in order])))
        prints.append(sorted(r["partialFingerprints"]["trafficlint/v2"]
                             for r in sarif["runs"][0]["results"]))
    assert prints[0] == prints[1] and len(prints[0]) == 8


@pytest.mark.parametrize(("path", "uri"), [
    ("logs/api.ndjson", "logs/api.ndjson"),
    ("logs/a b#c?.csv", "logs/a%20b%23c%3F.csv"),
    ("weird:name.csv", "weird%3Aname.csv"),  # not a URI scheme
    ("/var/log/api.csv.gz", "file:///var/log/api.csv.gz"),
    ("C:\\logs\\api.csv", "file:///C:/logs/api.csv"),
])
def test_file_uris(path, uri):
    assert file_uri(path) == uri


def test_message_text_escapes_brackets_and_controls():
    assert message_text("see [x](1) \\ \\] \x1b[0m") == "see \\[x\\](1) \\ \\\\\\] \\x1b\\[0m"

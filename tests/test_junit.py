"""JUnit XML: a test case per rule and client, failures at or above --fail-on, always
well-formed whatever the logs contain."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from conftest import FIXTURE, HOSTILE, REPO, golden, run_check

from analyzer.junit import render_junit, xml_text


def parse(text: str) -> ET.Element:
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    return ET.fromstring(text.encode("utf-8"))


def failed_cases(root: ET.Element) -> set[tuple[str, str]]:
    return {(case.get("classname"), case.get("name")) for case in root.iter("testcase")
            if case.find("failure") is not None}


def test_golden_junit(report):
    golden("report.junit.xml", render_junit(report))


def test_a_case_per_rule_and_client_failing_at_fail_on(report):
    root = parse(render_junit(report))
    data = report.to_dict()
    # A suite per rule that ran (the pack grows, so the list is read from the report).
    assert [s.get("name") for s in root.iter("testsuite")] == [
        f"{r['id']} {r['name']}" for r in data["rules"]]
    assert "NUV-001 inventory-polling" in [s.get("name") for s in root.iter("testsuite")]
    assert len(list(root.iter("testcase"))) == len(data["rules"]) * len(data["clients"]) == \
        int(root.get("tests"))
    expected = {(f"trafficlint.{f['rule']}", f["client_id"]) for f in data["findings"]}
    assert failed_cases(root) == expected
    assert int(root.get("failures")) == len(expected)
    failure = root.find(".//testcase[@name='looper']/failure")
    assert failure.get("type") == "critical"
    assert failure.get("message").startswith("1 finding failing the run: PO LOOP-1 ")
    assert "at tests/fixtures/mixed.csv:14, " in failure.text


def test_findings_below_fail_on_pass_with_their_details_as_output(monkeypatch):
    monkeypatch.chdir(REPO)
    report = run_check([FIXTURE], fail_on="critical")
    root = parse(render_junit(report))
    assert failed_cases(root) == {("trafficlint.NUV-001", "poller-all-day"),
                                  ("trafficlint.NUV-002", "unlisted"),
                                  ("trafficlint.NUV-003", "looper")}
    out = root.find(".//testsuite[@name='NUV-003 duplicate-po-submissions']"
                    "/testcase[@name='resubmitter']/system-out")
    assert out.text.startswith("Not failing the run:\n\nWARNING NUV-003 ")
    assert "\nBelow --fail-on critical\n" in out.text
    never = parse(render_junit(run_check([FIXTURE], fail_on="never")))
    assert failed_cases(never) == set() and never.get("failures") == "0"


def test_hostile_values_keep_the_xml_well_formed(hostile_report):
    text = render_junit(hostile_report)
    root = parse(text)  # raises on a stray NUL, ESC or broken markup
    names = {case.get("name") for case in root.iter("testcase")}
    client = next(n for n in names if n.startswith("<script>"))
    assert "\\x1b[31mred" in client and "\x1b" not in text and "\x00" not in text
    assert "<script>" not in text and "&lt;script&gt;" in text
    failure = root.find(".//failure")
    assert HOSTILE["xml"].replace("\x00", "\\x00") in failure.text  # ]]> and & survive as text


def test_xml_text_replaces_what_xml_cannot_hold():
    assert xml_text("a\x00b\x1bc\ufffed\U0001f600") == "a\\x00b\\x1bc\ufffdd\U0001f600"

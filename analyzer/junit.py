"""JUnit XML for CI test-report views (GitLab, Jenkins, Azure, GitHub test reporters).

A test suite per rule and a test case per rule and client: a client with findings that fail the
run (at or above `--fail-on`, not suppressed, and new or worse than the baseline when there is
one) fails that case, with every such finding as the failure's text; its other findings are
listed as the case's output, each saying why it does not fail the run, and a client without
findings passes. Built with ElementTree, so
markup characters are escaped; characters XML 1.0 cannot carry at all (ANSI escapes, NUL) are
made visible first, so the file is always well-formed.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

from analyzer.model import Report
from analyzer.render import terminal_safe
from analyzer.view import gate_note, group, key_text

_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value: Any) -> str:
    """Text XML 1.0 can hold: control and bidi characters made visible, the rest removed."""
    return _NOT_XML.sub("\ufffd", terminal_safe(value))


def render_junit(report: Report) -> str:
    data = report.to_dict()
    clients = [c["client_id"] for c in data["clients"]]
    suites = [_suite(rule, data, clients) for rule in data["rules"]]
    root = ET.Element("testsuites", {
        "name": "trafficlint",
        "tests": str(sum(int(s.get("tests", "0")) for s in suites)),
        "failures": str(sum(int(s.get("failures", "0")) for s in suites)),
        "errors": "0",
    })
    root.extend(suites)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _suite(rule: dict[str, Any], report: dict[str, Any], clients: list[str]) -> ET.Element:
    by_client = group([f for f in report["findings"] if f["rule"] == rule["id"]], "client_id")
    fail_on = report["summary"]["fail_on"]
    cases = [_case(rule, client, by_client.get(client, []), fail_on) for client in clients]
    suite = ET.Element("testsuite", {
        "name": xml_text(f"{rule['id']} {rule['name']}"),
        "tests": str(len(cases)),
        "failures": str(sum(1 for case in cases if case.find("failure") is not None)),
        "errors": "0",
        "skipped": "0",
        "timestamp": report["generated_at"][:19],
    })
    properties = ET.SubElement(suite, "properties")
    for name, value in (("title", rule["title"]), ("default_severity", rule["severity"]),
                        ("fail_on", report["summary"]["fail_on"]),
                        *((f"param.{k}", v) for k, v in rule["params"].items())):
        ET.SubElement(properties, "property", {"name": xml_text(name), "value": xml_text(value)})
    suite.extend(cases)
    return suite


def _case(rule: dict[str, Any], client: str, findings: list[dict[str, Any]],
          fail_on: str) -> ET.Element:
    case = ET.Element("testcase", {"classname": xml_text(f"trafficlint.{rule['id']}"),
                                   "name": xml_text(client)})
    failing = [f for f in findings if f["gating"]]
    if failing:
        worst = failing[0]  # findings are sorted most severe first
        failure = ET.SubElement(case, "failure", {
            "type": worst["severity"],
            "message": xml_text(f"{len(failing)} finding{'s' if len(failing) != 1 else ''} "
                                f"failing the run: {worst['message']}"),
        })
        failure.text = xml_text("\n\n".join(_details(f, rule, fail_on) for f in failing))
    passing = [f for f in findings if not f["gating"]]
    if passing:
        ET.SubElement(case, "system-out").text = xml_text(
            "Not failing the run:\n\n" + "\n\n".join(_details(f, rule, fail_on)
                                                       for f in passing))
    return case


def _details(finding: dict[str, Any], rule: dict[str, Any], fail_on: str) -> str:
    key = key_text(finding["key"], separator=", ")
    where = ", ".join(f"{e['file']}:{e['line']}" for e in finding["evidence"])
    more = finding["evidence_total"] - len(finding["evidence"])
    return "\n".join([
        f"{finding['severity'].upper()} {rule['id']} {rule['name']}/{finding['check']}"
        + (f"  {key}" if key else ""),
        finding["message"],
        f"measured {finding['measured']['text']} (limit: {finding['measured']['limit']}); "
        f"{finding['count']:,} calls from {finding['first_seen']} to {finding['last_seen']}",
        f"at {where}" + (f" and {more:,} more" if more > 0 else ""),
        gate_note(finding, fail_on),
        f"fix: trafficlint explain {rule['id']}",
    ])

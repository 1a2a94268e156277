"""SARIF 2.1.0 for code-scanning tools (GitHub code scanning, GitLab, IDE viewers).

One result per finding, located at the log file and line of its first offending call, with the
other evidence as related locations, and the finding's fingerprint (rule, client, key: stable
across runs and input order) as `partialFingerprints` so that tools track a finding over time.
The gate is honoured: a suppressed finding carries an accepted external suppression with its
reason, and with a baseline each result has its `baselineState` (new, updated, unchanged).
Findings the baseline records and this run no longer has are counted in the run's summary
property, not written as `absent` results: those would have no location, which code scanning
refuses, and it closes alerts that stop appearing anyway. Each rule carries its documentation
as help text. Rejected input rows and the report's notices are reported as notifications, so
nothing is lost silently here either.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any
from urllib.parse import quote

from analyzer.model import Report
from analyzer.render import json_text, terminal_safe

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
LEVELS = {"critical": "error", "warning": "warning", "info": "note"}
BASELINE_STATES = {"new": "new", "worsened": "updated", "unchanged": "unchanged"}
# v2: the key's fields in name order (v1 took them in the order the rule lists them).
FINGERPRINT = "trafficlint/v2"
_BRACKETS = re.compile(r"(\\*)([\[\]])")


def render_sarif(report: Report) -> str:
    return json_text(sarif_log(report.to_dict()))


def sarif_log(report: dict[str, Any]) -> dict[str, Any]:
    rules = report["rules"]
    index = {rule["id"]: position for position, rule in enumerate(rules)}
    files = report["inputs"]["files"]
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "trafficlint",
                "version": report["tool"]["version"],
                "semanticVersion": report["tool"]["version"],
                "rules": [_rule(rule) for rule in rules],
            }},
            "invocations": [_invocation(report)],
            "artifacts": [{"location": {"uri": file_uri(f["file"])}, "roles": ["analysisTarget"]}
                          for f in files],
            "results": [_result(finding, index) for finding in report["findings"]],
            "properties": {"summary": report["summary"], "versions": report["tool"]["versions"]},
        }],
    }


def _rule(rule: dict[str, Any]) -> dict[str, Any]:
    descriptor = {
        "id": rule["id"],
        "name": rule["name"],
        "shortDescription": {"text": rule["title"]},
        "fullDescription": {"text": rule["summary"].strip()},
        "help": {"text": _help_text(rule), "markdown": _help_markdown(rule)},
        "defaultConfiguration": {"level": LEVELS[rule["severity"]]},
        "properties": {"severity": rule["severity"], "parameters": rule["params"]},
    }
    links = [ref for ref in rule["references"] if re.match(r"^https?://", ref, re.IGNORECASE)]
    if links:
        descriptor["helpUri"] = links[0]
    return descriptor


def _help_text(rule: dict[str, Any]) -> str:
    params = "".join(f"\n  {name}: {value}" for name, value in rule["params"].items())
    return (f"{rule['summary'].strip()}\n\nWhy it matters: {rule['rationale'].strip()}\n\n"
            f"How to fix it:\n{rule['fix'].strip()}\n\nExample:\n{rule['example'].strip()}"
            + (f"\n\nThresholds in this run:{params}" if params else ""))


def _help_markdown(rule: dict[str, Any]) -> str:
    params = "".join(f"\n- `{name}`: {value}" for name, value in rule["params"].items())
    return (f"{rule['summary'].strip()}\n\n**Why it matters.** {rule['rationale'].strip()}\n\n"
            f"**How to fix it.**\n\n```text\n{rule['fix'].strip()}\n```\n\n"
            f"**Example.**\n\n```text\n{rule['example'].strip()}\n```"
            + (f"\n\n**Thresholds in this run**{params}" if params else ""))


def _invocation(report: dict[str, Any]) -> dict[str, Any]:
    summary = report["summary"]
    notes = [{"level": "warning",
              "message": {"text": message_text(f"{n:,} input rows rejected: {reason}")}}
             for reason, n in summary["rejected_by_reason"].items()]
    notes += [{"level": "warning", "message": {"text": message_text(notice)}}
              for notice in report["notices"]]
    return {"executionSuccessful": True, "toolExecutionNotifications": notes}


def _result(finding: dict[str, Any], index: dict[str, int]) -> dict[str, Any]:
    evidence = finding["evidence"]
    result = {
        "ruleId": finding["rule"],
        "ruleIndex": index[finding["rule"]],
        "level": LEVELS[finding["severity"]],
        "message": {"text": message_text(f"{finding['client_id']}: {finding['message']}")},
        "partialFingerprints": {FINGERPRINT: finding["fingerprint"]},
        "properties": {key: finding[key] for key in (
            "client_id", "key", "check", "severity", "count", "first_seen", "last_seen",
            "measured", "metrics", "evidence_total", "gating")},
    }
    if finding["baseline"] is not None:
        result["baselineState"] = BASELINE_STATES[finding["baseline"]]
    if finding["suppressed"] is not None:
        result["suppressions"] = [{"kind": "external", "status": "accepted",
                                   "justification": terminal_safe(finding["suppressed"]["reason"])}]
    if evidence:
        result["locations"] = [_location(evidence[0])]
        result["relatedLocations"] = [{**_location(e), "id": i}
                                      for i, e in enumerate(evidence[1:], start=1)]
    return result


def _location(evidence: dict[str, Any]) -> dict[str, Any]:
    return {
        "physicalLocation": {"artifactLocation": {"uri": file_uri(evidence["file"])},
                             "region": {"startLine": evidence["line"]}},
        "message": {"text": f"call at {evidence['timestamp']}"},
    }


def message_text(text: str) -> str:
    """Plain-text message: control characters made visible, and square brackets escaped
    because SARIF viewers read `[text](n)` as a link to a location (SARIF 3.11.6)."""
    return _BRACKETS.sub(lambda m: m.group(1) * 2 + "\\" + m.group(2), terminal_safe(text))


def file_uri(path: str) -> str:
    """A file as the report names it, as a URI reference: relative paths stay relative (code
    scanning resolves them against the checkout), absolute ones become file: URIs."""
    if PureWindowsPath(path).drive:
        return "file:///" + quote(PureWindowsPath(path).as_posix(), safe="/:")
    posix = PurePosixPath(path)
    if posix.is_absolute():
        return "file://" + quote(posix.as_posix())
    return quote(posix.as_posix())

"""GitHub Actions annotations: one workflow command per finding, at the log file and line of its
first offending call, followed by the usual terminal summary for the job log.

The commands follow the gate: a finding that fails the run is an error, warning or notice by its
severity; one the gate lets through (suppressed, or unchanged since the baseline) is a notice
that says why, and `::error` is kept for findings that fail the run. Findings that fail the run
come first, so the cap never hides one of them behind a suppressed one.

Workflow commands are parsed from the job's output, so every value is escaped as the runner
expects (`%`, CR and LF in the message; also `:` and `,` in properties): a log value such as
`x%0A::error::` stays text and cannot start a command of its own.
"""

from __future__ import annotations

from typing import Any

from analyzer.model import Report
from analyzer.render import render_text, terminal_safe
from analyzer.view import gate_note, status

COMMANDS = {"critical": "error", "warning": "warning", "info": "notice"}
MAX_ANNOTATIONS = 50  # GitHub shows at most 50 per job; the rest would be dropped silently


def escape_data(value: Any) -> str:
    return str(value).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: Any) -> str:
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def annotation(command: str, message: str, **properties: Any) -> str:
    given = ",".join(f"{name}={escape_property(terminal_safe(value))}"
                     for name, value in properties.items() if value is not None)
    return f"::{command}{' ' + given if given else ''}::{escape_data(terminal_safe(message))}"


def render_annotations(report: Report) -> str:
    data = report.to_dict()
    findings = sorted(data["findings"], key=lambda f: not f["gating"])  # stable: report order
    fail_on = data["summary"]["fail_on"]
    lines = [_finding(f, fail_on) for f in findings[:MAX_ANNOTATIONS]]
    if len(findings) > MAX_ANNOTATIONS:
        lines.append(annotation(
            "notice", f"{len(findings) - MAX_ANNOTATIONS:,} more of {len(findings):,} findings "
                      f"are not annotated; see the HTML, JSON or SARIF report",
            title="trafficlint"))
    return "".join(line + "\n" for line in lines)


def _finding(finding: dict[str, Any], fail_on: str) -> str:
    first = finding["evidence"][0] if finding["evidence"] else {}
    let_through = status(finding) in ("suppressed", "unchanged")
    state = f", {gate_note(finding, fail_on).split(':')[0].lower()}" if let_through else ""
    title = (f"{finding['rule']} {finding['name']} ({finding['severity']}{state}): "
             f"{finding['client_id']}")
    message = (f"{finding['message']}. Measured {finding['measured']['text']}, limit "
               f"{finding['measured']['limit']}; {finding['count']:,} "
               f"call{'s' if finding['count'] != 1 else ''}, the first at this line. "
               + (f"{gate_note(finding, fail_on)}. " if let_through else "")
               + f"How to fix: trafficlint explain {finding['rule']}")
    return annotation(_command(finding, let_through), message, file=first.get("file"),
                      line=first.get("line"), title=title)


def _command(finding: dict[str, Any], let_through: bool) -> str:
    if let_through:
        return "notice"
    if finding["severity"] == "critical" and not finding["gating"]:
        return "warning"  # with the gate off (fail_on: never) nothing is an error
    return COMMANDS[finding["severity"]]


def render_github(report: Report) -> str:
    """The annotations, then the terminal summary (without colour) for people reading the log."""
    return render_annotations(report) + render_text(report, colour=False)

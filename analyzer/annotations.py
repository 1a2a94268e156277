"""GitHub Actions annotations: one workflow command per finding, at the log file and line of its
first offending call, followed by the usual terminal summary for the job log.

Workflow commands are parsed from the job's output, so every value is escaped as the runner
expects (`%`, CR and LF in the message; also `:` and `,` in properties): a log value such as
`x%0A::error::` stays text and cannot start a command of its own.
"""

from __future__ import annotations

from typing import Any

from analyzer.model import Report
from analyzer.render import render_text, terminal_safe

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
    findings = data["findings"]
    lines = [_finding(f) for f in findings[:MAX_ANNOTATIONS]]
    if len(findings) > MAX_ANNOTATIONS:
        lines.append(annotation(
            "notice", f"{len(findings) - MAX_ANNOTATIONS:,} more of {len(findings):,} findings "
                      f"are not annotated; see the HTML, JSON or SARIF report",
            title="trafficlint"))
    return "".join(line + "\n" for line in lines)


def _finding(finding: dict[str, Any]) -> str:
    first = finding["evidence"][0] if finding["evidence"] else {}
    title = f"{finding['rule']} {finding['name']} ({finding['severity']}): {finding['client_id']}"
    message = (f"{finding['message']}. Measured {finding['measured']['text']}, limit "
               f"{finding['measured']['limit']}; {finding['count']:,} "
               f"call{'s' if finding['count'] != 1 else ''}, the first at this line. "
               f"How to fix: trafficlint explain {finding['rule']}")
    return annotation(COMMANDS[finding["severity"]], message, file=first.get("file"),
                      line=first.get("line"), title=title)


def render_github(report: Report) -> str:
    """The annotations, then the terminal summary (without colour) for people reading the log."""
    return render_annotations(report) + render_text(report, colour=False)

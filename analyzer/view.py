"""Shape the report's plain dict for reading: findings grouped by client and by rule, a verdict,
each client's escalation step and daily rates, chart geometry, and tables capped so that a
report's size does not grow with the log. Templates only loop over what this builds."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from analyzer import charts
from analyzer.durations import format_duration
from analyzer.severity import ESCALATION, Severity

_RANK = {level.label: int(level) for level in Severity}
# The provider's escalation ladder (status page), and the step each level's traffic reaches:
# a warning usually gets a query; continuous (critical) traffic gets a call and, if it goes on,
# the last two steps.
LADDER = (
    "a query to your technical team",
    "a call from the provider's technical team",
    "a short-term blacklist",
    "loss of API access",
)
LADDER_STEP = {Severity.INFO: 0, Severity.WARNING: 1, Severity.CRITICAL: 2}
DAY = 86400.0
MIN_SPAN = 3600.0  # daily rates from less than an hour of traffic would be guesses

# Rows shown before "N more of M": the full lists are in the JSON and SARIF reports.
MAX_CLIENT_ROWS = 200
MAX_CLIENT_CARDS = 50
MAX_CARD_FINDINGS = 10
MAX_RULE_ROWS = 100
MAX_FILE_ROWS = 100
MAX_VALUE_CHARS = 200


def build(report: dict[str, Any]) -> dict[str, Any]:
    findings = report["findings"]
    span = _span_seconds(report["summary"]["time_span"])
    rules = [_rule(rule, findings) for rule in report["rules"]]
    by_client = group(findings, "client_id")
    clients = sorted((_client(c, by_client.get(c["client_id"], []), span)
                      for c in report["clients"]),
                     key=lambda c: (-c["rank"], -c["errors"], c["client_id"]))
    flagged = [c for c in clients if c["findings"]]
    return {
        "report": report,
        "summary": report["summary"],
        "verdict": _verdict(report, clients),
        "clients": clients,
        "flagged_clients": flagged,
        "client_rows": _capped(clients, MAX_CLIENT_ROWS),
        "client_cards": _capped(flagged, MAX_CLIENT_CARDS),
        "rules": rules,
        "rules_by_id": {rule["id"]: rule for rule in rules},
        "files": report["inputs"]["files"],
        "file_rows": _capped(report["inputs"]["files"], MAX_FILE_ROWS),
        "ignored_files": report["inputs"]["ignored_files"],
        "rates": _rates_note(span),
        "charts": _charts(report.get("traffic"), rules),
        "ladder": LADDER,
        "has_status": any(status(f) for f in findings),
    }


def _capped(items: list[Any], limit: int) -> dict[str, Any]:
    return {"shown": items[:limit], "hidden": max(len(items) - limit, 0), "total": len(items)}


def _span_seconds(span: dict[str, str | None]) -> float:
    if not span["first"] or not span["last"]:
        return MIN_SPAN
    first, last = (datetime.fromisoformat(span[k].replace("Z", "+00:00"))
                   for k in ("first", "last"))
    return max((last - first).total_seconds(), MIN_SPAN)


def _rates_note(span: float) -> str:
    if span >= DAY:
        return f"per day over {format_duration(span)} of traffic"
    return f"per day, extrapolated from {format_duration(span)} of traffic"


def group(findings: list[dict[str, Any]], field: str) -> dict[str, list[dict[str, Any]]]:
    """Findings by the value of one field, each list in report order."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for finding in findings:
        grouped.setdefault(finding[field], []).append(finding)
    return grouped


def _client(traffic: dict[str, Any], own: list[dict[str, Any]], span: float) -> dict[str, Any]:
    worst = max((_RANK[f["severity"]] for f in own), default=0)
    counts = {level.label: sum(f["severity"] == level.label for f in own)
              for level in sorted(Severity, reverse=True)}
    flagged = _flagged_calls(own)
    days = span / DAY
    return {
        **traffic,
        "findings": own,
        "card_findings": _capped(own, MAX_CARD_FINDINGS),
        "rank": worst,
        "worst": Severity(worst).label if worst else "ok",
        "escalation": ESCALATION[Severity(worst)] if worst else "no anti-patterns found",
        **_step(LADDER_STEP[Severity(worst)] if worst else 0),
        "counts": counts,
        "rules": sorted({f["rule"] for f in own}),
        "error_share": traffic["errors"] / traffic["calls"] if traffic["calls"] else 0.0,
        "calls_per_day": traffic["calls"] / days,
        "errors_per_day": traffic["errors"] / days,
        "flagged_calls": flagged,
        "flagged_per_day": flagged / days,
    }


def _step(step: int) -> dict[str, Any]:
    """Where on the provider's escalation ladder a client's traffic stands (0: below it)."""
    if step == 0:
        return {"step": 0, "step_text": "none: hygiene, no provider action expected",
                "next_steps": []}
    return {"step": step, "step_text": f"step {step} of {len(LADDER)}: {LADDER[step - 1]}",
            "next_steps": list(LADDER[step:])}


def _flagged_calls(findings: list[dict[str, Any]]) -> int:
    """Calls in this client's findings. A rule's checks can cover the same calls (a missing id
    asked again and again is also part of a stream of not-found answers), so each rule counts
    with its largest check; different rules look at different calls."""
    per_check: dict[tuple[str, str], int] = {}
    for f in findings:
        per_check[f["rule"], f["check"]] = per_check.get((f["rule"], f["check"]), 0) + f["count"]
    per_rule: dict[str, int] = {}
    for (rule, _), calls in per_check.items():
        per_rule[rule] = max(per_rule.get(rule, 0), calls)
    return sum(per_rule.values())


def _rule(rule: dict[str, Any], findings: list[dict[str, Any]]) -> dict[str, Any]:
    own = [f for f in findings if f["rule"] == rule["id"]]
    return {**rule, "findings": own, "rows": _capped([row(f) for f in own], MAX_RULE_ROWS),
            "clients": sorted({f["client_id"] for f in own})}


def row(finding: dict[str, Any]) -> dict[str, Any]:
    """A finding as one table row: long log values clipped so that one huge value cannot
    blow up the report (the JSON report keeps them whole)."""
    key = [(name, clip(value if value is not None else "(none)"))
           for name, value in finding["key"].items()]
    return {**finding, "client": clip(finding["client_id"]), "key_items": key,
            "status": status(finding),
            "locations": locations(finding["evidence"]),
            "evidence_hidden": finding["evidence_total"] - len(finding["evidence"])}


def status(finding: dict[str, Any]) -> str | None:
    """What the gate made of a finding, when the run has a baseline or suppressions: new,
    worsened, unchanged, or suppressed."""
    if finding.get("suppressed"):
        return "suppressed"
    return finding.get("baseline")


def locations(evidence: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Evidence as files with their lines, each file named once: `a.ndjson: lines 1, 3, 5`."""
    grouped: list[dict[str, Any]] = []
    for e in evidence:
        if grouped and grouped[-1]["file"] == clip(e["file"]):
            grouped[-1]["lines"].append(e["line"])
        else:
            grouped.append({"file": clip(e["file"]), "lines": [e["line"]]})
    return grouped


def clip(value: str) -> str:
    return value if len(value) <= MAX_VALUE_CHARS else value[:MAX_VALUE_CHARS] + "…"


def _charts(traffic: dict[str, Any] | None, rules: list[dict[str, Any]]) -> dict[str, Any]:
    if traffic is None:
        return {"calls": None, "errors": None, "gaps": {}, "per": "", "windows": []}
    windows = traffic["maintenance"]
    gaps: dict[str, list[dict[str, Any]]] = {}
    for histogram in traffic["gaps"]:
        gaps.setdefault(histogram["rule"], []).append(
            {**histogram, "chart": charts.histogram(histogram)})
    return {
        "per": charts.per_bucket(traffic["bucket_seconds"]),
        "calls": charts.time_chart(traffic, "calls_by_operation", "calls"),
        "errors": charts.time_chart(traffic, "errors_by_client", "errors", windows),
        "gaps": gaps,
        "windows": windows,
    }


def _verdict(report: dict[str, Any], clients: list[dict[str, Any]]) -> dict[str, Any]:
    summary = report["summary"]
    flagged = [c for c in clients if c["findings"]]
    if not flagged:
        headline = "No anti-patterns found: nothing here would draw the provider's attention."
    else:
        worst = Severity(max(c["rank"] for c in flagged))
        headline = (f"{len(flagged)} of {len(clients)} client{'s' if len(clients) != 1 else ''} "
                    f"show anti-patterns; the worst is {worst.label}: {ESCALATION[worst]}.")
    return {
        "headline": headline,
        "failed": summary["failed"],
        "status": "fail" if summary["failed"] else "pass",
        "fail_on": summary["fail_on"],
        "clients": _capped(flagged, MAX_CLIENT_CARDS),
    }

"""Shape the report's plain dict for reading: findings grouped by client and by rule, a verdict,
and each client's escalation step. Templates only loop over what this builds."""

from __future__ import annotations

from typing import Any

from analyzer.severity import ESCALATION, Severity

_RANK = {level.label: int(level) for level in Severity}


def build(report: dict[str, Any]) -> dict[str, Any]:
    findings = report["findings"]
    rules = [_rule(rule, findings) for rule in report["rules"]]
    clients = sorted((_client(c, findings) for c in report["clients"]),
                     key=lambda c: (-c["rank"], -c["errors"], c["client_id"]))
    return {
        "report": report,
        "summary": report["summary"],
        "verdict": _verdict(report, clients),
        "clients": clients,
        "flagged_clients": [c for c in clients if c["findings"]],
        "rules": rules,
        "rules_by_id": {rule["id"]: rule for rule in rules},
        "files": report["inputs"]["files"],
        "ignored_files": report["inputs"]["ignored_files"],
    }


def _client(traffic: dict[str, Any], findings: list[dict[str, Any]]) -> dict[str, Any]:
    own = [f for f in findings if f["client_id"] == traffic["client_id"]]
    worst = max((_RANK[f["severity"]] for f in own), default=0)
    counts = {level.label: sum(f["severity"] == level.label for f in own)
              for level in sorted(Severity, reverse=True)}
    return {
        **traffic,
        "findings": own,
        "rank": worst,
        "worst": Severity(worst).label if worst else "ok",
        "escalation": ESCALATION[Severity(worst)] if worst else "no anti-patterns found",
        "counts": counts,
        "rules": sorted({f["rule"] for f in own}),
        "error_share": traffic["errors"] / traffic["calls"] if traffic["calls"] else 0.0,
    }


def _rule(rule: dict[str, Any], findings: list[dict[str, Any]]) -> dict[str, Any]:
    own = [f for f in findings if f["rule"] == rule["id"]]
    return {**rule, "findings": own, "clients": sorted({f["client_id"] for f in own})}


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
    }

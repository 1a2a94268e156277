"""Shape the report's plain dict for reading: findings grouped by client and by rule, a verdict,
each client's place on the provider's escalation ladder, and what the gate made of suppressions
and the baseline. Templates only loop over what this builds."""

from __future__ import annotations

from typing import Any

from analyzer.severity import LADDER, Severity

_RANK = {level.label: int(level) for level in Severity}
LAST_STEP = len(LADDER) - 1


def build(report: dict[str, Any]) -> dict[str, Any]:
    findings = report["findings"]
    rules = [_rule(rule, findings) for rule in report["rules"]]
    clients = sorted((_client(c, findings) for c in report["clients"]),
                     key=lambda c: (-c["step"], -c["rank"], -c["errors"], c["client_id"]))
    return {
        "report": report,
        "summary": report["summary"],
        "verdict": _verdict(report, clients),
        "clients": clients,
        "flagged_clients": [c for c in clients if c["findings"] or c["suppressed"]],
        "rules": rules,
        "rules_by_id": {rule["id"]: rule for rule in rules},
        "suppressions": _suppressions(report["suppressions"]),
        "baseline": report["baseline"],
        "last_step": LAST_STEP,
        "files": report["inputs"]["files"],
        "ignored_files": report["inputs"]["ignored_files"],
    }


def _client(traffic: dict[str, Any], findings: list[dict[str, Any]]) -> dict[str, Any]:
    mine = [f for f in findings if f["client_id"] == traffic["client_id"]]
    active = [f for f in mine if f["suppressed"] is None]
    worst = max((_RANK[f["severity"]] for f in active), default=0)
    counts = {level.label: sum(f["severity"] == level.label for f in active)
              for level in sorted(Severity, reverse=True)}
    escalation = traffic["escalation"]
    return {
        **traffic,
        "findings": active,
        "suppressed": [f for f in mine if f["suppressed"] is not None],
        "rank": worst,
        "worst": Severity(worst).label if worst else "ok",
        "step": escalation["step"],
        "likely": escalation["text"] if escalation["step"] else "nothing",
        "ladder": _step_text(escalation),
        "counts": counts,
        "rules": sorted({f["rule"] for f in active}),
        "error_share": _share(traffic["errors"], traffic["calls"]),
        "avoidable_share": _share(traffic["avoidable_calls"], traffic["calls"]),
    }


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def _step_text(escalation: dict[str, Any]) -> str:
    if not escalation["step"]:
        return "no anti-patterns the provider would act on"
    return f"step {escalation['step']} of {LAST_STEP}, {escalation['name']}: {escalation['text']}"


def _rule(rule: dict[str, Any], findings: list[dict[str, Any]]) -> dict[str, Any]:
    own = [f for f in findings if f["rule"] == rule["id"]]
    return {**rule, "findings": own, "clients": sorted({f["client_id"] for f in own})}


def _suppressions(entries: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    by_state: dict[str, list[dict[str, Any]]] = {
        "active": [], "expired": [], "unused": [], "rule-not-run": []}
    for entry in entries:
        by_state[entry["state"]].append(entry)
    return by_state


def _verdict(report: dict[str, Any], clients: list[dict[str, Any]]) -> dict[str, Any]:
    summary = report["summary"]
    flagged = [c for c in clients if c["step"]]
    if not flagged and any(c["findings"] or c["suppressed"] for c in clients):
        headline = ("Only hygiene findings: nothing here would draw the provider's attention, "
                    "but the findings below are worth fixing.")
    elif not flagged:
        headline = "No anti-patterns found: nothing here would draw the provider's attention."
    else:
        worst = max(flagged, key=lambda c: c["step"])["ladder"]
        headline = (f"{len(flagged)} of {len(clients)} client{'s' if len(clients) != 1 else ''} "
                    f"show anti-patterns the provider would act on; the worst resembles "
                    f"{worst}.")
    return {
        "headline": headline,
        "failed": summary["failed"],
        "status": "fail" if summary["failed"] else "pass",
        "fail_on": summary["fail_on"],
        "gate": _gate_text(summary),
    }


def _gate_text(summary: dict[str, Any]) -> str:
    """Which findings the pass/fail verdict rests on, in words."""
    if summary["fail_on"] == "never":
        return "no gate: fail_on is never"
    gating = summary["gating"]
    what = f"{gating} finding{'s' if gating != 1 else ''} at or above {summary['fail_on']}"
    if summary["baseline"] is not None:
        what += f" that {'is' if gating == 1 else 'are'} new or worse than the baseline"
    if summary["suppressed"]:
        what += f" ({summary['suppressed']} suppressed not counted)"
    return what

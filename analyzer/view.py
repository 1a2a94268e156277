"""Shape the report's plain dict for reading: findings grouped by client and by rule, a verdict,
each client's place on the provider's escalation ladder with its daily rates (both from the
model), what the gate made of suppressions and the baseline, chart geometry, and tables capped
so that a report's size does not grow with the log. Templates only loop over what this builds."""

from __future__ import annotations

from typing import Any

from analyzer import charts
from analyzer.durations import format_duration
from analyzer.model import NO_VALUE
from analyzer.severity import DAY, Severity
from analyzer.severity import LADDER as STEPS

_RANK = {level.label: int(level) for level in Severity}
# The rungs of the provider's escalation ladder, as the report draws them (severity.py has the
# ladder with the names of its steps).
LADDER = tuple(text for _, text in STEPS[1:])

# Rows shown before "N more of M": the full lists are in the JSON and SARIF reports.
MAX_CLIENT_ROWS = 200
MAX_CLIENT_CARDS = 50
MAX_CARD_FINDINGS = 10
MAX_RULE_ROWS = 100
MAX_FILE_ROWS = 100
MAX_VALUE_CHARS = 200


def build(report: dict[str, Any]) -> dict[str, Any]:
    findings = report["findings"]
    rules = [_rule(rule, findings) for rule in report["rules"]]
    by_client = group(findings, "client_id")
    clients = sorted((_client(c, by_client.get(c["client_id"], [])) for c in report["clients"]),
                     key=lambda c: (-c["step"], -c["rank"], -c["errors"], c["client_id"]))
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
        "suppressions": _suppressions(report["suppressions"]),
        "baseline": report["baseline"],
        "files": report["inputs"]["files"],
        "file_rows": _capped(report["inputs"]["files"], MAX_FILE_ROWS),
        "ignored_files": report["inputs"]["ignored_files"],
        "rates": _rates_note(report["summary"]["observed_seconds"]),
        "charts": _charts(report.get("traffic"), rules),
        "settings": [(name, setting_text(value)) for name, value in report["settings"].items()],
        "ladder": LADDER,
        "has_status": any(status(f) for f in findings),
    }


def setting_text(value: Any) -> str:
    """A run setting as a reader writes it: lists joined, mappings as `key: value`."""
    if value is None:
        return "(default)"
    if isinstance(value, dict):
        return ", ".join(f"{name}: {setting_text(inner)}" for name, inner in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(setting_text(item) for item in value) if value else NO_VALUE
    return str(value)


def _capped(items: list[Any], limit: int) -> dict[str, Any]:
    return {"shown": items[:limit], "hidden": max(len(items) - limit, 0), "total": len(items)}


def _rates_note(observed: float) -> str:
    if observed >= DAY:
        return f"per day over {format_duration(observed)} of traffic"
    return f"per day, projected from {format_duration(observed)} of traffic"


def group(findings: list[dict[str, Any]], field: str) -> dict[str, list[dict[str, Any]]]:
    """Findings by the value of one field, each list in report order."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for finding in findings:
        grouped.setdefault(finding[field], []).append(finding)
    return grouped


def _client(traffic: dict[str, Any], own: list[dict[str, Any]]) -> dict[str, Any]:
    """A client with its findings. Its badge is its worst finding that counts (not suppressed),
    `suppressed` when all its findings are, `ok` when it has none; its ladder step is the
    model's, which counts suppressed findings too: a suppression changes the gate, not what
    the provider sees."""
    active = [f for f in own if not f["suppressed"]]
    worst = max((_RANK[f["severity"]] for f in active), default=0)
    badge = Severity(worst).label if worst else ("suppressed" if own else "ok")
    counts = {level.label: sum(f["severity"] == level.label for f in active)
              for level in sorted(Severity, reverse=True)}
    return {
        **traffic,
        "findings": own,
        "suppressed": [f for f in own if f["suppressed"]],
        "card_findings": _capped(own, MAX_CARD_FINDINGS),
        "rank": worst,
        "worst": badge,
        **_step(traffic["escalation"]),
        "counts": counts,
        "rules": sorted({f["rule"] for f in own}),
        "error_share": _share(traffic["errors"], traffic["calls"]),
        "flagged_calls": traffic["avoidable_calls"],
        "flagged_per_day": traffic["avoidable_per_day"],
        "avoidable_share": _share(traffic["avoidable_calls"], traffic["calls"]),
    }


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def _step(escalation: dict[str, Any]) -> dict[str, Any]:
    """Where on the provider's escalation ladder a client's traffic stands (0: below it)."""
    step = escalation["step"]
    if step == 0:
        return {"step": 0, "step_text": "none: hygiene, no provider action expected",
                "next_steps": []}
    return {"step": step, "step_text": f"step {step} of {len(LADDER)}: {LADDER[step - 1]}",
            "next_steps": list(LADDER[step:])}


def _rule(rule: dict[str, Any], findings: list[dict[str, Any]]) -> dict[str, Any]:
    own = [f for f in findings if f["rule"] == rule["id"]]
    return {**rule, "findings": own, "rows": _capped([row(f) for f in own], MAX_RULE_ROWS),
            "clients": sorted({f["client_id"] for f in own})}


def shown(value: Any) -> Any:
    """A key value as every output shows it: NO_VALUE when the calls had none."""
    return NO_VALUE if value is None else value


def key_text(key: dict[str, Any], separator: str = " ", safe=str) -> str:
    """A finding's key as `field=value` pairs; `safe` makes each value fit the output."""
    return separator.join(f"{name}={safe(shown(value))}" for name, value in key.items())


def row(finding: dict[str, Any]) -> dict[str, Any]:
    """A finding as one table row: long log values clipped so that one huge value cannot
    blow up the report (the JSON report keeps them whole)."""
    key = [(name, clip(shown(value))) for name, value in finding["key"].items()]
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


def gate_note(finding: dict[str, Any], fail_on: str) -> str:
    """Why a finding does or does not fail the run, in words."""
    entry = finding.get("suppressed")
    if entry:
        owner = f" by {entry['owner']}" if entry["owner"] else ""
        return f"Suppressed until {entry['expires']}{owner}: {entry['reason']}"
    if finding.get("baseline") == "unchanged":
        return "Unchanged since the baseline"
    if not finding["gating"]:
        return f"Below --fail-on {fail_on}" if fail_on != "never" else "No gate: fail_on is never"
    return "New since the baseline" if finding.get("baseline") == "new" else (
        "Worse than the baseline" if finding.get("baseline") == "worsened" else
        f"At or above --fail-on {fail_on}")


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


def _suppressions(entries: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    by_state: dict[str, list[dict[str, Any]]] = {
        "active": [], "expired": [], "unused": [], "rule-not-run": []}
    for entry in entries:
        by_state[entry["state"]].append(entry)
    return by_state


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
    acted_on = [c for c in clients if c["step"]]
    if not acted_on and any(c["findings"] for c in clients):
        headline = ("Only hygiene findings: nothing here would draw the provider's attention, "
                    "but the findings below are worth fixing.")
    elif not acted_on:
        headline = "No anti-patterns found: nothing here would draw the provider's attention."
    else:
        worst = max(acted_on, key=lambda c: c["step"])
        headline = (f"{len(acted_on)} of {len(clients)} client"
                    f"{'s' if len(clients) != 1 else ''} show anti-patterns the provider would "
                    f"act on; the worst resembles {worst['step_text']}.")
    return {
        "headline": headline,
        "failed": summary["failed"],
        "status": "fail" if summary["failed"] else "pass",
        "fail_on": summary["fail_on"],
        "gate": _gate_text(summary),
        "clients": _capped([c for c in clients if c["findings"]], MAX_CLIENT_CARDS),
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

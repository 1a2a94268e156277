"""The provider's-eye summary of each client: calls and errors per day, how many of them were
avoidable (part of a finding), and the step of the provider's escalation ladder the traffic
resembles. The ladder is the provider's (status page): a query to your technical team, then a
call from its technical staff, then temporary restrictions, then withdrawal of access. Which
step traffic resembles is ours: warnings draw a query, critical (continuous) traffic a call,
and critical traffic that ran on for `restriction_after` or `withdrawal_after` the later steps.
Suppressed findings count: a suppression changes the gate, not what the provider sees.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import polars as pl

from analyzer.loading import failed_call
from analyzer.model import ClientOutlook, ClientTraffic, Finding
from analyzer.severity import DAY, LADDER, Escalation, Severity


def finding_step(finding: Finding, escalation: Escalation) -> int:
    if finding.severity < Severity.WARNING:
        return 0
    if finding.severity == Severity.WARNING:
        return 1
    sustained = dict(finding.metrics).get("sustained") or 0.0
    if sustained >= escalation.withdrawal_after:
        return 4
    return 3 if sustained >= escalation.restriction_after else 2


def outlook(avoidable: Mapping[str, tuple[int, int]], findings: Iterable[Finding],
            traffic: Iterable[ClientTraffic], observed: float,
            escalation: Escalation) -> tuple[ClientOutlook, ...]:
    """Each client's outlook; `avoidable` is client -> (calls, errors) that are part of some
    finding (`avoidable_calls`)."""
    steps: dict[str, dict[int, set[str]]] = {}
    for finding in findings:
        step = finding_step(finding, escalation)
        steps.setdefault(finding.client_id, {}).setdefault(step, set()).add(finding.rule)
    # Per-day figures from a run shorter than a day are projections; never from under a minute.
    days = max(observed, 60.0) / DAY
    result = []
    for client in traffic:
        calls, errors = avoidable.get(client.client_id, (0, 0))
        by_step = steps.get(client.client_id, {})
        step = max(by_step, default=0)
        name, text = LADDER[step]
        result.append(ClientOutlook(
            client_id=client.client_id, calls_per_day=client.calls / days,
            errors_per_day=client.errors / days, avoidable_calls=calls,
            avoidable_per_day=calls / days, avoidable_errors=errors,
            projected=observed < DAY, step=step, step_name=name, step_text=text,
            driven_by=tuple(sorted(by_step.get(step, ()))) if step else (),
        ))
    return tuple(result)


def avoidable_calls(frame: pl.DataFrame, offending: pl.Series) -> dict[str, tuple[int, int]]:
    """client -> (calls, errors) that are part of some finding, each call counted once;
    `offending` are those calls' positions in `frame` (`engine.Detected`)."""
    rows = frame.select("client_id", failed_call().alias("_failed"))[offending]
    per_client = rows.group_by("client_id").agg(pl.len().alias("calls"),
                                                pl.col("_failed").sum().alias("errors"))
    return {client: (calls, errors) for client, calls, errors in per_client.iter_rows()}

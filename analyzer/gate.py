"""The gate: which findings fail the run. A finding fails it when it is at or above `fail_on`,
not suppressed, and (when the run has a baseline) new or worsened. Everything else is still
reported, marked suppressed or unchanged, so nothing the traffic shows is hidden."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from analyzer import baseline as baselines
from analyzer import suppressions
from analyzer.config import Config
from analyzer.model import BaselineComparison, BaselineEntry, Finding, SuppressionStatus
from analyzer.severity import Severity, fail_threshold


@dataclass(frozen=True)
class Gated:
    findings: list[Finding]
    suppressions: tuple[SuppressionStatus, ...]
    baseline: BaselineComparison | None
    failed: bool


@dataclass(frozen=True)
class Baseline:
    file: str
    entries: tuple[BaselineEntry, ...]


def decide(findings: list[Finding], config: Config, now: datetime, rules_run: set[str],
           baseline: Baseline | None) -> Gated:
    findings, statuses = suppressions.apply(findings, config.suppressions, now, rules_run)
    comparison = None
    if baseline is not None:
        findings, comparison = baselines.compare(findings, baseline.entries,
                                                 config.baseline_tolerance, rules_run,
                                                 baseline.file)
    threshold = fail_threshold(config.fail_on)
    marked = [replace(f, gating=_gates(f, threshold)) for f in findings]
    return Gated(marked, statuses, comparison, any(f.gating for f in marked))


def _gates(finding: Finding, threshold: Severity | None) -> bool:
    return (threshold is not None and finding.severity >= threshold
            and finding.suppressed is None and finding.baseline in (None, "new", "worsened"))

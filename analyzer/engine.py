"""Run bound rules over the loaded rows and turn each detector's offending rows into findings:
one per rule, client and key, with measurements, severity and capped evidence."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

import polars as pl

from analyzer.conditions import DURATION
from analyzer.detectors import COMMON_METRICS, KINDS, TS, sustained_seconds
from analyzer.durations import format_duration
from analyzer.model import Evidence, Finding
from analyzer.progress import SILENT, Progress
from analyzer.rules import BoundRule, Detector
from analyzer.schema import SOURCE_FILE, SOURCE_LINE
from analyzer.severity import Severity

NO_VALUE = "(none)"


def run(frame: pl.DataFrame, rules: Iterable[BoundRule], max_evidence: int,
        progress: Progress = SILENT) -> list[Finding]:
    detectors = [(bound, detector) for bound in rules for detector in bound.detectors]
    progress.stage("running rules", len(detectors))
    findings = []
    for bound, detector in detectors:
        findings.extend(_detect(frame, bound, detector, max_evidence))
        progress.advance()
    return sorted(findings, key=Finding.sort_key)


def _detect(frame: pl.DataFrame, bound: BoundRule, detector: Detector,
            max_evidence: int) -> list[Finding]:
    kind = KINDS[detector.kind]
    rows = frame.lazy()
    if detector.where is not None:
        rows = rows.filter(detector.where)
    offending = kind.run(rows, list(detector.keys), detector.options)
    groups = _summarise(offending, detector, list(kind.metrics), max_evidence).collect()
    return [_finding(bound, detector, row) for row in groups.iter_rows(named=True)]


def _summarise(offending: pl.LazyFrame, detector: Detector, metrics: list[str],
               max_evidence: int) -> pl.LazyFrame:
    evidence = pl.struct(SOURCE_FILE, SOURCE_LINE, TS).sort_by(TS, SOURCE_FILE, SOURCE_LINE)
    grouped = offending.group_by(list(detector.keys)).agg(
        pl.len().alias("calls"),
        pl.col(TS).min().alias("_first"),
        pl.col(TS).max().alias("_last"),
        *[pl.col(name).first() for name in metrics],
        evidence.head(max_evidence).alias("_evidence"),
        sustained_seconds().alias("sustained"),
    ).with_columns(span=(pl.col("_last") - pl.col("_first")).dt.total_milliseconds() / 1000.0)
    critical = detector.critical_if if detector.critical_if is not None else pl.lit(False)
    return grouped.with_columns(critical.alias("_critical"))


def _finding(bound: BoundRule, detector: Detector, row: Mapping[str, Any]) -> Finding:
    kind = KINDS[detector.kind]
    metric_kinds = {name: k for name, (k, _) in {**kind.metrics, **COMMON_METRICS}.items()}
    metrics = {name: row[name] for name in metric_kinds}
    key = tuple((name, row[name]) for name in detector.keys if name != "client_id")
    words = {name: _metric_text(metric_kinds[name], value) for name, value in metrics.items()}
    words.update({name: (value if value is not None else NO_VALUE) for name, value in key})
    words.update({name: bound.param_text(name) for name in bound.params})
    words["client_id"] = row["client_id"]
    severity = bound.severity
    if row["_critical"] and not bound.pinned:
        severity = max(severity, Severity.CRITICAL)
    value = metrics.get(detector.value_metric)
    return Finding(
        rule=bound.rule.id, name=bound.rule.name, check=detector.name, severity=severity,
        client_id=row["client_id"], key=key, count=row["calls"],
        first_seen=row["_first"], last_seen=row["_last"],
        message=" ".join(detector.message.format_map(words).split()),
        value=value, value_text=_metric_text(metric_kinds[detector.value_metric], value),
        limit_text=detector.limit_text,
        metrics=tuple(sorted(metrics.items())),
        evidence=tuple(Evidence(e[SOURCE_FILE], e[SOURCE_LINE], e[TS]) for e in row["_evidence"]),
        evidence_total=row["calls"],
        fingerprint=fingerprint(bound.rule.id, row["client_id"], key),
    )


def _metric_text(kind: str, value: float | int | None) -> str:
    if value is None:
        return "-"
    if kind == DURATION:
        return format_duration(value)
    return f"{value:,}" if isinstance(value, int) else f"{value:,.2f}"


def fingerprint(rule: str, client_id: str, key: tuple[tuple[str, str | None], ...]) -> str:
    """A stable id of a finding: the same rule, client and key give the same id in every run."""
    text = json.dumps([rule, client_id, [list(pair) for pair in key]], separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]

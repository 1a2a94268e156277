"""Run bound rules over the loaded rows and turn each detector's offending rows into findings:
one per rule, client and key, with measurements, severity and capped evidence."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl

from analyzer.conditions import DURATION, RATIO
from analyzer.detectors import COMMON_METRICS, IN_MEMORY, KINDS, TS, sustained_seconds
from analyzer.durations import format_duration
from analyzer.model import NO_VALUE, Evidence, Finding
from analyzer.progress import SILENT, Progress
from analyzer.rules import BoundRule, Detector
from analyzer.schema import SOURCE_FILE, SOURCE_LINE
from analyzer.severity import Severity

ROW = "_row"  # a row's position in the frame `run` was given
GROUP = "_group"  # an integer standing for a detector's key


@dataclass(frozen=True)
class Detected:
    findings: list[Finding]
    offending: pl.Series  # the ROW of every call that is part of a finding, once each


def run(frame: pl.DataFrame, rules: Iterable[BoundRule], max_evidence: int,
        progress: Progress = SILENT, observed: float | None = None) -> Detected:
    """Every detector of the rules over `frame`. `observed` is how long the whole run's
    traffic spans, when `frame` is a part of it (whole clients); by default, its own span."""
    detectors = [(bound, detector) for bound in rules for detector in bound.detectors]
    progress.stage("running rules", len(detectors))
    if observed is None:
        observed = observed_seconds(frame)
    frame = with_file_order(frame).with_row_index(ROW)
    findings: list[Finding] = []
    rows = []
    for bound, detector in detectors:
        found, offending = _detect(frame, bound, detector, max_evidence, observed)
        findings.extend(found)
        rows.append(offending)
        progress.advance()
    offending = pl.concat(rows).unique().sort() if rows else pl.Series(ROW, [], pl.UInt32)
    return Detected(sorted(findings, key=Finding.sort_key), offending)


def observed_seconds(frame: pl.DataFrame) -> float:
    """How long the run's traffic spans, first call to last."""
    span = frame.select((pl.col(TS).max() - pl.col(TS).min()).dt.total_milliseconds()).item()
    return (span or 0) / 1000.0


def with_file_order(frame: pl.DataFrame) -> pl.DataFrame:
    """source_file as an Enum of the file names in order: detectors sort rows by time, file
    and line, and sort numbers much faster than text."""
    if frame.schema[SOURCE_FILE] != pl.String:
        return frame
    files = sorted(frame[SOURCE_FILE].unique().drop_nulls().to_list())
    return frame.with_columns(pl.col(SOURCE_FILE).cast(pl.Enum(files)))


def fields_read(detector: Detector) -> list[str]:
    """The columns a detector reads: its key, the fields its conditions and options name."""
    names = dict.fromkeys(detector.keys)
    if detector.where is not None:
        names.update(dict.fromkeys(detector.where.meta.root_names()))
    for value in detector.options.values():
        if isinstance(value, pl.Expr):
            names.update(dict.fromkeys(value.meta.root_names()))
    for option in ("state", "within_field"):
        if detector.options.get(option) is not None:
            names[detector.options[option]] = None
    return list(names)


def group_ids(rows: pl.DataFrame, keys: list[str]) -> tuple[pl.DataFrame, list[str]]:
    """The rows with GROUP, one integer per key, and [GROUP]: detectors sort and group by one
    number several times faster than by the text of keys. The integer is a hash of the key,
    used only when no two of these keys share one; else the key fields are kept."""
    key = pl.struct(keys)
    hashes = rows.select(key.hash().alias(GROUP))
    if hashes[GROUP].n_unique() != rows.select(key.n_unique()).item():
        return rows, keys
    return rows.with_columns(hashes[GROUP]), [GROUP]


def _detect(frame: pl.DataFrame, bound: BoundRule, detector: Detector, max_evidence: int,
            observed: float) -> tuple[list[Finding], pl.Series]:
    kind = KINDS[detector.kind]
    # Only the columns the detector reads, and the rows it looks at, are materialised.
    columns = dict.fromkeys([*fields_read(detector), TS, "client_id", SOURCE_FILE, SOURCE_LINE,
                             ROW])
    rows = frame.lazy()
    if detector.where is not None:
        rows = rows.filter(detector.where)
    rows, keys = group_ids(rows.select(list(columns)).collect(engine=IN_MEMORY),
                           list(detector.keys))
    options = {**detector.options, "observed": observed}
    needed = dict.fromkeys([*detector.keys, "client_id", SOURCE_FILE, SOURCE_LINE, TS, ROW,
                            *kind.metrics])
    offending = kind.run(rows.lazy(), keys, options).select(list(needed)).collect(engine=IN_MEMORY)
    groups = _summarise(offending.lazy(), detector, list(kind.metrics),
                        max_evidence).collect(engine=IN_MEMORY)
    if detector.only_if is not None:
        groups = groups.filter(detector.only_if)
        offending = offending.join(groups.select(detector.keys), on=list(detector.keys),
                                   how="semi", nulls_equal=True)
    findings = [_finding(bound, detector, row) for row in groups.iter_rows(named=True)]
    return findings, offending[ROW]


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
    metrics = {name: _settled(metric_kinds[name], row[name]) for name in metric_kinds}
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


def _settled(kind: str, value: float | int | None) -> float | int | None:
    """A duration to the microsecond. Polars may divide milliseconds by 1000 as a product with
    0.001 or as a quotient depending on how a query runs (over a whole log, or a part of its
    clients), and the two differ in the last bit; rounded, the report is the same either way."""
    return round(value, 6) if kind == DURATION and value is not None else value


def _metric_text(kind: str, value: float | int | None) -> str:
    if value is None:
        return "-"
    if kind == DURATION:
        return format_duration(value)
    if kind == RATIO:
        return f"{value * 100:.0f}%"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def fingerprint(rule: str, client_id: str, key: tuple[tuple[str, str | None], ...]) -> str:
    """A stable id of a finding: the same rule, client and key give the same id in every run.
    The key's fields are taken in name order, so neither the order a rule lists them in nor a
    baseline file re-saved with sorted keys changes it."""
    pairs = sorted([name, value] for name, value in key)
    text = json.dumps([rule, client_id, pairs], separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]

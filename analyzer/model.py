"""The one result model every output format is rendered from.

Frozen dataclasses with a `to_dict()` that gives plain, JSON-ready, deterministically ordered
data. Renderers never see Polars objects; templates never see these classes, only the dicts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from analyzer.severity import Severity

SCHEMA_VERSION = 1
# How a key field the calls had no value in is shown, in every output.
NO_VALUE = "(none)"


def iso(moment: datetime | None) -> str | None:
    """UTC timestamps in one fixed form: 2026-11-23T09:00:00.000Z."""
    if moment is None:
        return None
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass(frozen=True)
class RejectExample:
    line: int
    reason: str
    value: str

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "reason": self.reason, "value": self.value}


@dataclass(frozen=True)
class RejectedLine:
    """One line that could not be analysed, for `--rejects`: log content, so untrusted."""

    file: str
    line: int
    reason: str
    value: str

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "reason": self.reason, "value": self.value}


@dataclass(frozen=True)
class FileStats:
    """What happened to every line of one input file."""

    file: str
    format: str
    lines: int
    rows: int
    rejected: tuple[tuple[str, int], ...] = ()
    skipped: tuple[tuple[str, int], ...] = ()
    examples: tuple[RejectExample, ...] = ()
    columns: tuple[tuple[str, str], ...] = ()  # canonical field -> where its values come from
    profile: str = ""  # the mapping profile that read the file

    @property
    def rejected_total(self) -> int:
        return sum(n for _, n in self.rejected)

    @property
    def skipped_total(self) -> int:
        return sum(n for _, n in self.skipped)

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "format": self.format,
            "lines": self.lines,
            "rows": self.rows,
            "rejected": dict(self.rejected),
            "skipped": dict(self.skipped),
            "reject_examples": [e.to_dict() for e in self.examples],
            "columns": dict(self.columns),
            "profile": self.profile,
        }


@dataclass(frozen=True)
class Evidence:
    file: str
    line: int
    timestamp: datetime

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "timestamp": iso(self.timestamp)}


@dataclass(frozen=True)
class SuppressionEntry:
    """One entry of the config's `suppressions:` list: findings a team accepts for now."""

    rule: str
    client_id: str
    key: tuple[tuple[str, str], ...]  # fields the finding's key must have, with these values
    reason: str
    expires: date  # suppresses through this day (UTC)
    owner: str | None
    where: str  # the file and entry it came from, for messages

    def note(self) -> dict[str, Any]:
        """What a suppressed finding says about why it does not fail the run."""
        return {"reason": self.reason, "expires": self.expires.isoformat(), "owner": self.owner}

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "client_id": self.client_id, "key": dict(self.key),
                **self.note(), "where": self.where}


@dataclass(frozen=True)
class Finding:
    """One offending client and key under one rule."""

    rule: str
    name: str
    check: str
    severity: Severity
    client_id: str
    key: tuple[tuple[str, str | None], ...]
    count: int
    first_seen: datetime
    last_seen: datetime
    message: str
    value: float | None
    value_text: str
    limit_text: str
    metrics: tuple[tuple[str, float | int | None], ...]
    evidence: tuple[Evidence, ...]
    evidence_total: int
    fingerprint: str
    suppressed: SuppressionEntry | None = None
    baseline: str | None = None  # new | worsened | unchanged, when the run has a baseline
    gating: bool = False  # one of the findings that fail the run

    def sort_key(self) -> tuple:
        return (-self.severity, self.rule, self.client_id,
                tuple((k, v or "") for k, v in self.key), self.check)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "name": self.name,
            "check": self.check,
            "severity": self.severity.label,
            "client_id": self.client_id,
            "key": dict(self.key),
            "count": self.count,
            "first_seen": iso(self.first_seen),
            "last_seen": iso(self.last_seen),
            "message": self.message,
            "measured": {"value": self.value, "text": self.value_text, "limit": self.limit_text},
            "metrics": dict(self.metrics),
            "evidence": [e.to_dict() for e in self.evidence],
            "evidence_total": self.evidence_total,
            "fingerprint": self.fingerprint,
            "suppressed": self.suppressed.note() if self.suppressed else None,
            "baseline": self.baseline,
            "gating": self.gating,
        }


@dataclass(frozen=True)
class RuleInfo:
    """What a reader of a report needs to know about a rule that ran."""

    id: str
    name: str
    title: str
    severity: Severity
    summary: str
    rationale: str
    example: str
    fix: str
    references: tuple[str, ...]
    params: tuple[tuple[str, str], ...]  # name -> value as displayed

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "name": self.name, "title": self.title,
            "severity": self.severity.label, "summary": self.summary,
            "rationale": self.rationale, "example": self.example, "fix": self.fix,
            "references": list(self.references), "params": dict(self.params),
        }


@dataclass(frozen=True)
class ClientTraffic:
    client_id: str
    calls: int
    errors: int
    first_seen: datetime
    last_seen: datetime

    def to_dict(self) -> dict[str, Any]:
        return {"client_id": self.client_id, "calls": self.calls, "errors": self.errors,
                "first_seen": iso(self.first_seen), "last_seen": iso(self.last_seen)}


@dataclass(frozen=True)
class ClientOutlook:
    """A client's traffic as the provider sees it: volume and errors per day, how much of it
    was avoidable, and the step of the provider's escalation ladder it resembles."""

    client_id: str
    calls_per_day: float
    errors_per_day: float
    avoidable_calls: int  # calls that are part of a finding
    avoidable_per_day: float
    avoidable_errors: int
    projected: bool  # per-day figures scaled up from a run shorter than a day
    step: int  # 0 none, 1 query, 2 contact, 3 temporary restriction, 4 withdrawal
    step_name: str
    step_text: str
    driven_by: tuple[str, ...]  # rules whose findings set the step

    def to_dict(self) -> dict[str, Any]:
        return {
            "calls_per_day": round(self.calls_per_day, 1),
            "errors_per_day": round(self.errors_per_day, 1),
            "avoidable_calls": self.avoidable_calls,
            "avoidable_per_day": round(self.avoidable_per_day, 1),
            "avoidable_errors": self.avoidable_errors,
            "projected": self.projected,
            "escalation": {"step": self.step, "name": self.step_name, "text": self.step_text,
                           "rules": list(self.driven_by)},
        }


@dataclass(frozen=True)
class SuppressionStatus:
    """What became of one suppression entry in this run."""

    entry: SuppressionEntry
    state: str  # active | unused | expired | rule-not-run
    findings: int  # findings it matched (an expired entry matches without suppressing)

    def to_dict(self) -> dict[str, Any]:
        return {**self.entry.to_dict(), "state": self.state, "findings": self.findings}


@dataclass(frozen=True)
class BaselineEntry:
    """A finding as a baseline file records it."""

    fingerprint: str
    rule: str
    client_id: str
    key: tuple[tuple[str, str | None], ...]
    severity: Severity
    count: int

    def to_dict(self) -> dict[str, Any]:
        return {"fingerprint": self.fingerprint, "rule": self.rule, "client_id": self.client_id,
                "key": dict(self.key), "severity": self.severity.label, "count": self.count}


@dataclass(frozen=True)
class BaselineComparison:
    """This run's findings against a baseline: what is new, worse, unchanged, and fixed."""

    file: str
    recorded: int
    new: int
    worsened: int
    unchanged: int
    fixed: tuple[BaselineEntry, ...]

    def counts(self) -> dict[str, Any]:
        return {"file": self.file, "recorded": self.recorded, "new": self.new,
                "worsened": self.worsened, "unchanged": self.unchanged, "fixed": len(self.fixed)}

    def to_dict(self) -> dict[str, Any]:
        return {**self.counts(), "fixed": [entry.to_dict() for entry in self.fixed]}


@dataclass(frozen=True)
class Inputs:
    files: tuple[FileStats, ...]
    ignored: tuple[str, ...]  # files in a directory that are not logs
    first_seen: datetime | None
    last_seen: datetime | None
    clients: tuple[ClientTraffic, ...]

    @property
    def lines(self) -> int:
        return sum(f.lines for f in self.files)

    @property
    def rows(self) -> int:
        return sum(f.rows for f in self.files)

    def totals(self, attribute: str) -> dict[str, int]:
        counts: dict[str, int] = {}
        for stats in self.files:
            for reason, n in getattr(stats, attribute):
                counts[reason] = counts.get(reason, 0) + n
        return dict(sorted(counts.items()))


@dataclass(frozen=True)
class Series:
    """One stack of a chart: a name (an operation, a client) and a count per bar."""

    name: str
    values: tuple[int, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "values": list(self.values)}


@dataclass(frozen=True)
class GapHistogram:
    """Gaps between consecutive calls of one key, as a cadence detector measures them."""

    rule: str
    check: str
    keys: tuple[str, ...]
    limit: float  # seconds: gaps below it are short
    edges: tuple[float, ...]  # bin i holds [edges[i-1], edges[i]); the last bin is open
    series: tuple[Series, ...]

    def to_dict(self) -> dict[str, Any]:
        lows = (0.0, *self.edges)
        highs = (*self.edges, None)
        return {
            "rule": self.rule, "check": self.check, "keys": list(self.keys),
            "limit": self.limit,
            "bins": [{"from": lo, "to": hi} for lo, hi in zip(lows, highs, strict=True)],
            "series": [s.to_dict() for s in self.series],
        }


@dataclass(frozen=True)
class MaintenanceWindow:
    """An announced maintenance window (the provider may be unavailable during it)."""

    start: datetime
    end: datetime
    name: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"start": iso(self.start), "end": iso(self.end), "name": self.name}


@dataclass(frozen=True)
class Traffic:
    """The small, bounded profile of the traffic the report's charts draw."""

    start: datetime  # start of the first bucket
    bucket_seconds: int
    buckets: int
    calls_by_operation: tuple[Series, ...]
    errors_by_client: tuple[Series, ...]
    gaps: tuple[GapHistogram, ...]
    maintenance: tuple[MaintenanceWindow, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": iso(self.start), "bucket_seconds": self.bucket_seconds,
            "buckets": self.buckets,
            "calls_by_operation": [s.to_dict() for s in self.calls_by_operation],
            "errors_by_client": [s.to_dict() for s in self.errors_by_client],
            "gaps": [g.to_dict() for g in self.gaps],
            "maintenance": [w.to_dict() for w in self.maintenance],
        }


@dataclass(frozen=True)
class Report:
    versions: tuple[tuple[str, str], ...]  # trafficlint first
    generated_at: datetime
    fail_on: str
    inputs: Inputs
    rules: tuple[RuleInfo, ...]
    findings: tuple[Finding, ...]
    failed: bool
    settings: tuple[tuple[str, Any], ...] = field(default=())
    outlook: tuple[ClientOutlook, ...] = ()
    suppressions: tuple[SuppressionStatus, ...] = ()
    baseline: BaselineComparison | None = None
    observed: float = 0.0  # seconds from the first call to the last
    traffic: Traffic | None = None
    notices: tuple[str, ...] = ()  # what to know before trusting the result (notices.py)
    # Every rejected line, for --rejects; not part of the JSON report, which has examples.
    rejects: tuple[RejectedLine, ...] = field(default=(), compare=False)

    def severity_counts(self) -> dict[str, int]:
        """Findings by severity, suppressed ones left out (they are counted on their own)."""
        counts = {level.label: 0 for level in sorted(Severity, reverse=True)}
        for finding in self.findings:
            if finding.suppressed is None:
                counts[finding.severity.label] += 1
        return counts

    def suppression_counts(self) -> dict[str, int]:
        counts = {"active": 0, "unused": 0, "expired": 0, "rule-not-run": 0}
        for entry in self.suppressions:
            counts[entry.state] += 1
        return counts

    def _client_dicts(self) -> list[dict[str, Any]]:
        outlook = {o.client_id: o.to_dict() for o in self.outlook}
        return [{**c.to_dict(), **outlook.get(c.client_id, {})} for c in self.inputs.clients]

    def to_dict(self) -> dict[str, Any]:
        rejected = self.inputs.totals("rejected")
        skipped = self.inputs.totals("skipped")
        return {
            "schema_version": SCHEMA_VERSION,
            "tool": {"name": "trafficlint", "version": dict(self.versions)["trafficlint"],
                     "versions": dict(self.versions)},
            "generated_at": iso(self.generated_at),
            "summary": {
                "files": len(self.inputs.files),
                "lines_read": self.inputs.lines,
                "rows_analysed": self.inputs.rows,
                "rows_rejected": sum(rejected.values()),
                "rejected_by_reason": rejected,
                "lines_skipped": sum(skipped.values()),
                "skipped_by_reason": skipped,
                "time_span": {"first": iso(self.inputs.first_seen),
                              "last": iso(self.inputs.last_seen)},
                "clients": len(self.inputs.clients),
                "observed_seconds": self.observed,
                "findings": len(self.findings),
                "findings_by_severity": self.severity_counts(),
                "suppressed": sum(f.suppressed is not None for f in self.findings),
                "gating": sum(f.gating for f in self.findings),
                "suppressions": self.suppression_counts(),
                "baseline": self.baseline.counts() if self.baseline else None,
                "fail_on": self.fail_on,
                "failed": self.failed,
            },
            "notices": list(self.notices),
            "clients": self._client_dicts(),
            "findings": [f.to_dict() for f in self.findings],
            "suppressions": [s.to_dict() for s in self.suppressions],
            "baseline": self.baseline.to_dict() if self.baseline else None,
            "rules": [r.to_dict() for r in self.rules],
            "inputs": {"files": [f.to_dict() for f in self.inputs.files],
                       "ignored_files": list(self.inputs.ignored)},
            "settings": dict(self.settings),
            "traffic": self.traffic.to_dict() if self.traffic is not None else None,
        }

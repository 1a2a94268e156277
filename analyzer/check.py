"""One `trafficlint check` run, without the CLI: config and rules in, a Report out."""

from __future__ import annotations

import os
import platform
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from analyzer import __version__
from analyzer.analysis import analyse, columns_read
from analyzer.baseline import read_baseline
from analyzer.config import Config
from analyzer.gate import Baseline, decide
from analyzer.loading import LoadOptions, count_duplicates, load_rows
from analyzer.maintenance import occurrences
from analyzer.model import Inputs, MaintenanceWindow, Report, RuleInfo
from analyzer.notices import notices
from analyzer.profiles import find_profile
from analyzer.progress import SILENT, Progress
from analyzer.provider import outlook
from analyzer.redact import redact_report
from analyzer.rowstore import RowStore
from analyzer.rulepack import bind_for_run, builtin_rules_dir, load_rules
from analyzer.rules import BoundRule

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """Now, unless SOURCE_DATE_EPOCH pins it (the reproducible-builds convention), so that a
    rerun on the same input can produce byte-identical reports."""
    pinned = os.environ.get("SOURCE_DATE_EPOCH")
    if pinned and pinned.strip().isdigit():
        return datetime.fromtimestamp(int(pinned), tz=UTC)
    return datetime.now(tz=UTC)


def rule_directories(config: Config) -> list[Path]:
    return [builtin_rules_dir(), *config.rules_dirs]


def check(paths: list[str], config: Config, input_format: str | None = None,
          clock: Clock = system_clock, progress: Progress = SILENT) -> Report:
    rules = bind_for_run(load_rules(rule_directories(config)), config)
    # A bad baseline is reported before the logs are read, not after.
    baseline = _baseline(config, rules)
    with RowStore(columns=columns_read(rules, config)) as store:
        rows = load_rows(paths, load_options(config, input_format), store, progress)
        first, last = rows.first_seen, rows.last_seen
        assert first is not None and last is not None  # load_rows found rows
        windows = _windows(config, first, last)
        analysis = analyse(store, rules, config, first, last, windows, progress)
    inputs = Inputs(tuple(count_duplicates(rows.files, analysis.duplicates)),
                    tuple(rows.ignored), first, last, analysis.clients)
    now = clock()
    gated = decide(analysis.findings, config, now, {b.rule.id for b in rules}, baseline)
    observed = (last - first).total_seconds()
    report = Report(
        versions=versions(),
        generated_at=now,
        fail_on=config.fail_on,
        inputs=inputs,
        rules=tuple(rule_info(bound) for bound in rules),
        findings=tuple(gated.findings),
        failed=gated.failed,
        settings=_settings(config),
        traffic=analysis.traffic,
        rejects=tuple(rows.rejects),
        outlook=outlook(analysis.avoidable, gated.findings, inputs.clients, observed,
                        config.escalation),
        suppressions=gated.suppressions,
        baseline=gated.baseline,
        observed=observed,
        notices=notices(inputs, rules, config),
    )
    # The one boundary every output is rendered from: no renderer sees an unredacted secret.
    return redact_report(report, config.redact)


def _baseline(config: Config, rules: list[BoundRule]) -> Baseline | None:
    if config.baseline is None:
        return None
    key_orders = {bound.rule.id: bound.rule.finding_keys() for bound in rules}
    return Baseline(str(config.baseline), read_baseline(config.baseline, key_orders))


def load_options(config: Config, input_format: str | None = None) -> LoadOptions:
    profile = find_profile(config.profile, config.where("profile")) if config.profile else None
    return LoadOptions(config.fields, config.default_client, config.timezone, input_format,
                       profile)


def _windows(config: Config, first: datetime, last: datetime) -> list[MaintenanceWindow]:
    """The configured maintenance windows that overlap the traffic, for the charts to shade."""
    return [MaintenanceWindow(start, end, name) for name, start, end
            in occurrences(config.maintenance, first, last)]


def _settings(config: Config) -> tuple[tuple[str, object], ...]:
    return (("config", config.source), ("timezone", config.timezone),
            ("max_evidence", config.max_evidence),
            ("maintenance", [f"{w.name}: {w.describe()}" for w in config.maintenance]),
            ("live_environments", list(config.live_environments)),
            ("known_skus", None if config.known_skus is None else len(config.known_skus)),
            ("errors", {name: list(value) if isinstance(value, tuple) else value
                        for name, value in vars(config.errors).items()}))


def versions() -> tuple[tuple[str, str], ...]:
    return (("trafficlint", __version__), ("polars", pl.__version__),
            ("python", platform.python_version()))


def rule_info(bound: BoundRule) -> RuleInfo:
    rule = bound.rule
    return RuleInfo(
        id=rule.id, name=rule.name, title=rule.title, severity=bound.severity,
        summary=rule.summary, rationale=rule.rationale, example=rule.example, fix=rule.fix,
        references=rule.references,
        params=tuple((p.name, bound.param_text(p.name)) for p in rule.params),
    )

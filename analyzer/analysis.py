"""Run the rules, and count what the report shows, over the rows of a `RowStore` a unit at a
time. A unit holds whole clients, and everything here is per client (findings, duplicates,
calls and errors, avoidable calls, the charts' counts), so the units' results added up are
those of all the rows at once; `tests/test_analysis.py` checks that they are.
"""

from __future__ import annotations

import os
from collections import Counter, deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

import polars as pl

from analyzer.config import Config
from analyzer.derived import add_derived, derived_fields
from analyzer.engine import fields_read, run, with_file_order
from analyzer.loading import client_traffic, drop_duplicates
from analyzer.model import ClientTraffic, Finding, MaintenanceWindow, Traffic
from analyzer.progress import SILENT, Progress
from analyzer.provider import avoidable_calls
from analyzer.rowstore import RowStore
from analyzer.rules import BoundRule
from analyzer.schema import FIELDS, SOURCE_FILE, SOURCE_LINE
from analyzer.traffic import Counts, Grid, combine, count

MAX_WORKERS = 4  # units analysed at once, each about rowstore.UNIT_ROWS rows in memory
# Read whatever the rules: the time, client and operation (totals and charts), error_code and
# http_status (what counts as an error), request_id (duplicates), and where each row came from.
ALWAYS_READ = ("timestamp", "client_id", "operation", "error_code", "http_status", "request_id",
               SOURCE_FILE, SOURCE_LINE)


@dataclass(frozen=True)
class Analysis:
    findings: list[Finding]  # in Finding.sort_key order
    duplicates: Counter  # input file -> records skipped as duplicates
    clients: tuple[ClientTraffic, ...]  # by client id
    avoidable: dict[str, tuple[int, int]]  # client -> calls and errors that are in findings
    traffic: Traffic


def columns_read(rules: Sequence[BoundRule], config: Config) -> list[str]:
    """The loaded columns the analysis reads: ALWAYS_READ, the fields the rules' detectors
    name, and those the derived fields they name are made from."""
    names = fields_needed(rules, config).keys()
    every = [*ALWAYS_READ, *(f.name for f in FIELDS)]
    return [name for name in dict.fromkeys(every) if name in names or name in ALWAYS_READ]


def fields_needed(rules: Sequence[BoundRule], config: Config) -> dict[str, list[str]]:
    """Each field the rules read, directly or through a derived field, with the ids of the
    rules that read it."""
    derived = derived_fields(config)
    readers: dict[str, list[str]] = {}
    for bound in rules:
        names = {name for detector in bound.detectors for name in fields_read(detector)}
        for name in names & derived.keys():
            names.update(derived[name].meta.root_names())
        for name in sorted(names):
            readers.setdefault(name, []).append(bound.rule.id)
    return readers


def _derived_used(rules: Sequence[BoundRule], config: Config) -> set[str]:
    return {name for bound in rules for detector in bound.detectors
            for name in fields_read(detector)} & derived_fields(config).keys()


def analyse(store: RowStore, rules: Sequence[BoundRule], config: Config, first: datetime,
            last: datetime, maintenance: Sequence[MaintenanceWindow] = (),
            progress: Progress = SILENT) -> Analysis:
    """The rules and the per-client figures over every unit of `store`; `first` and `last`
    are the first and last call of the whole input. Units are analysed side by side, as many
    at a time as there are processors (Polars works outside the interpreter lock), and the
    results taken in unit order, so they are the same whatever the timing."""
    unit = _UnitAnalysis(rules, config, (last - first).total_seconds(), Grid.spanning(first, last))
    progress.stage("running rules", store.rows)
    results: list[_UnitResult] = []
    readers = store.readers()
    workers = max(1, min(len(readers), os.cpu_count() or 1, MAX_WORKERS))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        running: deque[Future[_UnitResult]] = deque()
        for read in readers:
            if len(running) == workers:
                results.append(_done(running.popleft(), progress))
            running.append(pool.submit(unit.analyse, read))
        while running:
            results.append(_done(running.popleft(), progress))
    return Analysis(
        findings=sorted((f for r in results for f in r.findings), key=Finding.sort_key),
        duplicates=sum((r.duplicates for r in results), Counter()),
        clients=tuple(sorted((c for r in results for c in r.clients),
                             key=lambda c: c.client_id)),
        avoidable={k: v for r in results for k, v in r.avoidable.items()},
        traffic=combine([r.counts for r in results], rules, unit.grid, maintenance),
    )


@dataclass(frozen=True)
class _UnitResult:
    rows: int
    findings: list[Finding]
    duplicates: Counter
    clients: tuple[ClientTraffic, ...]
    avoidable: dict[str, tuple[int, int]]
    counts: Counts


@dataclass(frozen=True)
class _UnitAnalysis:
    rules: Sequence[BoundRule]
    config: Config
    observed: float
    grid: Grid

    def analyse(self, read: Callable[[], pl.DataFrame]) -> _UnitResult:
        unit = read()
        rows = unit.height
        unit, duplicates = drop_duplicates(unit)
        derived = _derived_used(self.rules, self.config)
        frame = with_file_order(add_derived(unit, self.config, derived))
        detected = run(frame, self.rules, self.config.max_evidence, observed=self.observed)
        return _UnitResult(rows, detected.findings, duplicates, client_traffic(frame),
                           avoidable_calls(frame, detected.offending),
                           count(frame, self.rules, self.grid))


def _done(future: Future[_UnitResult], progress: Progress) -> _UnitResult:
    result = future.result()
    progress.advance(result.rows)
    return result

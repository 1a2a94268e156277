"""Run the rules, and count what the report shows, over the rows of a `RowStore` a unit at a
time. A unit holds whole clients, and everything here is per client (findings, duplicates,
calls and errors, avoidable calls, the charts' counts), so the units' results added up are
those of all the rows at once; `tests/test_analysis.py` checks that they are.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

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
    names = {name for bound in rules for detector in bound.detectors
             for name in fields_read(detector)}
    derived = derived_fields(config)
    for name in names & derived.keys():
        names.update(derived[name].meta.root_names())
    every = [*ALWAYS_READ, *(f.name for f in FIELDS)]
    return [name for name in dict.fromkeys(every) if name in names or name in ALWAYS_READ]


def _derived_used(rules: Sequence[BoundRule], config: Config) -> set[str]:
    return {name for bound in rules for detector in bound.detectors
            for name in fields_read(detector)} & derived_fields(config).keys()


def analyse(store: RowStore, rules: Sequence[BoundRule], config: Config, first: datetime,
            last: datetime, maintenance: Sequence[MaintenanceWindow] = (),
            progress: Progress = SILENT) -> Analysis:
    """The rules and the per-client figures over every unit of `store`; `first` and `last`
    are the first and last call of the whole input."""
    observed = (last - first).total_seconds()
    grid = Grid.spanning(first, last)
    progress.stage("running rules", store.rows)
    findings: list[Finding] = []
    duplicates: Counter = Counter()
    clients: list[ClientTraffic] = []
    avoidable: dict[str, tuple[int, int]] = {}
    counts: list[Counts] = []
    derived = _derived_used(rules, config)
    for unit in store.units():
        height = unit.height
        unit, repeated = drop_duplicates(unit)
        duplicates.update(repeated)
        frame = with_file_order(add_derived(unit, config, derived))
        detected = run(frame, rules, config.max_evidence, observed=observed)
        findings.extend(detected.findings)
        avoidable.update(avoidable_calls(frame, detected.offending))
        clients.extend(client_traffic(frame))
        counts.append(count(frame, rules, grid))
        progress.advance(height)
    return Analysis(
        findings=sorted(findings, key=Finding.sort_key),
        duplicates=duplicates,
        clients=tuple(sorted(clients, key=lambda c: c.client_id)),
        avoidable=avoidable,
        traffic=combine(counts, rules, grid, maintenance),
    )

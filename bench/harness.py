"""Time whole processes: trafficlint, the two floors and the DuckDB reference, in alternating runs.

Each run is a fresh process (interpreter start-up, imports, reading, detection and output all
count, as a user waits for them). Its wall time is taken around the process, its CPU time and
peak resident memory from the kernel's accounting of that one child (`os.wait4`, in the small
launcher bench/spawn.py, whose docstring says why). The order of
the contestants rotates from run to run, so none always goes first after another's cache effects.
The input file is read once before timing, so every run starts from a warm page cache.

Every run's output is checked before the next starts: the floors read every row and agree on
what they read; trafficlint analysed every row; trafficlint and the reference found the same
(`bench.agreement`), covering every check of the three rules; and each contestant printed the
same thing in every run.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.agreement import (
    POLICY_RULES,
    Disagreement,
    compare,
    from_report,
    reference_parameters,
)
from bench.generate import Dataset
from bench.reference import METRICS

REPO = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
SPAWN = Path(__file__).with_name("spawn.py")
ProgressFn = Callable[[str], None]


@dataclass(frozen=True)
class Contestant:
    name: str
    label: str
    argv: Callable[[str, Path, str], list[str]]  # (format, file, reference parameters)
    exit_codes: tuple[int, ...] = (0,)


CONTESTANTS = (
    Contestant("floor-polars", "floor, Polars",
               lambda fmt, path, _: [PYTHON, "-m", "bench.floor", "polars", fmt, str(path)]),
    Contestant("floor-duckdb", "floor, DuckDB",
               lambda fmt, path, _: [PYTHON, "-m", "bench.floor", "duckdb", fmt, str(path)]),
    Contestant("reference", "DuckDB reference",
               lambda fmt, path, params: [PYTHON, "-m", "bench.reference", fmt, str(path), params]),
    # The rules the reference models, and no others the pack may hold. Exit 1 means "findings
    # at or above --fail-on", which the benchmark data always has.
    Contestant("trafficlint", "trafficlint",
               lambda fmt, path, _: [PYTHON, "-m", "analyzer", "check", str(path),
                                     "--format", "json", "--select", ",".join(POLICY_RULES)],
               exit_codes=(0, 1)),
)
FLOORS = ("floor-polars", "floor-duckdb")


class BenchError(Exception):
    """A run failed or printed something wrong; the message says which and why."""


@dataclass(frozen=True)
class Run:
    seconds: float
    cpu_seconds: float
    peak_bytes: int


@dataclass
class FormatResult:
    format: str
    file_bytes: int
    runs: dict[str, list[Run]] = field(default_factory=dict)
    findings_agreed: int = 0

    def median(self, contestant: str) -> float:
        return statistics.median(r.seconds for r in self.runs[contestant])

    def median_cpu(self, contestant: str) -> float:
        return statistics.median(r.cpu_seconds for r in self.runs[contestant])

    def peak(self, contestant: str) -> int:
        return max(r.peak_bytes for r in self.runs[contestant])


def measure(argv: list[str], workdir: Path, env: Mapping[str, str]) -> tuple[Run, int, bytes, str]:
    """Run one process to the end: (its Run, exit code, standard output, end of its stderr)."""
    out_path, err_path, report = workdir / "stdout", workdir / "stderr", workdir / "run.json"
    report.unlink(missing_ok=True)
    with out_path.open("wb") as out, err_path.open("wb") as err:
        subprocess.run([PYTHON, "-I", "-S", str(SPAWN), str(report), *argv], stdout=out,
                       stderr=err, cwd=workdir, env=dict(env), check=False)
    stderr = err_path.read_bytes().decode("utf-8", "replace")[-3000:]
    try:
        measured = json.loads(report.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise BenchError(f"could not start {argv[:4]}:\n{stderr}") from None
    run = Run(measured["seconds"], measured["cpu_seconds"], measured["peak_bytes"])
    return run, measured["exit_code"], out_path.read_bytes(), stderr


class Checks:
    """What every run printed, checked as it arrives."""

    def __init__(self, rows: int):
        self.rows = rows
        self.first: dict[tuple[str, str], Any] = {}  # (format, contestant) -> parsed output
        self.agreed: dict[str, int] = {}

    def accept(self, fmt: str, contestant: str, output: bytes) -> None:
        parsed = self._parse(fmt, contestant, output)
        earlier = self.first.setdefault((fmt, contestant), parsed)
        if parsed != earlier:
            raise BenchError(f"{contestant} on {fmt} printed something else than in its first "
                             f"run: its output is not deterministic")
        if contestant in FLOORS:
            self._floors_agree(fmt)
        elif fmt not in self.agreed and self._both_ran(fmt):
            self.agreed[fmt] = self._findings_agree(fmt)

    def _both_ran(self, fmt: str) -> bool:
        return {(fmt, "reference"), (fmt, "trafficlint")} <= self.first.keys()

    def _parse(self, fmt: str, contestant: str, output: bytes) -> Any:
        try:
            parsed = json.loads(output)
        except ValueError as exc:
            raise BenchError(f"{contestant} on {fmt} did not print JSON ({exc})") from None
        if contestant == "trafficlint":
            summary = parsed["summary"]
            if (summary["rows_analysed"], summary["rows_rejected"]) != (self.rows, 0):
                raise BenchError(f"trafficlint on {fmt} analysed {summary['rows_analysed']:,} "
                                 f"rows and rejected {summary['rows_rejected']:,}; the data has "
                                 f"{self.rows:,} valid rows")
            return from_report(parsed)
        if contestant in FLOORS and parsed["rows"] != self.rows:
            raise BenchError(f"{contestant} on {fmt} read {parsed['rows']:,} rows of "
                             f"{self.rows:,}")
        return parsed

    def _floors_agree(self, fmt: str) -> None:
        totals = [self.first[(fmt, f)] for f in FLOORS if (fmt, f) in self.first]
        if len(totals) == 2 and totals[0] != totals[1]:
            raise BenchError(f"the floors read different values from {fmt}: {totals[0]} vs "
                             f"{totals[1]}")

    def _findings_agree(self, fmt: str) -> int:
        ours, reference = self.first[(fmt, "trafficlint")], self.first[(fmt, "reference")]
        try:
            agreed = compare(ours, reference, (f"trafficlint on {fmt}", f"the reference on {fmt}"))
        except Disagreement as exc:
            raise BenchError(str(exc)) from None
        missing = set(METRICS) - {f["check"] for f in reference}
        if missing:
            raise BenchError(f"the data exercised no finding of {', '.join(sorted(missing))} "
                             f"on {fmt}: agreement there would prove nothing; use more rows")
        return agreed


def benchmark(dataset: Dataset, formats: list[str], repeat: int,
              progress: ProgressFn = lambda _: None) -> list[FormatResult]:
    parameters = json.dumps(reference_parameters())
    results = {fmt: FormatResult(fmt, dataset.path(fmt).stat().st_size) for fmt in formats}
    checks = Checks(dataset.rows)
    env = {**os.environ, "PYTHONPATH": str(REPO), "SOURCE_DATE_EPOCH": "0"}
    for fmt in formats:
        _warm(dataset.path(fmt))
    with tempfile.TemporaryDirectory(prefix="trafficlint-bench-") as scratch:
        workdir = Path(scratch)  # no trafficlint.yaml here, so the rule defaults apply
        for attempt in range(repeat):
            for position, fmt in enumerate(formats):
                for contestant in _rotated(CONTESTANTS, attempt + position):
                    run = _one(contestant, fmt, dataset.path(fmt), parameters, workdir, env,
                               checks)
                    results[fmt].runs.setdefault(contestant.name, []).append(run)
                    progress(f"run {attempt + 1}/{repeat} {fmt:8} {contestant.name:13} "
                             f"{run.seconds:7.2f} s  {run.peak_bytes / 1e9:5.2f} GB")
    for fmt, result in results.items():
        result.findings_agreed = checks.agreed[fmt]
    return list(results.values())


def _one(contestant: Contestant, fmt: str, path: Path, parameters: str, workdir: Path,
         env: Mapping[str, str], checks: Checks) -> Run:
    run, code, output, stderr = measure(contestant.argv(fmt, path, parameters), workdir, env)
    if code not in contestant.exit_codes:
        raise BenchError(f"{contestant.name} on {fmt} exited with {code}:\n{stderr}")
    checks.accept(fmt, contestant.name, output)
    return run


def _rotated(items: tuple, shift: int) -> tuple:
    shift %= len(items)
    return items[shift:] + items[:shift]


def _warm(path: Path) -> None:
    with path.open("rb") as handle:
        while handle.read(16 * 1024 * 1024):
            pass


def as_json(results: list[FormatResult]) -> list[dict[str, Any]]:
    return [{**asdict(r), "medians": {c: r.median(c) for c in r.runs},
             "cpu_medians": {c: r.median_cpu(c) for c in r.runs},
             "peaks": {c: r.peak(c) for c in r.runs}} for r in results]

"""Where the time of a real `trafficlint check` goes: the streaming path `check` runs (chunks
parsed and typed side by side, rows spilled by client, units of clients analysed side by side),
timed by phase with wall time, CPU time and peak memory, and inside each phase the time spent
in trafficlint's steps.

    python -m bench stages --rows 10M --format csv

`bench profile` times each detector over one frame of all the rows, which the streaming path
never holds; this times the code as it runs. The steps run in several threads at once, so their
seconds are summed over threads (CPU-like) and can add up to more than the phase's wall time.
Steps are timed by wrapping trafficlint's functions for the duration of the run.
"""

from __future__ import annotations

import resource
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from threading import Lock
from typing import Any

from analyzer import analysis, batches, loading, rowstore
from analyzer.analysis import analyse, columns_read
from analyzer.check import load_options, rule_directories
from analyzer.config import Config
from analyzer.rulepack import bind_for_run, load_rules
from bench.agreement import POLICY_RULES

# (module, function, step name): the steps of each phase, in the order they run.
STEPS = (
    (batches, "_csv_chunk", "parse CSV chunks (Polars)"),
    (batches, "ndjson_lines", "parse NDJSON chunks (Polars)"),
    (batches, "_parquet", "read Parquet batches"),
    (loading, "derive", "map columns (profile)"),
    (loading, "normalise", "type and check rows (normalise)"),
    (rowstore._Spill, "add", "spill rows by client (partition + write)"),
    (analysis._UnitAnalysis, "analyse", "analyse units (read back, and all below)"),
    (analysis, "drop_duplicates", "skip duplicate records"),
    (analysis, "run", "run the rules (detectors)"),
    (analysis, "client_traffic", "per-client totals"),
    (analysis, "count", "chart counts"),
)


@dataclass(frozen=True)
class Phase:
    name: str
    wall: float
    cpu: float
    peak_bytes: int


def stages(path: Path) -> tuple[list[Phase], Counter]:
    """The phases of a check of the policy rules over `path`, and seconds per step."""
    config = Config(select=POLICY_RULES)
    rules = bind_for_run(load_rules(rule_directories(config)), config)
    spent: Counter = Counter()
    phases: list[Phase] = []
    with _timing_steps(spent), rowstore.RowStore(columns=columns_read(rules, config)) as store:
        rows = _phase("load: read, type, spill", phases,
                      lambda: loading.load_rows([str(path)], load_options(config), store))
        _phase("analyse: read units back, rules, counts", phases,
               lambda: analyse(store, rules, config, rows.first_seen, rows.last_seen))
    return phases, spent


def report(path: Path, phases: list[Phase], spent: Counter) -> str:
    lines = [f"stages of trafficlint check on {path} ({path.stat().st_size / 1e6:,.0f} MB)", "",
             f"{'phase':44} {'wall':>8} {'CPU':>8} {'peak so far':>12}"]
    lines += [f"{p.name:44} {p.wall:7.2f}s {p.cpu:7.2f}s {p.peak_bytes / 1e9:9.2f} GB"
              for p in phases]
    lines += ["", "steps, seconds summed over threads:"]
    lines += [f"    {spent[name]:7.2f}  {name}" for _, _, name in STEPS if name in spent]
    return "\n".join(lines) + "\n"


def _phase(name: str, phases: list[Phase], work: Callable[[], Any]) -> Any:
    start, cpu = time.perf_counter(), _cpu()
    result = work()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    phases.append(Phase(name, time.perf_counter() - start, _cpu() - cpu, peak))
    return result


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@contextmanager
def _timing_steps(spent: Counter) -> Iterator[None]:
    lock = Lock()
    originals = [(owner, name, getattr(owner, name)) for owner, name, _ in STEPS]
    for (owner, name, original), (_, _, step) in zip(originals, STEPS, strict=True):
        setattr(owner, name, _timed(original, step, spent, lock))
    try:
        yield
    finally:
        for owner, name, original in originals:
            setattr(owner, name, original)


def _timed(function: Callable, step: str, spent: Counter, lock: Lock) -> Callable:
    def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            result = function(*args, **kwargs)
            if hasattr(result, "__next__"):  # a generator: time it as it is consumed
                return _timed_iteration(result, step, spent, lock)
            return result
        finally:
            with lock:
                spent[step] += time.perf_counter() - start
    return timed


def _timed_iteration(items: Iterator, step: str, spent: Counter, lock: Lock) -> Iterator:
    while True:
        start = time.perf_counter()
        try:
            item = next(items)
        except StopIteration:
            return
        finally:
            with lock:
                spent[step] += time.perf_counter() - start
        yield item

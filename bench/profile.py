"""Where trafficlint's time and memory go on one file, running the policy rules the benchmark
times: loading (split into trafficlint's own functions with cProfile), each detector on its
own, and the whole check with the JSON report, with resident memory after each stage.

    python -m bench profile --rows 1M --format csv

It drives trafficlint through the same entry points `check` uses (load, engine.run,
render_json), so it measures the code that runs, in the order it runs. Polars 2 has no
per-node `LazyFrame.profile()` any more (lazy queries run on the streaming engine), so the
detectors are timed one by one instead.
"""

from __future__ import annotations

import cProfile
import dataclasses
import pstats
import resource
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from analyzer.check import check, rule_directories
from analyzer.config import Config
from analyzer.derived import add_derived
from analyzer.engine import run
from analyzer.loading import LoadOptions, load
from analyzer.render import render_json
from analyzer.rulepack import bind_for_run, load_rules
from bench.agreement import POLICY_RULES

SHOWN_FUNCTIONS = 12


@dataclasses.dataclass(frozen=True)
class Stage:
    name: str
    seconds: float
    rss_bytes: int
    peak_bytes: int


def _rss() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def _timed(name: str, stages: list[Stage], work: Callable[[], Any]) -> Any:
    start = time.perf_counter()
    result = work()
    seconds, rss = time.perf_counter() - start, _rss()
    # The kernel updates the high-water mark lazily; it can trail the current size a little.
    peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, rss)
    stages.append(Stage(name, seconds, rss, peak))
    return result


def profile(path: Path) -> tuple[list[Stage], list[tuple[str, float]]]:
    """The stages in order, and trafficlint's own functions inside loading by cumulative time."""
    config = Config(select=POLICY_RULES)  # what the benchmark times
    stages: list[Stage] = []
    profiler = cProfile.Profile()
    _load_and_detect(path, config, stages, profiler)
    # The frame above is gone by now, so this stage starts from the same memory as a user's run.
    _timed("whole check + JSON report", stages,
           lambda: render_json(check([str(path)], config)))
    return stages, _own_functions(profiler)


def _load_and_detect(path: Path, config: Config, stages: list[Stage],
                     profiler: cProfile.Profile) -> None:
    rules = bind_for_run(load_rules(rule_directories(config)), config)
    options = LoadOptions(config.fields, config.default_client, config.timezone, None)
    # The derived fields are part of what the rules read, as in `check`.
    frame = _timed("load (read + normalise)", stages,
                   lambda: add_derived(profiler.runcall(load, [str(path)], options).frame,
                                       config))
    for bound in rules:
        for detector in bound.detectors:
            alone = dataclasses.replace(bound, detectors=(detector,))
            _timed(f"detect {bound.rule.id} {detector.name}", stages,
                   lambda alone=alone: run(frame, [alone], config.max_evidence))


def _own_functions(profiler: cProfile.Profile) -> list[tuple[str, float]]:
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    rows = [(f"{Path(file).name}:{name}", cumulative)
            for (file, _, name), (_, _, _, cumulative, _) in stats.items()
            if "/analyzer/" in file]
    return sorted(rows, key=lambda row: -row[1])[:SHOWN_FUNCTIONS]


def report(path: Path, stages: list[Stage], functions: list[tuple[str, float]]) -> str:
    lines = [f"profile of trafficlint on {path} ({path.stat().st_size / 1e6:,.0f} MB)", "",
             f"{'stage':48} {'seconds':>8} {'RSS after':>10} {'peak so far':>12}"]
    lines += [f"{s.name:48} {s.seconds:8.2f} {s.rss_bytes / 1e9:8.2f} GB "
              f"{s.peak_bytes / 1e9:10.2f} GB" for s in stages]
    lines += ["", "inside load, trafficlint's functions by cumulative seconds:"]
    lines += [f"    {seconds:7.2f}  {name}" for name, seconds in functions]
    return "\n".join(lines) + "\n"

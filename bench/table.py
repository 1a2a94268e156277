"""The benchmark's results as a table (text for the terminal, Markdown for bench/RESULTS.md) and as
JSON, with the machine and versions they were measured on and the issue's targets checked."""

from __future__ import annotations

import os
import platform
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from bench.harness import CONTESTANTS, FLOORS, FormatResult, as_json

# The targets of issue 7, on 10M rows in each format.
FLOOR_RATIO = 1.2  # trafficlint within 1.2x of the faster floor
MEMORY_CAP = 1e9  # bytes; "below 1 GB"
GB = 1e9
FORMAT_NAMES = {"csv": "CSV", "ndjson": "NDJSON", "parquet": "Parquet"}


def machine() -> dict[str, Any]:
    return {
        "cpus": len(os.sched_getaffinity(0)),
        "cpu_model": _cpu_model(),
        "memory_bytes": _memory_total(),
        "os": platform.platform(),
        "versions": {name: _version(name) for name in
                     ("trafficlint", "polars", "duckdb", "numpy")} | {
                        "python": platform.python_version()},
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_total() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"


def document(results: list[FormatResult], rows: int, repeat: int,
             load: tuple[tuple[float, ...], tuple[float, ...]]) -> dict[str, Any]:
    return {
        "measured_at": datetime.now(tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "rows": rows,
        "repeat": repeat,
        "machine": machine(),
        "load_average": {"before": list(load[0]), "after": list(load[1])},
        "results": as_json(results),
        "targets": {r.format: targets(r) for r in results},
    }


def targets(result: FormatResult) -> dict[str, Any]:
    ours = result.median("trafficlint")
    faster_floor = min(result.median(f) for f in FLOORS)
    peak, reference_peak = result.peak("trafficlint"), result.peak("reference")
    return {
        "floor_ratio": ours / faster_floor,
        "floor_ratio_met": ours <= FLOOR_RATIO * faster_floor,
        "reference_ratio": ours / result.median("reference"),
        "reference_ratio_met": ours < result.median("reference"),
        "memory_ratio": peak / reference_peak,
        "memory_met": peak < reference_peak and peak < MEMORY_CAP,
    }


HEADER = ["input", *(c.label for c in CONTESTANTS),
          f"trafficlint / faster floor (target <= {FLOOR_RATIO})",
          "trafficlint / reference (target < 1)",
          "peak memory (target < reference and < 1 GB)"]


def rows(results: list[FormatResult]) -> list[list[str]]:
    table = []
    for result in results:
        met = targets(result)
        table.append([
            f"{FORMAT_NAMES[result.format]}, {_size(result.file_bytes)}",
            *(f"{_seconds(result.median(c.name))} ({_seconds(result.median_cpu(c.name))} CPU), "
              f"{result.peak(c.name) / GB:.2f} GB" for c in CONTESTANTS),
            _verdict(f"{met['floor_ratio']:.2f}x", met["floor_ratio_met"]),
            _verdict(f"{met['reference_ratio']:.2f}x", met["reference_ratio_met"]),
            _verdict(f"{met['memory_ratio']:.2f}x the reference's", met["memory_met"]),
        ])
    return table


def _verdict(text: str, met: bool) -> str:
    return f"{text} ({'met' if met else 'missed'})"


def _seconds(value: float) -> str:
    return f"{value:.2f} s" if value < 10 else f"{value:.1f} s"


def _size(size: int) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6)):
        if size >= scale:
            digits = 2 if size < 10 * scale else 0
            return f"{size / scale:.{digits}f} {unit}"
    return f"{size / 1e3:.0f} kB"


def markdown(doc: dict[str, Any], results: list[FormatResult]) -> str:
    lines = [f"| {' | '.join(HEADER)} |", f"|{'---|' * len(HEADER)}"]
    lines += [f"| {' | '.join(row)} |" for row in rows(results)]
    return "\n".join([_caption(doc), "", *lines, "", _machine_line(doc), ""])


def text(doc: dict[str, Any], results: list[FormatResult]) -> str:
    # One contestant per line under each input keeps the table readable in 100 columns.
    lines = [_caption(doc), ""]
    for row, result in zip(rows(results), results, strict=True):
        lines.append(row[0])
        for contestant, cell in zip(CONTESTANTS, row[1:], strict=False):
            lines.append(f"    {contestant.label:18} {cell}")
        for label, cell in zip(HEADER[len(CONTESTANTS) + 1:], row[len(CONTESTANTS) + 1:],
                               strict=True):
            lines.append(f"    {label:50} {cell}")
        lines.append(f"    findings agreed with the reference: {result.findings_agreed:,}")
    return "\n".join([*lines, "", _machine_line(doc), ""])


def _caption(doc: dict[str, Any]) -> str:
    return (f"{doc['rows']:,} rows: whole-process wall time, median of {doc['repeat']} "
            f"alternating runs (CPU time, user + system, in brackets), and peak resident memory "
            f"(highest run); GB = 10^9 bytes")


def _machine_line(doc: dict[str, Any]) -> str:
    m = doc["machine"]
    memory = f"{m['memory_bytes'] / 2**30:.0f} GiB" if m["memory_bytes"] else "unknown memory"
    versions = ", ".join(f"{k} {v}" for k, v in m["versions"].items())
    load = doc["load_average"]
    return (f"Machine: {m['cpus']} CPUs ({m['cpu_model']}), {memory}, {m['os']}; {versions}; "
            f"load average {load['before'][0]:.2f} before, {load['after'][0]:.2f} after; "
            f"measured {doc['measured_at']}.")

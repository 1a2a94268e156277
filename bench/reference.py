"""Run the DuckDB SQL reference of the three policy rules (bench/reference.sql) on one benchmark
file and print its findings as JSON, in the shape `bench.agreement` compares with trafficlint's.

    python -m bench.reference FORMAT PATH PARAMETERS_JSON

PARAMETERS_JSON comes from `bench.agreement.reference_parameters()` (the rule pack's defaults);
the harness passes it, so this process loads DuckDB and nothing else it would be timed for.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.duck import connect

SQL = Path(__file__).with_name("reference.sql")

# What each check measures besides the calls, span and sustained every finding carries
# (analyzer/detectors.py: KINDS[kind].metrics and COMMON_METRICS).
METRICS = {
    "polling": ("streak", "streak_span", "median_gap"),
    "checking-loop": ("count", "sample", "share", "rate", "items"),
    "unknown-order": ("count", "sample", "share", "rate", "items"),
    "unknown-product": ("count", "sample", "share", "rate", "items"),
    "not-found-stream": ("count", "sample", "share", "rate", "items"),
    "repeated-po": ("count", "min_delay", "median_delay"),
}
COMMON = ("calls", "span", "sustained")


def run(fmt: str, path: Path, parameters: dict[str, Any]) -> list[dict[str, Any]]:
    connection = connect(fmt, path)
    for name, value in parameters["variables"].items():
        cast = "" if not isinstance(value, list) else (
            "::INTEGER[]" if value and all(isinstance(v, int) for v in value) else "::VARCHAR[]")
        connection.execute(f"SET VARIABLE {name} = ?{cast}", [value])
    cursor = connection.execute(SQL.read_text(encoding="utf-8"))
    names = [d[0] for d in cursor.description]
    rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    return [_finding(row, parameters["severity"]) for row in rows]


def _count_measures(row: dict[str, Any]) -> dict[str, Any]:
    """The count kind's sample, share and rate of the worst window. NUV-002's checks count
    every call they select (no `of`), so the sample is the count and the share is 1; the
    checking loop's come from the SQL, with the items its re-checks are about (NUV-002's
    checks have no `repeat_of`, so none). A bench run spans weeks, longer than any window, so
    the normalised rate is the count itself."""
    if row["check_name"] == "checking-loop":
        return {**row, "sample": row["loop_sample"], "share": row["loop_share"],
                "rate": float(row["count"])}
    if row["check_name"] not in ("unknown-order", "unknown-product", "not-found-stream"):
        return row
    return {**row, "sample": row["count"], "share": 1.0, "rate": float(row["count"]),
            "items": None}


def _finding(row: dict[str, Any], severity: dict[str, str]) -> dict[str, Any]:
    check = row["check_name"]
    row = _count_measures(row)
    return {
        "rule": row["rule"],
        "check": check,
        "client_id": row["client_id"],
        "key": {row["key_name"]: row["key_value"]} if row["key_name"] else {},
        "count": row["calls"],
        "severity": "critical" if row["critical"] else severity[row["rule"]],
        "first_seen": iso(row["first_ms"]),
        "last_seen": iso(row["last_ms"]),
        "metrics": {name: row[name] for name in (*METRICS[check], *COMMON)},
    }


def iso(epoch_ms: int) -> str:
    """The form analyzer.model.iso writes: 2026-11-23T09:00:00.000Z."""
    moment = datetime.fromtimestamp(epoch_ms // 1000, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{epoch_ms % 1000:03d}Z"


def main(argv: list[str]) -> None:
    fmt, path, parameters = argv
    found = run(fmt, Path(path), json.loads(parameters))
    sys.stdout.write(json.dumps(found, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])

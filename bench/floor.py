"""The floors: the least any program answering the three policy rules must do, in one engine.
Read the columns the rules need, parse the timestamps, and touch every value (sum the text
lengths) so that no engine can skip decoding; print the totals as JSON. Both floors print the
same totals for the same file, which the harness checks.

    python -m bench.floor polars|duckdb FORMAT PATH

Each engine is imported only when it is the one measured.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from bench.columns import COLUMNS, NEEDED, NEEDED_TEXT, TIMESTAMP_FORMAT

TOTALS = ("rows", "first_ms", "last_ms", "status_sum", "text_bytes")


def polars_floor(fmt: str, path: Path) -> dict[str, int]:
    import polars as pl

    if fmt == "csv":
        frame = pl.scan_csv(path, infer_schema=False)
    elif fmt == "ndjson":
        # Int64, not a smaller integer: scan_ndjson in Polars 2.1 fails on Int16/UInt8.
        types = {"timestamp": pl.String, "text": pl.String, "int": pl.Int64,
                 "float": pl.Float64}
        frame = pl.scan_ndjson(path, schema={c: types[k] for c, k in COLUMNS.items()})
    else:
        frame = pl.scan_parquet(path)
    ts = pl.col("timestamp")
    if fmt != "parquet":
        ts = ts.str.to_datetime(TIMESTAMP_FORMAT, time_unit="ms", time_zone="UTC")
    epoch = ts.dt.epoch("ms")
    totals = frame.select(NEEDED).select(
        pl.len().alias("rows"),
        epoch.min().alias("first_ms"),
        epoch.max().alias("last_ms"),
        pl.col("http_status").cast(pl.Int64, strict=False).sum().alias("status_sum"),
        pl.sum_horizontal([pl.col(c).str.len_bytes().sum() for c in NEEDED_TEXT])
        .alias("text_bytes"),
    ).collect(engine="streaming")
    return dict(zip(TOTALS, totals.row(0), strict=True))


def duckdb_floor(fmt: str, path: Path) -> dict[str, int]:
    from bench.duck import connect

    text_bytes = " + ".join(f"coalesce(sum(strlen({c})), 0)" for c in NEEDED_TEXT)
    query = (f"SELECT count(*), min(ts), max(ts), sum(http_status), {text_bytes} "
             f"FROM events")
    row = connect(fmt, path).execute(query).fetchone()
    return dict(zip(TOTALS, (int(v) for v in row), strict=True))


ENGINES = {"polars": polars_floor, "duckdb": duckdb_floor}


def main(argv: list[str]) -> None:
    engine, fmt, path = argv
    sys.stdout.write(json.dumps(ENGINES[engine](fmt, Path(path))) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])

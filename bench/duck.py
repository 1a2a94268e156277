"""DuckDB's view of a benchmark file: the columns the rules need, the timestamp parsed to epoch
milliseconds. The DuckDB floor and the DuckDB reference both read through it, so they read alike."""

from __future__ import annotations

from pathlib import Path

import duckdb

from bench.columns import COLUMNS, NEEDED

_TYPES = {"timestamp": "VARCHAR", "text": "VARCHAR", "int": "INTEGER", "float": "DOUBLE"}


def _struct(columns: list[str]) -> str:
    return "{" + ", ".join(f"'{c}': '{_TYPES[COLUMNS[c]]}'" for c in columns) + "}"


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def scan(fmt: str, path: Path) -> str:
    """The table function reading `path`: no type sniffing, only the needed columns decoded."""
    if fmt == "csv":
        # auto_detect off: DuckDB would otherwise sniff error_code as a number.
        return (f"read_csv({_literal(path)}, header = true, auto_detect = false, "
                f"columns = {_struct(list(COLUMNS))})")
    if fmt == "ndjson":
        return (f"read_json({_literal(path)}, format = 'newline_delimited', "
                f"columns = {_struct(list(NEEDED))})")
    if fmt == "parquet":
        return f"read_parquet({_literal(path)})"
    raise ValueError(f"unknown format {fmt!r}")


def connect(fmt: str, path: Path) -> duckdb.DuckDBPyConnection:
    """A connection with the view `events(ts BIGINT epoch ms, <the other needed columns>)`."""
    connection = duckdb.connect()
    # The rules never depend on the order rows arrive in; letting DuckDB drop it saves memory.
    connection.execute("SET preserve_insertion_order = false")
    parsed = '"timestamp"' if fmt == "parquet" else 'CAST("timestamp" AS TIMESTAMP)'
    others = ", ".join(c for c in NEEDED if c != "timestamp")
    connection.execute(f"CREATE VIEW events AS SELECT epoch_ms({parsed}) AS ts, {others} "
                       f"FROM {scan(fmt, path)}")
    return connection

"""The columns of the benchmark data, declared once for the generator, the floors and the reference.

Imports nothing, so the floor and reference processes load only the engine they measure.
"""

from __future__ import annotations

# Every column, in file order, with its type: text, int (http_status), float (latency_ms) or
# timestamp (ISO-8601 text in CSV and NDJSON, a UTC timestamp in Parquet).
COLUMNS: dict[str, str] = {
    "timestamp": "timestamp",
    "client_id": "text",
    "environment": "text",
    "operation": "text",
    "http_status": "int",
    "error_code": "text",
    "error_message": "text",
    "part_number": "text",
    "order_id": "text",
    "purchase_order_id": "text",
    "latency_ms": "float",
    "request_id": "text",
}

# What the three policy rules read; environment, latency_ms and request_id they do not.
NEEDED: tuple[str, ...] = ("timestamp", "client_id", "operation", "http_status", "error_code",
                           "error_message", "part_number", "order_id", "purchase_order_id")
NEEDED_TEXT: tuple[str, ...] = tuple(c for c in NEEDED if COLUMNS[c] == "text")

# How the generator writes timestamps in CSV and NDJSON (chrono/Polars notation).
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S%.3fZ"

FORMATS: tuple[str, ...] = ("csv", "ndjson", "parquet")

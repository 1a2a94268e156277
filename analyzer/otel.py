"""OpenTelemetry spans as JSON: the Python SDK's console exporter (pretty-printed spans one after
another, or one per line with a compact formatter) and OTLP JSON (`resourceSpans`, as the OTLP
file exporter and the collector's file exporter write it, one request per line or
pretty-printed).

Each span that is an HTTP or RPC call is a record at the line it starts on; other spans
(database calls, internal work) are skipped. HTTP attributes are read under both the old
(`http.method`, `http.status_code`, `http.url`) and the current semantic conventions
(`http.request.method`, `http.response.status_code`, `url.full`); every attribute, resource
attribute and the first recorded exception are kept as columns under their own keys.
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

from analyzer.jsondoc import JsonError, Lines, elements, stream
from analyzer.rawfile import RawFile, from_records, line_count, text_of
from analyzer.sources import Source

# record column -> attribute keys, current convention first
HTTP_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "method": ("http.request.method", "http.method"),
    "status": ("http.response.status_code", "http.status_code", "rpc.grpc.status_code"),
    "url": ("url.full", "http.url", "http.target"),
    "remote_addr": ("client.address", "http.client_ip", "net.sock.peer.addr", "net.peer.ip"),
}
NOT_A_CALL = "span is not an HTTP or RPC call"


def read_otel(source: Source, data: bytes, select) -> RawFile:
    text = text_of(data)
    lines = Lines(text)
    result = RawFile(pl.DataFrame(), line_count(data), [])
    records: list[tuple[int, dict]] = []
    try:
        for offset, value in stream(text):
            if isinstance(value, dict) and "resourceSpans" in value:
                _otlp(text, offset, value, lines, records, result)
            elif isinstance(value, dict):
                _keep(lines.of(offset), console_record(value), records, result)
            else:
                result.reject(lines.of(offset), "JSON value is not a span", str(value)[:200])
    except JsonError as exc:
        line = lines.of(exc.offset)
        result.reject(line, str(exc), _line(text, line))
        result.skipped["line after invalid JSON"] += max(0, result.lines - line)
    return from_records(result, records)


def _line(text: str, number: int) -> str:
    found = text.splitlines()
    return found[number - 1][:200] if 0 < number <= len(found) else ""


def _keep(line: int, record: dict, records: list, result: RawFile) -> None:
    if record.get("method") or record.get("rpc.method") or record.get("url"):
        records.append((line, record))
    else:
        result.skipped[NOT_A_CALL] += 1


def console_record(span: dict) -> dict[str, str | None]:
    """A span as the SDK's `Span.to_json()` writes it."""
    context = span.get("context") or {}
    record = _common(span.get("name"), span.get("kind"), context.get("span_id"),
                     context.get("trace_id"), span.get("start_time"),
                     _duration_iso(span.get("start_time"), span.get("end_time")))
    record["status_code"] = _text((span.get("status") or {}).get("status_code"))
    resource = (span.get("resource") or {}).get("attributes") or {}
    attributes = span.get("attributes") or {}
    exception = next((e.get("attributes") or {} for e in span.get("events") or []
                      if isinstance(e, dict) and e.get("name") == "exception"), {})
    return _with_attributes(record, resource, attributes, exception)


def _otlp(text: str, offset: int, request: dict, lines: Lines, records, result) -> None:
    """Spans of one OTLP export request, each at the line where it starts."""
    for r_offset, resource_spans in elements(text, ["resourceSpans", "*"], offset):
        resource = _otlp_attributes(((resource_spans or {}).get("resource") or {})
                                    .get("attributes"))
        for s_offset, span in elements(text, ["scopeSpans", "*", "spans", "*"], r_offset):
            if not isinstance(span, dict):
                result.reject(lines.of(s_offset), "span is not an object", str(span)[:200])
                continue
            _keep(lines.of(s_offset), otlp_record(span, resource), records, result)


def otlp_record(span: dict, resource: dict[str, str | None]) -> dict[str, str | None]:
    start, end = span.get("startTimeUnixNano"), span.get("endTimeUnixNano")
    record = _common(span.get("name"), span.get("kind"), span.get("spanId"),
                     span.get("traceId"), start, _duration_ns(start, end))
    record["status_code"] = _text((span.get("status") or {}).get("code"))
    exception = next((_otlp_attributes(e.get("attributes")) for e in span.get("events") or []
                      if isinstance(e, dict) and e.get("name") == "exception"), {})
    return _with_attributes(record, resource, _otlp_attributes(span.get("attributes")), exception)


def _common(name, kind, span_id, trace_id, start, duration_ms) -> dict[str, str | None]:
    return {"time": _text(start), "span_name": _text(name), "span_kind": _text(kind),
            "request_id": _text(span_id), "trace": _text(trace_id),
            "duration_ms": duration_ms}


def _duration_ns(start: object, end: object) -> str | None:
    try:
        return str((int(str(end)) - int(str(start))) / 1e6)
    except ValueError:
        return None


def _duration_iso(start: object, end: object) -> str | None:
    try:
        delta = datetime.fromisoformat(str(end)) - datetime.fromisoformat(str(start))
    except ValueError:
        return None
    return str(delta.total_seconds() * 1000)


def _with_attributes(record: dict, resource: dict, attributes: dict, exception: dict) -> dict:
    for source in (resource, attributes, exception):
        for key, value in source.items():
            record[key] = _text(value)
    for column, keys in HTTP_ATTRIBUTES.items():
        record[column] = next((record[k] for k in keys if record.get(k)), None)
    if not record.get("url") and record.get("url.path"):
        query = record.get("url.query")
        record["url"] = record["url.path"] + (f"?{query}" if query else "")
    for key in list(record):
        for kind in ("request", "response"):
            prefix = f"http.{kind}.header."
            if key.startswith(prefix):
                record[f"{kind}_header.{key[len(prefix):].lower()}"] = record[key]
    return record


def _otlp_attributes(items: object) -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and isinstance(item.get("key"), str):
            found[item["key"]] = _any_value(item.get("value") or {})
    return found


def _any_value(value: dict) -> str | None:
    for kind in ("stringValue", "intValue", "doubleValue", "boolValue"):
        if kind in value:
            return _text(value[kind])
    values = (value.get("arrayValue") or {}).get("values")
    if isinstance(values, list) and values:
        return _any_value(values[0] or {})
    return None


def _text(value: object) -> str | None:
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, list):  # header attributes are lists of values: the first one
        return _text(value[0])
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)

"""SOAP exchanges in text logs: zeep's DEBUG transport log (`HTTP Post to <url>:` and `HTTP
Response from <url> (status: 500):` records, each followed by the envelope over several lines)
and raw dumps that write a timestamped line before each request and response envelope.

A record starts at a line that begins with a timestamp and runs until the next one. A request
is joined with the next response to the same address (zeep waits for each answer); the pair is
one row at the request's first line. Records without an envelope (the application's other log
messages) are skipped; an envelope that is not well-formed XML, or a response with no request,
is rejected with the reason.
"""

from __future__ import annotations

import re

import polars as pl

from analyzer.rawfile import RawFile, from_records, line_count, text_of
from analyzer.soapxml import parse_envelope
from analyzer.sources import Source

_START = re.compile(r"^\[?(?P<time>\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?"
                    r"(?:Z|[+-]\d\d:?\d\d)?)\]?")
_ADDRESS = re.compile(r"(?:Post to|Response from|to|from)\s+(?P<url>[a-z]+://\S+?):?(?:\s|$)")
_STATUS = re.compile(r"status[:=]\s*(?P<status>\d{3})", re.IGNORECASE)
_KEY_VALUE = re.compile(r'(?:^|\s)([A-Za-z_][A-Za-z0-9_.-]*)=("[^"]*"|[^\s"]+)')
_IS_RESPONSE = re.compile(r"HTTP Response|\bresponse\b", re.IGNORECASE)
NO_ENVELOPE = "not a SOAP exchange (a log message without an envelope)"


def read_soap(source: Source, data: bytes, select) -> RawFile:
    text = text_of(data)
    result = RawFile(pl.DataFrame(), line_count(data), [])
    records: list[tuple[int, dict]] = []
    waiting: dict[str | None, list[dict]] = {}  # address -> requests without a response yet
    for line, header, body in _log_records(text, result):
        if "<" not in body:
            result.skipped[NO_ENVELOPE] += 1
            continue
        envelope = parse_envelope(body)
        if envelope is None:
            result.reject(line, "not a well-formed SOAP envelope", (header + body)[:200])
            continue
        fields = _header_fields(header)
        if _is_response(header, envelope):
            request = _oldest(waiting, fields.get("url"))
            if request is None:
                result.reject(line, "SOAP response without its request", header[:200])
                continue
            request["response_body"] = body
            request["status"] = fields.get("status") or request.get("status")
            result.skipped["response joined to its request"] += 1
        else:
            record = {**fields, "request_body": body}
            if "HTTP Post" in header:
                record["method"] = "POST"
            waiting.setdefault(fields.get("url"), []).append(record)
            records.append((line, record))
    return from_records(result, records)


def _log_records(text: str, result: RawFile):
    """(first line, header line, the rest) of each timestamped record; lines before the
    first timestamp are skipped."""
    start, header, body = 0, "", []
    for number, line in enumerate(text.split("\n"), start=1):
        if _START.match(line):
            if start:
                yield start, header, "\n".join(body)
            start, header, body = number, line, []
            at = line.find("<")
            if at >= 0:
                header, body = line[:at], [line[at:]]
        elif start:
            body.append(line)
        elif line.strip():
            result.skipped["not a SOAP exchange (no timestamp)"] += 1
        elif number <= result.lines:
            result.skipped["blank line"] += 1
    if start:
        yield start, header, "\n".join(body)


def _header_fields(header: str) -> dict[str, str]:
    fields = {key: value.strip('"') for key, value in _KEY_VALUE.findall(header)}
    fields["time"] = _START.match(header).group("time")  # type: ignore[union-attr]
    address = _ADDRESS.search(header)
    if address:
        fields["url"] = address.group("url")
    status = _STATUS.search(header)
    if status:
        fields["status"] = status.group("status")
    return fields


def _is_response(header: str, envelope) -> bool:
    if _IS_RESPONSE.search(header):
        return True
    return envelope.is_fault or (envelope.operation or "").endswith("Response")


def _oldest(waiting: dict[str | None, list[dict]], url: str | None) -> dict | None:
    queue = waiting.get(url) or (waiting.get(None) if url else None)
    if not queue:
        queue = next((q for q in waiting.values() if q), None)
    return queue.pop(0) if queue else None




"""HAR 1.2 captures, as browsers (Chrome, Firefox, Safari) and proxies or API clients (Charles,
Insomnia) export them: one JSON document, often with a UTF-8 byte-order mark, times with the
capturing machine's own offset, and status 0 for requests that got no response.

Each entry is a record at the line it starts on. Page resources (documents, scripts, styles,
images, fonts) are skipped as not API calls; a status 0 entry is kept as a call that failed,
with its error (`net::ERR_...` or "no response"). Headers become `request_header.<name>` and
`response_header.<name>` columns and bodies `request_body` and `response_body`, which the
mapping profile reads.
"""

from __future__ import annotations

import base64
import binascii

import polars as pl

from analyzer.jsondoc import JsonError, Lines, elements
from analyzer.rawfile import RawFile, from_records, line_count, text_of
from analyzer.sources import Source

PAGE_RESOURCES = {"document", "stylesheet", "script", "image", "font", "media", "manifest",
                  "texttrack", "ping", "preflight", "websocket"}
PAGE_MIME_PREFIXES = ("image/", "font/", "text/css", "text/javascript", "application/javascript",
                      "video/", "audio/")
NOT_API = "not an API call (a page resource: document, script, style, image, font)"


def read_har(source: Source, data: bytes, select) -> RawFile:
    text = text_of(data)
    lines = Lines(text)
    result = RawFile(pl.DataFrame(), line_count(data), [])
    records, ordinals = [], []
    try:
        for ordinal, (offset, entry) in enumerate(elements(text, ["log", "entries", "*"]), 1):
            line = lines.of(offset)
            if not isinstance(entry, dict):
                result.reject(line, "HAR entry is not an object", str(entry)[:200])
            elif _is_page_resource(entry):
                result.skipped[NOT_API] += 1
            else:
                records.append((line, entry_record(entry)))
                ordinals.append(ordinal)
    except JsonError as exc:
        line = lines.of(exc.offset)
        result.reject(line, f"{exc} (a truncated HAR export?)", text.splitlines()[line - 1][:200]
                      if line <= len(text.splitlines()) else "")
        result.skipped["line after invalid JSON"] += max(0, result.lines - line)
    return from_records(result, records, ordinals)


def _is_page_resource(entry: dict) -> bool:
    kind = entry.get("_resourceType")
    if isinstance(kind, str):
        return kind.lower() in PAGE_RESOURCES
    response = entry.get("response") or {}
    mime = str((response.get("content") or {}).get("mimeType") or "").lower()
    # An HTML page that loaded is a page; an HTML error page may be an API's answer.
    page = mime.startswith("text/html") and str(response.get("status")) in ("200", "304")
    return page or mime.startswith(PAGE_MIME_PREFIXES)


def entry_record(entry: dict) -> dict[str, str | None]:
    request = entry.get("request") or {}
    response = entry.get("response") or {}
    status = response.get("status")
    record: dict[str, str | None] = {
        "time": _text(entry.get("startedDateTime")),
        "method": _text(request.get("method")),
        "url": _text(request.get("url")),
        "status": _text(status) if status not in (0, "0", None) else None,
        "duration_ms": _text(entry.get("time")),
        "server_address": _text(entry.get("serverIPAddress")),
        "request_body": _text((request.get("postData") or {}).get("text")),
        "response_body": _content(response.get("content") or {}),
    }
    if status in (0, "0", None):
        # No response: blocked, cancelled or failed. Still a call the client made.
        record["error"] = _text(response.get("_error")) or "no response (HTTP status 0)"
    record.update(_headers("request_header", request.get("headers")))
    record.update(_headers("response_header", response.get("headers")))
    return record


def _headers(prefix: str, headers: object) -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for header in headers if isinstance(headers, list) else []:
        if isinstance(header, dict) and isinstance(header.get("name"), str):
            found.setdefault(f"{prefix}.{header['name'].lower()}", _text(header.get("value")))
    return found


def _content(content: dict) -> str | None:
    body = content.get("text")
    if isinstance(body, str) and content.get("encoding") == "base64":
        try:
            return base64.b64decode(body, validate=False).decode("utf-8", "replace")
        except (binascii.Error, ValueError):
            return None
    return _text(body)


def _text(value: object) -> str | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else str(value)

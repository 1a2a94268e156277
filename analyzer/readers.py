"""Read one log file into a frame of raw values (the file's own columns, or the names a
format's reader gives the parts of a request), keeping the line number of every row and
counting every line that is not a row. Mapping the values onto canonical fields is the next
step's job (`derive`).

Each text format has a fast path (Polars' own reader) and an exact path (line by line in
Python). The fast path is taken only when it provably numbers lines right: no blank lines, one
record per line, and a reader that did not fail. Otherwise the exact path reads the file and
names the reason for every line it cannot use.
"""

from __future__ import annotations

import bisect
import csv
import io
import json
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import replace
from decimal import Decimal
from itertools import chain

import polars as pl

from analyzer.accesslog import read_access_log
from analyzer.compressed import BrokenStream, TooLarge, decompress
from analyzer.errors import InputError
from analyzer.har import read_har
from analyzer.otel import read_otel
from analyzer.rawfile import (  # noqa: F401 - MAX_* are read from here by normalise
    LONE_SURROGATE,
    MAX_VALUE_CHARS,
    RawFile,
    frame_of,
    has_lone_surrogate,
    line_count,
    text_of,
)
from analyzer.schema import SOURCE_LINE
from analyzer.soapdump import read_soap
from analyzer.sources import Source

# What Polars' readers raise on input they cannot read. A damaged Parquet footer can make
# the Rust reader panic, which reaches Python as PanicException, a BaseException that no
# `except Exception` would catch.
POLARS_FAILURES = (pl.exceptions.PolarsError, pl.exceptions.PanicException, OSError,
                   ValueError)
_BLANK_LINE = re.compile(rb"\n[ \t\r]*\n")
_BLANK_START = re.compile(rb"[ \t\r]*\n")
_LONE_CR = re.compile(rb"\r(?!\n)")


def read_bytes(source: Source) -> tuple[bytes, str | None]:
    """The file's bytes, decompressed, and why a compressed stream ended early (its lines
    before the cut are still read); a file that cannot be read at all is an InputError."""
    try:
        data = source.path.read_bytes()
        if source.compression is None:
            return data, None
        return decompress(data, source.compression)
    except OSError as exc:
        raise InputError(f"{source.display}: cannot read: {exc.strerror or exc}") from None
    except BrokenStream as exc:
        raise InputError(f"{source.display}: not a valid {source.compression} file: "
                         f"nothing could be decompressed ({exc})") from None
    except TooLarge as exc:
        raise InputError(f"{source.display}: {exc}, more than any log's compression ratio "
                         f"allows (a decompression bomb?); decompress it yourself if it is "
                         f"genuine") from None


def _utf8(source: Source, data: bytes) -> bytes:
    """UTF-16 text (Windows tools write it, with a byte-order mark) as UTF-8: read as it is,
    every line would hold NUL bytes."""
    if not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data
    try:
        return data.decode("utf-16").encode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{source.display}: starts with a UTF-16 byte-order mark but is not "
                         f"UTF-16 text ({exc.reason} at byte {exc.start:,})") from None


# Given the columns a file has, the ones to read (a reader of a tabular format reads only
# those, which keeps wide exports fast).
Select = Callable[[list[str]], list[str]]


def read(source: Source, select: Select) -> RawFile:
    data, cut = read_bytes(source)
    return read_data(source, data, select, cut)


def read_data(source: Source, data: bytes, select: Select, cut: str | None = None) -> RawFile:
    """The file read whole from its (decompressed) bytes; `cut` is why a compressed stream
    ended early, if it did."""
    data = _utf8(source, data)
    if cut is None:
        return _read_data(source, data, select)
    # The stream broke off: read the whole lines before the break, and count the line it
    # broke off in (possibly empty) as a reject, so the user learns the file is damaged.
    whole = data[: data.rfind(b"\n") + 1]
    result = _read_data(source, whole, select)
    result.lines += 1
    result.reject(result.lines, f"cut off: {cut}", text_of(data[len(whole):]))
    return result


def _read_data(source: Source, data: bytes, select: Select) -> RawFile:
    unusable = _unusable_lines(data) if source.format in LINE_FORMATS else []
    if not unusable:
        return _read_lines(source, data, select)
    return _without(source, data, unusable, select)


# Formats with one record a line, whose lines can be checked before parsing (a HAR capture or
# an OTLP export is one document, often on one line, and is bounded by its nesting instead).
LINE_FORMATS = ("csv", "tsv", "ndjson", "access-log")
MAX_LINE_BYTES = 1 << 20
OVERLONG = f"line longer than {MAX_LINE_BYTES:,} bytes"
NUL = "NUL bytes in the line (a damaged or zero-filled file?)"


def _unusable_lines(data: bytes) -> list[tuple[int, int, str]]:
    """(start, end, reason) of every line no parser should see: longer than MAX_LINE_BYTES,
    or holding NUL bytes (what a crash leaves in a preallocated log)."""
    spans = {start: (start, end, OVERLONG) for start, end in _overlong_lines(data)}
    position = data.find(b"\0")
    while position != -1:
        start = data.rfind(b"\n", 0, position) + 1
        end = data.find(b"\n", position)
        end = len(data) if end == -1 else end
        spans.setdefault(start, (start, end, NUL))
        position = data.find(b"\0", end)
    return sorted(spans.values())


def _overlong_lines(data: bytes) -> list[tuple[int, int]]:
    """(start, end) of every line longer than MAX_LINE_BYTES. Any such line holds a whole
    window of half that size with no newline, so looking for a newline once a window finds
    them all without scanning the file in Python."""
    window = MAX_LINE_BYTES // 2
    spans, position = [], 0
    while len(data) - position >= window:
        if data.find(b"\n", position, position + window) != -1:
            position += window
            continue
        start = data.rfind(b"\n", 0, position) + 1
        end = data.find(b"\n", position)
        end = len(data) if end == -1 else end
        if end - start > MAX_LINE_BYTES:
            spans.append((start, end))
        position = end + 1
    return spans


def _without(source: Source, data: bytes, spans: list[tuple[int, int, str]],
             select: Select) -> RawFile:
    """Read the file without its unusable lines, number what the reader found by the lines
    of the whole file, and count the unusable lines as rejected. The reader never sees them,
    so its own account of the rest stays exact (however it treats the lines around them)."""
    numbers = [data.count(b"\n", 0, start) + 1 for start, _, _ in spans]
    if numbers[0] == 1 and source.format in ("csv", "tsv"):
        raise InputError(f"{source.display}:1: the header line is unusable ({spans[0][2]}); "
                         f"is this a {source.format.upper()} file?")
    pieces, previous = [], 0
    for start, end, _ in spans:
        pieces.append(data[previous:start])
        previous = end + 1  # the line and its "\n"
    pieces.append(data[previous:])
    result = _renumbered(_read_lines(source, b"".join(pieces), select), numbers)
    result.lines += len(spans)
    for number, (start, _, reason) in zip(numbers, spans, strict=True):
        value = data[start:start + MAX_VALUE_CHARS].replace(b"\0", b"\\0")
        result.reject(number, reason, text_of(value))
    return result


def _renumbered(result: RawFile, removed: list[int]) -> RawFile:
    """Line numbers of a file read without the lines `removed` (1-based, sorted), turned back
    into line numbers of the whole file: a line is pushed down by every removed line that
    came before it."""
    # After removing r_i (0-based i), reduced line n is original line n + #{i: r_i - i <= n}.
    shifts = [line - index for index, line in enumerate(removed)]
    original = pl.Series(shifts, dtype=pl.Int64).search_sorted(
        result.frame[SOURCE_LINE], side="right").cast(pl.Int64) + result.frame[SOURCE_LINE]
    result.frame = result.frame.with_columns(original.alias(SOURCE_LINE))
    moved = [replace(e, line=e.line + bisect.bisect_right(shifts, e.line))
             for e in result.examples]
    result.examples[:] = moved
    result.rejects[:] = [replace(e, line=e.line + bisect.bisect_right(shifts, e.line))
                         for e in result.rejects]
    return result


def _read_lines(source: Source, data: bytes, select: Select) -> RawFile:
    if not data.strip():
        # An empty file has no columns to check; it is reported as having no rows.
        lines = line_count(data)
        empty = pl.DataFrame({SOURCE_LINE: pl.Series([], dtype=pl.Int64)})
        return RawFile(empty, lines, [], skipped=Counter({"blank line": lines} if lines else {}))
    reader = READERS[source.format]
    return reader(source, data, select)


def _fast_frame(frame: pl.DataFrame, columns: list[str], first_line: int) -> pl.DataFrame:
    picked = frame.select(columns)
    return picked.with_columns(
        pl.int_range(first_line, first_line + picked.height, dtype=pl.Int64).alias(SOURCE_LINE)
    )


def _has_blank_line(data: bytes) -> bool:
    return bool(_BLANK_START.match(data) or _BLANK_LINE.search(data))


# --- NDJSON -------------------------------------------------------------------------------

def read_ndjson(source: Source, data: bytes, select: Select) -> RawFile:
    return ndjson_lines(data, select(_json_keys(data)))


def ndjson_lines(data: bytes, columns: list[str], first_line: int = 1) -> RawFile:
    """NDJSON lines (a whole file, or a stretch of one starting at `first_line`): with Polars'
    reader when every line gave one record of plain values, else line by line."""
    lines = line_count(data)
    if columns:
        try:
            schema = {src: pl.String for src in columns}
            frame = pl.read_ndjson(io.BytesIO(data), schema=schema)
        except POLARS_FAILURES:
            frame = None
        # Polars skips blank lines, so a count short of the lines means some were blank.
        if (frame is not None and frame.height == lines and not _has_nested(frame, data)
                and not _lone_surrogate_escape(data)):
            return RawFile(_fast_frame(frame, columns, first_line), lines, columns)
    return _read_ndjson_exact(data, columns, lines, first_line)


def _has_nested(frame: pl.DataFrame, data: bytes) -> bool:
    """Whether a value may be a JSON object or array, which Polars writes as text its own
    way; the exact reader writes them as `_json_text` does."""
    if data.count(b"{") == frame.height and b"[" not in data and b"\\u" not in data:
        # One brace a line, each the line's own object, and no escape that could write one:
        # no value starts with a brace or a bracket. Counting bytes is cheaper than looking.
        return False
    text = pl.col(pl.String)
    nested = (text.str.starts_with("{") | text.str.starts_with("[")).any()
    return bool(frame.select(pl.any_horizontal(nested)).item())


# NDJSON has no header: its columns are the keys of a sample of its lines. Loggers often leave
# out empty fields, so a key such as error_code may first appear long after the start (when
# the first errors come): besides the first lines, the sample takes the whole lines of short
# stretches spread through the rest of the file. (Reading every line's keys would cost as much
# as reading the file again.)
KEY_HEAD_BYTES = 4 * 1024 * 1024
KEY_HEAD_LINES = 1000
KEY_STRETCHES = 16
KEY_STRETCH_BYTES = 32 * 1024


def _json_keys(data: bytes) -> list[str]:
    """The keys of an NDJSON file held in memory."""
    head = data[:KEY_HEAD_BYTES]
    spread = (data[at:at + KEY_STRETCH_BYTES] for at in key_stretch_offsets(head, len(data)))
    return json_keys(head, spread)


def key_stretch_offsets(head: bytes, size: int) -> list[int]:
    """Where the sampled stretches start in a file of `size` bytes that begins with `head`:
    spread evenly over what follows the head's first lines."""
    end = 0
    for _ in range(KEY_HEAD_LINES):
        end = head.find(b"\n", end) + 1
        if end == 0:
            return []  # the head's first lines are the whole file
    if end >= size:
        return []
    return [end + (size - end) * i // KEY_STRETCHES for i in range(KEY_STRETCHES)]


def json_keys(head: bytes, stretches: Iterable[bytes]) -> list[str]:
    """Top-level keys of the JSON objects among the head's first lines and the whole lines of
    each stretch (its first and last piece may be parts of lines), in first-seen order."""
    keys: dict[str, None] = {}
    sample = chain(head.split(b"\n")[:KEY_HEAD_LINES],
                   *(stretch.split(b"\n")[1:-1] for stretch in stretches))
    for raw in sample:
        record = _json_object(raw)
        if isinstance(record, dict):
            keys.update(dict.fromkeys(str(k) for k in record))
    return list(keys)


def _json_object(raw: bytes) -> dict | str:
    """The line's JSON object, or the reason it is not one. A key given twice keeps its first
    value, as in Polars' NDJSON reader."""
    try:
        record = json.loads(raw, object_pairs_hook=_first_wins)
    except RecursionError:
        return "JSON nested too deeply"
    except (UnicodeDecodeError, ValueError):
        return "invalid UTF-8" if _not_utf8(raw) else "invalid JSON"
    if not isinstance(record, dict):
        return "JSON value is not an object"
    if _lone_surrogate_escape(raw) and has_lone_surrogate(record):
        return LONE_SURROGATE
    return record


# A \uD800-\uDFFF escape without its other half: text no UTF-8 can hold (json.loads keeps it;
# Polars reads it as something else again). A pair writes a character beyond U+FFFF, and
# both readers read it alike. Looking for any half first is fast (a literal prefix); the
# exact pattern, with its look-around, costs 60 times more and runs only where one is found.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_LONE_SURROGATE_ESCAPE = re.compile(
    rb"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    rb"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}")


def _lone_surrogate_escape(data: bytes) -> bool:
    return bool(_SURROGATE_ESCAPE.search(data) and _LONE_SURROGATE_ESCAPE.search(data))


def _not_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def _read_ndjson_exact(data: bytes, columns: list[str], lines: int,
                       first_line: int = 1) -> RawFile:
    values: dict[str, list] = {src: [] for src in columns}
    numbers: list[int] = []
    result = RawFile(pl.DataFrame(), lines, columns)
    last = first_line + lines - 1
    for number, raw in enumerate(data.split(b"\n"), start=first_line):
        if number > last:
            break
        if not raw.strip():
            result.skipped["blank line"] += 1
            continue
        record = _json_object(raw)
        if isinstance(record, str):
            result.reject(number, record, raw.decode("utf-8", "replace"))
            continue
        numbers.append(number)
        for src, column in values.items():
            column.append(_json_text(record.get(src)))
    result.frame = frame_of(columns, values, numbers)
    return result


def _first_wins(pairs: list[tuple[str, object]]) -> dict:
    return dict(reversed(pairs))


def _json_text(value: object) -> str | None:
    """A JSON value as the text the normaliser parses, written as Polars' NDJSON reader writes
    it, so that both readers give the same rows: booleans as `true`, numbers in their shortest
    exact form without an exponent or a trailing `.0` (`200.0` is `200`, `1e-07` is
    `0.0000001`), objects and arrays as compact JSON."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return repr(value)
        return format(Decimal(repr(value)).normalize(), "f")
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


# --- CSV / TSV ----------------------------------------------------------------------------

def read_delimited(source: Source, data: bytes, select: Select) -> RawFile:
    separator = "\t" if source.format == "tsv" else ","
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if b"\r" in data:
        # Lines end at "\n" (a CRLF is one line end); a CR alone is not a line end, though
        # the csv module and Polars would take it for one and number lines differently.
        data = _LONE_CR.sub(b"\\\\r", data)
    header = _header(data, separator)
    if not any(name.strip() for name in header):
        raise InputError(f"{source.display}:1: the header line is empty; a "
                         f"{source.format.upper()} file starts with its column names")
    columns = select(header)
    lines = line_count(data)
    if len(set(header)) == len(header) and not _has_blank_line(data):
        frame = _polars_csv(data, separator, columns)
        if frame is not None and frame.height == lines - 1:
            return RawFile(_fast_frame(frame, columns, 2), lines, columns,
                           skipped=Counter({"header line": 1}))
    return _read_delimited_exact(data, separator, header, columns, lines)


def _header(data: bytes, separator: str) -> list[str]:
    first = data.split(b"\n", 1)[0].decode("utf-8", "replace")
    return next(csv.reader([first], delimiter=separator), [])


def _polars_csv(data: bytes, separator: str, columns: list[str]) -> pl.DataFrame | None:
    try:
        return pl.read_csv(
            io.BytesIO(data), separator=separator, infer_schema=False,
            columns=columns, truncate_ragged_lines=False, raise_if_empty=False,
        )
    except POLARS_FAILURES:
        return None


def _read_delimited_exact(data: bytes, separator: str, header: list[str],
                          columns: list[str], lines: int) -> RawFile:
    positions = {src: header.index(src) for src in columns}
    values: dict[str, list] = {src: [] for src in columns}
    numbers: list[int] = []
    result = RawFile(pl.DataFrame(), lines, columns)
    text = data.decode("utf-8", "surrogateescape")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    previous = _skip_header(reader)
    result.skipped["header line"] = previous
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            result.reject(previous + 1, f"malformed {'TSV' if separator == chr(9) else 'CSV'}: {exc}")
            previous = reader.line_num
            continue
        number, previous = previous + 1, reader.line_num
        if previous > number:  # a quoted field ran over several lines: one record
            result.skipped["continuation line of a quoted field"] += previous - number
        reason = _row_problem(row, len(header))
        if reason == "blank line":
            result.skipped[reason] += 1
        elif reason:
            result.reject(number, reason, separator.join(row).encode("utf-8", "surrogateescape")
                          .decode("utf-8", "replace"))
        else:
            numbers.append(number)
            for src, column in values.items():
                position = positions[src]
                column.append(row[position] if position < len(row) else None)
    result.frame = frame_of(columns, values, numbers)
    return result


def _skip_header(reader) -> int:
    next(reader, None)
    return reader.line_num


def _row_problem(row: list[str], width: int) -> str | None:
    # Blank as a chunk of a big file sees it (batches._BLANK_CSV): nothing but spaces, tabs
    # and CRs. A quoted empty field or a form feed is a record, as Polars reads it.
    if not row or len(row) == 1 and row[0] != "" and not row[0].strip(" \t\r"):
        return "blank line"
    if len(row) > width:
        return f"more fields than the header ({len(row)} > {width})"
    if any(_has_surrogate(cell) for cell in row):
        return "invalid UTF-8"
    return None


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


# --- Parquet ------------------------------------------------------------------------------

def read_parquet(source: Source, data: bytes, select: Select) -> RawFile:
    try:
        found = list(pl.read_parquet_schema(io.BytesIO(data)))
        columns = select(found)
        frame = pl.read_parquet(io.BytesIO(data), columns=columns)
    except InputError:
        raise
    except pl.exceptions.PanicException as exc:
        raise InputError(f"{source.display}: not a readable Parquet file (damaged: the reader "
                         f"failed on it: {_first_line(exc)})") from None
    except POLARS_FAILURES as exc:
        raise InputError(f"{source.display}: not a readable Parquet file "
                         f"({_first_line(exc)})") from None
    # Parquet has no lines; the row number (from 1) is what a user can find the row by.
    return RawFile(_fast_frame(frame, columns, 1), frame.height, columns)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


READERS: dict[str, Callable[[Source, bytes, Select], RawFile]] = {
    "access-log": read_access_log,
    "har": read_har,
    "otel": read_otel,
    "soap": read_soap,
    "ndjson": read_ndjson,
    "csv": read_delimited,
    "tsv": read_delimited,
    "parquet": read_parquet,
}

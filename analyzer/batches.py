"""Read a log file as a sequence of batches, each a `RawFile` accounting for its own lines, so
that big exports are read in bounded memory. CSV, TSV and NDJSON are cut into chunks at line
breaks (`chunks`) and each chunk is parsed by Polars; Parquet is read a batch of rows at a time.
A file that fits in one chunk, and every other format, is read whole by `readers.read`, as it
always was.

Every batch numbers its rows by their lines in the file, and the batches' accounting adds up to
the file's. A chunk of NDJSON that Polars could misnumber (a blank line, a line that is not a
plain JSON object) is read line by line instead: its lines stand alone. A chunk of CSV cannot
be read on its own like that (a quoted field may run over lines), so when Polars could
misnumber one, `ReadWhole` asks the caller to drop the file's batches and read it whole.
So does a damaged file: a line with NUL bytes or longer than readers.MAX_LINE_BYTES, a
compressed stream cut short or damaged, UTF-16 text, a Parquet file its reader fails on. What
is rejected for damage, and at which line, is then decided in one place (`readers.read`).
"""

from __future__ import annotations

import os
import re
import threading
from collections import Counter, deque
from collections.abc import Callable, Generator, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from queue import Full, Queue
from typing import TypeVar

import polars as pl

from analyzer.chunks import Chunk, ReadWhole, chunks, head, stretches
from analyzer.errors import InputError
from analyzer.rawfile import RawFile
from analyzer.readers import (
    _LONE_CR,
    KEY_HEAD_BYTES,
    KEY_STRETCH_BYTES,
    POLARS_FAILURES,
    Select,
    _fast_frame,
    _has_blank_line,
    _header,
    _overlong_lines,
    _polars_csv,
    _renumbered,
    json_keys,
    key_stretch_offsets,
    ndjson_lines,
    read,
    read_data,
)
from analyzer.sources import Source

# Of text: about 75,000 CSV or 27,000 NDJSON rows. A few chunks are in memory at once (one
# read ahead, one per parser); at 16 MiB, loading 10M CSV rows peaked at 1.07 GB, at 8 MiB
# 0.72-0.77 GB, in the same time.
CHUNK_BYTES = 8 * 1024 * 1024
# At 250k rows, loading 10M Parquet rows peaked at 1.00 GB; at 100k, 0.62 GB (0.79 GB for the
# whole check), in the same time.
PARQUET_BATCH_ROWS = 100_000
_BOM = b"\xef\xbb\xbf"
_BLANK_CSV = re.compile(rb"[ \t\r]*")
_BLANK_TSV = re.compile(rb"[ \r]*")
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
PARSERS = min(os.cpu_count() or 1, 4)  # chunks parsed and typed at once
# Each NDJSON chunk's keys are sampled too (about 1 % of its lines, a millisecond or two), so
# that a key the file's sample missed is found where it first turns up in numbers.
CHUNK_KEY_STRETCHES = 4
CHUNK_KEY_BYTES = 16 * 1024
T = TypeVar("T")


@dataclass(frozen=True)
class Batch:
    raw: RawFile
    consumed: float  # the share of the file read so far, 0 to 1, for progress and estimates


Pending = Callable[[], Batch]  # a batch whose chunk is read, to be parsed by calling it


class MoreColumns(Exception):
    """A chunk of a streamed NDJSON file has keys, mapped to fields, that the file's sample
    missed (a compressed file is sampled at its head only): read the file again with them."""

    def __init__(self, keys: list[str]):
        super().__init__(", ".join(keys))
        self.keys = keys


def read_batches(source: Source, select: Select) -> Iterator[Batch]:
    """The file's records, a batch at a time; may raise ReadWhole before or after yielding."""
    for pending in pending_batches(source, select):
        yield pending()


def pending_batches(source: Source, select: Select, known_keys: Sequence[str] = (),
                    look_for_keys: bool = True) -> Iterator[Pending]:
    """The file's batches in order, each as a function that parses it, so that the chunks are
    read in order and parsed side by side (Polars works outside the interpreter lock); this or
    the functions may raise ReadWhole, and NDJSON MoreColumns unless `look_for_keys` is off
    (`known_keys` are then added to the file's own)."""
    if source.format == "parquet" and source.compression is None:
        yield from map(_ready, _parquet(source, select, PARQUET_BATCH_ROWS))
        return
    if source.format not in ("csv", "tsv", "ndjson"):
        yield _ready(Batch(read(source, select), 1.0))
        return
    pieces = chunks(source, CHUNK_BYTES)
    first = next(pieces, Chunk(b"", 1, 0))
    second = next(pieces, None)
    if second is None:
        yield _ready(Batch(read_data(source, first.data, select), 1.0))
        return
    if first.data.startswith(_UTF16_BOMS):
        # Converted to UTF-8 by the whole reader; rare enough not to convert by the chunk.
        raise ReadWhole
    total = max(_size(source), 1)
    every = _chain(first, second, pieces)
    if source.format == "ndjson":
        keys = list(dict.fromkeys([*_file_json_keys(source, total), *known_keys]))
        yield from _ndjson(every, keys, select, total, look_for_keys)
    else:
        yield from _delimited(every, "\t" if source.format == "tsv" else ",", select, total)


def _file_json_keys(source: Source, size: int) -> list[str]:
    """The keys of an NDJSON file, sampled where `readers._json_keys` samples a file in memory
    (a compressed file: its head only)."""
    first = head(source, KEY_HEAD_BYTES)
    spread = stretches(source, key_stretch_offsets(first, size), KEY_STRETCH_BYTES)
    return json_keys(first, spread)


def read_ahead(batches: Generator[T, None, None]) -> Iterator[T]:
    """The items (batches, or pending batches whose chunks are read), each made in a thread
    while the one before is being worked on: file reads, decompression and Polars run
    outside the interpreter lock, so the two overlap. One item waits at most; errors come
    out where they would have."""
    ready: Queue[tuple[T | None, BaseException | None]] = Queue(maxsize=1)
    stop = threading.Event()

    def hand_over(item: tuple[T | None, BaseException | None]) -> bool:
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.05)
                return True
            except Full:
                continue
        return False

    def produce() -> None:
        try:
            for batch in batches:
                if not hand_over((batch, None)):
                    return
            hand_over((None, None))
        except BaseException as exc:  # noqa: BLE001 - raised again in the consumer
            hand_over((None, exc))
        finally:
            batches.close()

    thread = threading.Thread(target=produce, name="trafficlint-read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            batch, error = ready.get()
            if error is not None:
                raise error
            if batch is None:
                return
            yield batch
    finally:
        stop.set()
        thread.join()


def _ready(batch: Batch) -> Pending:
    return lambda: batch


def _batch(consumed: float, parse: Callable[..., RawFile], *args: object) -> Batch:
    return Batch(parse(*args), consumed)


def in_order(work: Callable[[Pending], T], pending: Iterator[Pending],
             workers: int = PARSERS) -> Iterator[T]:
    """`work` on each pending batch, `workers` at a time, the results in the batches' order;
    an error comes out where its batch would have."""
    if workers <= 1:
        yield from map(work, pending)
        return
    with ThreadPoolExecutor(max_workers=workers) as pool:
        running: deque[Future[T]] = deque()
        try:
            for item in pending:
                if len(running) == workers:
                    yield running.popleft().result()
                running.append(pool.submit(work, item))
            while running:
                yield running.popleft().result()
        finally:
            for future in running:
                future.cancel()


def _chain(first: Chunk, second: Chunk, rest: Iterator[Chunk]) -> Iterator[Chunk]:
    yield _usable(first)
    yield _usable(second)
    for chunk in rest:
        yield _usable(chunk)


def _usable(chunk: Chunk) -> Chunk:
    """The chunk, if no line of it is one the whole reader takes out before parsing (NUL
    bytes, longer than readers.MAX_LINE_BYTES) and counts as rejected; a damaged file is
    read whole, so those lines are numbered and counted in one place."""
    if b"\0" in chunk.data or _overlong_lines(chunk.data):
        raise ReadWhole
    return chunk


def _size(source: Source) -> int:
    try:
        return source.path.stat().st_size
    except OSError:
        return 0


def _share(read_so_far: int, total: int) -> float:
    """How far through the file: bytes of the file read (compressed bytes, for a compressed
    one) over its size."""
    return min(read_so_far / total, 1.0)


# --- NDJSON -------------------------------------------------------------------------------

def _ndjson(pieces: Iterator[Chunk], keys: list[str], select: Select, total: int,
            look_for_keys: bool) -> Iterator[Pending]:
    columns = select(keys)
    for chunk in pieces:
        if look_for_keys:
            _check_keys(chunk.data, keys, columns, select)
        yield partial(_batch, _share(chunk.consumed, total), ndjson_lines, chunk.data, columns,
                      chunk.first_line)


def _check_keys(data: bytes, keys: list[str], columns: list[str], select: Select) -> None:
    """MoreColumns when a sample of the chunk has keys that would add columns."""
    step = max(len(data) // CHUNK_KEY_STRETCHES, 1)
    spread = (data[at:at + CHUNK_KEY_BYTES] for at in range(step, len(data), step))
    new = [key for key in json_keys(data[:CHUNK_KEY_BYTES], spread) if key not in keys]
    if new and select([*keys, *new]) != columns:
        raise MoreColumns([*keys, *new])


# --- CSV / TSV ----------------------------------------------------------------------------

def _delimited(pieces: Iterator[Chunk], separator: str, select: Select,
               total: int) -> Iterator[Pending]:
    first = next(pieces)
    data = _lone_cr(first.data.removeprefix(_BOM))
    line, _, body = data.partition(b"\n")
    header = _header(data, separator)
    if not any(name.strip() for name in header) or len(set(header)) != len(header):
        raise ReadWhole
    columns = select(header)
    header_line = line + b"\n"
    skipped = Counter({"header line": 1})
    yield partial(_batch, _share(first.consumed, total), _csv_chunk, header_line, body,
                  first.lines - 1, separator, columns, 2, skipped)
    for chunk in pieces:
        yield partial(_batch, _share(chunk.consumed, total), _csv_chunk, header_line, chunk.data,
                      chunk.lines, separator, columns, chunk.first_line, Counter())


def _lone_cr(data: bytes) -> bytes:
    """As readers.read_delimited: a CR alone is not a line end. A chunk ends at a "\n", so
    no CRLF is split between two chunks."""
    return _LONE_CR.sub(b"\\\\r", data) if b"\r" in data else data


def _csv_chunk(head: bytes, body: bytes, lines: int, separator: str, columns: list[str],
               first_line: int, skipped: Counter) -> RawFile:
    """A stretch of whole records, through Polars. An odd number of quotes means a quoted
    field runs on into the next chunk; a blank line would be a row of nulls to Polars."""
    body = _lone_cr(body)
    if b'"' in body and body.count(b'"') % 2:
        raise ReadWhole
    total = lines + sum(skipped.values())
    blank = _blank_lines(body, separator) if _has_blank_line(body) else []
    if blank:
        body = _without_lines(body, blank)
        skipped = skipped + Counter({"blank line": len(blank)})
    frame = _polars_csv(head + body, separator, columns)
    if frame is None or frame.height != lines - len(blank):
        raise ReadWhole
    raw = RawFile(_fast_frame(frame, columns, first_line), total, columns, skipped=skipped)
    return _renumbered(raw, [first_line + index for index in blank]) if blank else raw


def _blank_lines(body: bytes, separator: str) -> list[int]:
    """Indexes of the lines that the whole CSV reader skips as blank: nothing but spaces
    and CRs (and tabs, in CSV; in TSV a tab separates two empty fields)."""
    blank = _BLANK_CSV if separator == "," else _BLANK_TSV
    return [index for index, line in enumerate(_lines_of(body)) if blank.fullmatch(line)]


def _without_lines(body: bytes, indexes: list[int]) -> bytes:
    drop = set(indexes)
    kept = [line for index, line in enumerate(_lines_of(body)) if index not in drop]
    return b"".join(line + b"\n" for line in kept)


def _lines_of(body: bytes) -> list[bytes]:
    lines = body.split(b"\n")
    return lines[:-1] if lines[-1] == b"" else lines


# --- Parquet ------------------------------------------------------------------------------

def _parquet(source: Source, select: Select, rows: int) -> Iterator[Batch]:
    try:
        height = pl.scan_parquet(source.path).select(pl.len()).collect().item()
        if height <= rows:
            yield Batch(read(source, select), 1.0)
            return
        columns = select(list(pl.read_parquet_schema(source.path)))
        scan = pl.scan_parquet(source.path).select(columns)
        for done in range(0, height, rows):
            # A slice of its own, not collect_batches: those batches can be views of buffers
            # several batches long, and rows kept from them keep the buffers (1.5 GB instead
            # of 0.8 at 10M rows).
            frame = scan.slice(done, rows).collect()
            # Parquet has no lines; the row number (from 1) is what a user finds a row by.
            batch = RawFile(_fast_frame(frame, columns, done + 1), frame.height, columns)
            yield Batch(batch, (done + frame.height) / height)
    except InputError:
        raise
    except POLARS_FAILURES:
        # Damaged (the reader may panic part way): the whole reader names the damage.
        raise ReadWhole from None

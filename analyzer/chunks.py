"""A log file's bytes in chunks that end at a line break, decompressed on the way, so that a
file of any size is read with bounded memory and every line keeps its number.

A chunk is about `size` bytes long; a line is never split between two chunks (a line longer
than that makes its chunk longer). A file that cannot be opened is an InputError as in
`readers.read_bytes`. A compressed stream that is damaged, cut short or expands like a
decompression bomb raises `ReadWhole`: `readers.read` keeps the lines before the damage and
counts the cut, or names the error, and this keeps no second copy of those rules.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO

import zstandard

from analyzer import compressed
from analyzer.errors import InputError
from analyzer.rawfile import line_count
from analyzer.sources import Source

_COMPRESSED_READ = 1 << 20


class ReadWhole(Exception):
    """The file's batches cannot be trusted to number its lines or account for its damage:
    read it whole instead."""


@dataclass(frozen=True)
class Chunk:
    data: bytes
    first_line: int  # the number of its first line in the file, from 1
    lines: int
    # Bytes of the file itself read so far: of a compressed file, the compressed bytes, so that
    # consumed / file size is how far through the file this chunk is.
    consumed: int = 0


def chunks(source: Source, size: int) -> Iterator[Chunk]:
    """The file's (decompressed) bytes in order, each chunk ending with a line break except
    perhaps the file's last."""
    with _guarded(source), source.path.open("rb") as raw:
        carry, first_line = b"", 1
        for block in _blocks(source, raw, size):
            cut = block.rfind(b"\n") + 1
            if cut == 0:  # no line break yet: a line longer than a chunk
                carry += block
                continue
            # One copy at most: a slice of the whole block is the block itself.
            data = carry + block[:cut] if carry else block[:cut]
            carry = block[cut:]
            chunk = Chunk(data, first_line, data.count(b"\n"), raw.tell())
            first_line += chunk.lines
            yield chunk
        if carry:
            yield Chunk(carry, first_line, line_count(carry), raw.tell())


def head(source: Source, size: int) -> bytes:
    """The first `size` (decompressed) bytes of the file."""
    with _guarded(source), source.path.open("rb") as raw:
        return next(_blocks(source, raw, size), b"")[:size]


def stretches(source: Source, offsets: list[int], size: int) -> list[bytes]:
    """`size` bytes from each offset of an uncompressed file; none from a compressed one,
    which cannot be read from the middle without decompressing all that comes before."""
    if source.compression is not None:
        return []
    with _guarded(source), source.path.open("rb") as raw:
        return [_read_at(raw, at, size) for at in offsets]


def _read_at(raw: IO[bytes], at: int, size: int) -> bytes:
    raw.seek(at)
    return raw.read(size)


def _blocks(source: Source, raw: IO[bytes], size: int) -> Iterator[bytes]:
    """The file's (decompressed) bytes in blocks of at least `size` bytes, the last one
    perhaps shorter."""
    if source.compression is None:
        while block := raw.read(size):
            yield block
        return
    limit = max(compressed.MIN_LIMIT, compressed.MAX_RATIO * source.path.stat().st_size)
    parts: list[bytes] = []
    held = total = 0
    for part in _decompressed(raw, source.compression):
        parts.append(part)
        held += len(part)
        total += len(part)
        if total > limit:
            raise ReadWhole  # the whole reader refuses it, naming the limit
        if held >= size:
            yield b"".join(parts)
            parts, held = [], 0
    if parts:
        yield b"".join(parts)


def _decompressed(raw: IO[bytes], kind: str) -> Iterator[bytes]:
    """A gzip or zstd stream decompressed as `compressed.decompress` does it: members or frames
    back to back, zero padding after one ignored. Where it would report a cut or damage (it
    keeps the lines before it), ReadWhole."""
    def fresh():
        if kind == "gzip":
            return zlib.decompressobj(wbits=31)
        return zstandard.ZstdDecompressor().decompressobj()

    stream, pending = fresh(), b""
    while piece := pending or raw.read(_COMPRESSED_READ):
        pending = b""
        if stream is None:  # between members: zero padding, or the next member
            piece = piece.lstrip(b"\0")
            if not piece:
                continue
            stream = fresh()
        if out := stream.decompress(piece):
            yield out
        if stream.eof:
            pending, stream = stream.unused_data, None
    if stream is not None:  # the stream ends inside a member
        raise ReadWhole


@contextmanager
def _guarded(source: Source) -> Iterator[None]:
    try:
        yield
    except (zlib.error, zstandard.ZstdError):
        raise ReadWhole from None
    except OSError as exc:
        raise InputError(f"{source.display}: cannot read: {exc.strerror or exc}") from None

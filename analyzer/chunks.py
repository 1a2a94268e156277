"""A log file's bytes in chunks that end at a line break, decompressed on the way, so that a
file of any size is read with bounded memory and every line keeps its number.

A chunk is about `size` bytes long; a line is never split between two chunks (a line longer
than that makes its chunk longer). Errors are reported as `readers.read_bytes` reports them.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO

import zstandard

from analyzer.errors import InputError
from analyzer.rawfile import line_count
from analyzer.sources import Source


@dataclass(frozen=True)
class Chunk:
    data: bytes
    first_line: int  # the number of its first line in the file, from 1
    lines: int


def chunks(source: Source, size: int) -> Iterator[Chunk]:
    """The file's (decompressed) bytes in order, each chunk ending with a line break except
    perhaps the file's last."""
    with _guarded(source), _opened(source) as stream:
        carry, first_line = b"", 1
        while block := _read(stream, size):
            cut = block.rfind(b"\n") + 1
            if cut == 0:  # no line break yet: a line longer than a chunk
                carry += block
                continue
            # One copy at most: a slice of the whole block is the block itself.
            data = carry + block[:cut] if carry else block[:cut]
            carry = block[cut:]
            chunk = Chunk(data, first_line, data.count(b"\n"))
            first_line += chunk.lines
            yield chunk
        if carry:
            yield Chunk(carry, first_line, line_count(carry))


def head(source: Source, size: int) -> bytes:
    """The first `size` (decompressed) bytes of the file."""
    with _guarded(source), _opened(source) as stream:
        return _read(stream, size)


def _read(stream: IO[bytes], size: int) -> bytes:
    """Up to `size` bytes; less only at the end (a zstd stream returns a frame at a time)."""
    parts, wanted = [], size
    while wanted > 0:
        part = stream.read(wanted)
        if not part:
            break
        parts.append(part)
        wanted -= len(part)
    return b"".join(parts)


@contextmanager
def _opened(source: Source) -> Iterator[IO[bytes]]:
    with source.path.open("rb") as raw:
        if source.compression == "gzip":
            with gzip.GzipFile(fileobj=raw) as stream:
                yield stream
        elif source.compression == "zstd":
            # read_across_frames: `zstd` and log rotators can write several frames back to back.
            decompressor = zstandard.ZstdDecompressor()
            with decompressor.stream_reader(raw, read_across_frames=True) as stream:
                yield stream
        else:
            yield raw


@contextmanager
def _guarded(source: Source) -> Iterator[None]:
    try:
        yield
    except OSError as exc:
        raise InputError(f"{source.display}: cannot read: {exc.strerror or exc}") from None
    except (EOFError, zlib.error) as exc:
        raise InputError(f"{source.display}: not a valid gzip file ({exc})") from None
    except zstandard.ZstdError as exc:
        raise InputError(f"{source.display}: not a valid zstd file ({exc})") from None

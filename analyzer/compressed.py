"""Decompress a gzip or zstd log, keeping what decompressed when the stream is cut short or
damaged part way (a copy interrupted, a disk that filled up): the lines before the damage are
still the client's traffic. A stream that gives nothing at all, or that expands far beyond
any log's compression ratio (a decompression bomb), is an error.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import Any

import zstandard

CHUNK = 1 << 14  # what a damaged chunk loses at most
# Logs compress 5-20x with gzip and up to ~100x with zstd; a bomb expands thousands of times.
MAX_RATIO = 1000
MIN_LIMIT = 1 << 30  # whatever the ratio, a small file may expand to 1 GiB


class BrokenStream(ValueError):
    """Nothing usable came out of the stream."""


class TooLarge(ValueError):
    """The stream expands beyond the limit."""


def decompress(data: bytes, kind: str) -> tuple[bytes, str | None]:
    """The decompressed bytes, and why the stream ended early (None when it ended cleanly)."""
    limit = max(MIN_LIMIT, MAX_RATIO * len(data))
    if kind == "gzip":
        out, problem = _members(data, limit, kind, lambda: zlib.decompressobj(wbits=31),
                                zlib.error)
    else:
        out, problem = _members(data, limit, kind,
                                lambda: zstandard.ZstdDecompressor().decompressobj(),
                                zstandard.ZstdError)
    if problem is not None and not out:
        raise BrokenStream(problem)
    return out, problem


def _members(data: bytes, limit: int, kind: str, new_stream: Callable[[], Any],
             error: type[Exception]) -> tuple[bytes, str | None]:
    """Decompress members (gzip) or frames (zstd) written back to back, as rotated logs
    hold them, in chunks, so that everything before a damaged chunk is kept."""
    parts: list[bytes] = []
    size = 0
    rest = data
    while rest:
        stream = new_stream()
        for start in range(0, len(rest), CHUNK):
            try:
                piece = stream.decompress(rest[start:start + CHUNK])
            except error as exc:
                return b"".join(parts), f"{kind} data is corrupt after this point ({exc})"
            parts.append(piece)
            size += len(piece)
            if size > limit:
                raise TooLarge(f"decompresses to more than {limit:,} bytes")
            if stream.eof:
                rest = stream.unused_data + rest[start + CHUNK:]
                break
        else:
            return b"".join(parts), f"the {kind} stream ends early (a truncated file?)"
        rest = rest.lstrip(b"\0")  # zero padding after the last member
    return b"".join(parts), None

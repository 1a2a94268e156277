"""Find JSON records inside a document and the line each starts on, so that evidence from a
pretty-printed HAR capture or span dump points at the right line of the file.

`elements` walks a document down a path of keys (`*` for every element of an array) and
decodes only what it yields; `stream` reads JSON values written one after another (one per
line, or pretty-printed, as OpenTelemetry's console exporter does).
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Iterator
from json.decoder import scanstring

_DECODER = json.JSONDecoder()
_SPACE = " \t\r\n"


class JsonError(ValueError):
    def __init__(self, offset: int, message: str):
        self.offset = offset
        super().__init__(message)


class Lines:
    """Offsets -> 1-based line numbers."""

    def __init__(self, text: str):
        self.starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]

    def of(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset)


def _skip(text: str, index: int) -> int:
    while index < len(text) and text[index] in _SPACE:
        index += 1
    return index


def _decode(text: str, index: int) -> tuple[object, int]:
    try:
        return _DECODER.raw_decode(text, index)
    except json.JSONDecodeError as exc:
        raise JsonError(exc.pos, f"invalid JSON ({exc.msg})") from None
    except RecursionError:
        raise JsonError(index, "JSON nested too deeply") from None


def _expect(text: str, index: int, char: str) -> int:
    index = _skip(text, index)
    if index >= len(text) or text[index] != char:
        found = text[index] if index < len(text) else "end of file"
        raise JsonError(index, f"invalid JSON (expected {char!r}, found {found!r})")
    return index + 1


def elements(text: str, path: list[str], index: int = 0) -> Iterator[tuple[int, object]]:
    """(offset, value) of every value at `path` below the value that starts at `index`."""
    index = _skip(text, index)
    if not path:
        yield index, _decode(text, index)[0]
        return
    step, rest = path[0], path[1:]
    if step == "*":
        yield from _array(text, index, rest)
    else:
        yield from _member(text, index, step, rest)


def _array(text: str, index: int, rest: list[str]) -> Iterator[tuple[int, object]]:
    index = _expect(text, index, "[")
    index = _skip(text, index)
    if index < len(text) and text[index] == "]":
        return
    while True:
        index = _skip(text, index)
        if rest:
            yield from elements(text, rest, index)
            index = _skip(text, _end(text, index))
        else:
            value, end = _decode(text, index)
            yield index, value
            index = _skip(text, end)
        if index < len(text) and text[index] == "]":
            return
        index = _expect(text, index, ",")


def _end(text: str, index: int) -> int:
    return _decode(text, index)[1]


def _member(text: str, index: int, key: str, rest: list[str]) -> Iterator[tuple[int, object]]:
    index = _expect(text, index, "{")
    while True:
        index = _skip(text, index)
        if index < len(text) and text[index] == "}":
            return
        index = _expect(text, index, '"')
        try:
            name, index = scanstring(text, index)
        except json.JSONDecodeError as exc:
            raise JsonError(exc.pos, f"invalid JSON ({exc.msg})") from None
        index = _skip(text, _expect(text, index, ":"))
        if name == key:
            yield from elements(text, rest, index)
            return
        index = _skip(text, _end(text, index))
        if index < len(text) and text[index] == "}":
            return
        index = _expect(text, index, ",")


def stream(text: str) -> Iterator[tuple[int, object]]:
    """(offset, value) of JSON values written one after another; JsonError where one breaks."""
    index = _skip(text, 0)
    while index < len(text):
        value, end = _decode(text, index)
        yield index, value
        index = _skip(text, end)

"""What a reader gives back for one file: its records as a frame of raw text columns with the
line number of each, and an account of every line that is not a record (rejected with a
reason, or skipped with a reason)."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field

import polars as pl

from analyzer.model import RejectExample
from analyzer.schema import SOURCE_LINE

MAX_EXAMPLES_PER_REASON = 3
MAX_VALUE_CHARS = 200
MAX_REJECT_CHARS = 16384


@dataclass
class RawFile:
    """A file's records (raw values under the file's own column names, or the names a format's
    reader gives them) with what happened to the lines that are not records. Every rejected
    line is kept with its reason and text, for `--rejects`; reports show the first of each."""

    frame: pl.DataFrame
    lines: int
    columns: list[str]
    rejected: Counter = field(default_factory=Counter)
    skipped: Counter = field(default_factory=Counter)
    examples: list[RejectExample] = field(default_factory=list)
    rejects: list[RejectExample] = field(default_factory=list)

    def reject(self, line: int, reason: str, value: str = "") -> None:
        if self.rejected[reason] < MAX_EXAMPLES_PER_REASON:
            self.examples.append(RejectExample(line, reason, clip(value)))
        self.rejects.append(RejectExample(line, reason, clip_reject(value)))
        self.rejected[reason] += 1


def clip_reject(value: str) -> str:
    """A rejected line as `--rejects` keeps it: whole, up to a bound that a 50 MB line
    cannot blow up."""
    return value if len(value) <= MAX_REJECT_CHARS else value[:MAX_REJECT_CHARS] + "…"


def clip(value: str) -> str:
    return value if len(value) <= MAX_VALUE_CHARS else value[:MAX_VALUE_CHARS] + "…"


def frame_of(columns: list[str], values: dict[str, list], lines: list[int]) -> pl.DataFrame:
    """A frame of text columns and the line number of each row."""
    data = {name: pl.Series(name, values[name], dtype=pl.String) for name in columns}
    data[SOURCE_LINE] = pl.Series(SOURCE_LINE, lines, dtype=pl.Int64)
    return pl.DataFrame(data)


def line_count(data: bytes) -> int:
    return data.count(b"\n") + (0 if not data or data.endswith(b"\n") else 1)


INSIDE_RECORD = "line inside a multi-line record"
LONE_SURROGATE = "invalid JSON string: a lone UTF-16 surrogate escape"
_SURROGATE = re.compile("[\ud800-\udfff]")


def has_lone_surrogate(record: object) -> bool:
    """Whether a value json.loads gave holds a lone surrogate: JSON allows one escaped, no
    UTF-8 text can hold it."""
    try:
        json.dumps(record, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _without_lone_surrogates(result: RawFile, records: list, ordinals: list[int] | None):
    """The records but those holding a lone surrogate, each counted as rejected."""
    bad = {index for index, (_, record) in enumerate(records) if has_lone_surrogate(record)}
    if not bad:
        return records, ordinals
    for index in sorted(bad):
        line, record = records[index]
        result.reject(line, LONE_SURROGATE, _SURROGATE.sub("\ufffd", str(record)))
    kept = [record for index, record in enumerate(records) if index not in bad]
    kept_ordinals = None if ordinals is None else [
        ordinal for index, ordinal in enumerate(ordinals) if index not in bad]
    return kept, kept_ordinals


def from_records(result: RawFile, records: list[tuple[int, dict[str, str | None]]],
                 ordinals: list[int] | None = None) -> RawFile:
    """Fill `result` with records (each the line it starts on, and its values by column), and
    count every line the records span beyond their first as skipped, so the lines of a
    pretty-printed or multi-line format still add up. `ordinals` number the records among
    all those in the file (skipped ones too), for files with several records on a line."""
    records, ordinals = _without_lone_surrogates(result, records, ordinals)
    columns = list(dict.fromkeys(key for _, record in records for key in record))
    values = {name: [record.get(name) for _, record in records] for name in columns}
    lines = [line for line, _ in records]
    if len(set(lines)) < len(lines):
        # Several records on one line (a HAR written on one line, OTLP requests of many
        # spans): a line number would not find a record, its number in the file does.
        lines = ordinals or list(range(1, len(records) + 1))
    result.frame = frame_of(columns, values, lines)
    result.columns = columns
    accounted = len(records) + sum(result.rejected.values()) + sum(result.skipped.values())
    if result.lines > accounted:
        result.skipped[INSIDE_RECORD] += result.lines - accounted
    # A HAR or OTLP export written on one line holds many records per line: then the count
    # read is of records, so that every one is still a row, a reject or a skip.
    result.lines = max(result.lines, accounted)
    return result


def text_of(data: bytes) -> str:
    """Decoded text without a byte-order mark; undecodable bytes shown as U+FFFD."""
    return data.decode("utf-8-sig", "replace")

"""`trafficlint inspect`: the dry run. For each file, how it would be read (format and mapping
profile, and why that profile), which canonical fields were found and where from, how many
rows, the time span, and what was rejected or skipped, with examples. No rule runs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import polars as pl

from analyzer.loading import LoadOptions, load_one
from analyzer.model import FileStats, iso
from analyzer.render import json_text, terminal_safe
from analyzer.schema import FIELDS
from analyzer.sources import expand


@dataclass(frozen=True)
class Inspection:
    stats: FileStats
    why: str  # how the profile was chosen
    fields: tuple[tuple[str, str, int], ...]  # canonical field, where from, rows with a value
    first: datetime | None
    last: datetime | None
    clients: int

    def to_dict(self) -> dict[str, Any]:
        data = self.stats.to_dict()
        data.pop("columns")
        return {**data, "profile_reason": self.why,
                "fields": {name: {"from": source, "rows": rows}
                           for name, source, rows in self.fields},
                "time_span": {"first": iso(self.first), "last": iso(self.last)},
                "clients": self.clients}


def inspect_paths(paths: list[str], options: LoadOptions) -> tuple[list[Inspection], list[str]]:
    """One inspection per file, and the files in directories that are not logs."""
    sources, ignored = expand(paths, options.input_format)
    found = []
    for source in sources:
        mapped, done, stats, _ = load_one(source, options)
        frame = done.frame
        where = dict(stats.columns)
        counts = frame.select([pl.col(f.name).is_not_null().sum() for f in FIELDS]).row(0) \
            if frame.height else (0,) * len(FIELDS)
        fields = tuple((f.name, where[f.name], n) for f, n in zip(FIELDS, counts, strict=True)
                       if f.name in where)
        span = frame.select(pl.col("timestamp").min().alias("a"),
                            pl.col("timestamp").max().alias("b")).row(0) \
            if frame.height else (None, None)
        clients = frame["client_id"].n_unique() if frame.height else 0
        found.append(Inspection(stats, mapped.why, fields, span[0], span[1], clients))
    return found, ignored


def inspect_json(found: list[Inspection], ignored: list[str]) -> str:
    data = {"files": [i.to_dict() for i in found], "ignored_files": ignored}
    return json_text(data)


def inspect_text(found: list[Inspection], ignored: list[str]) -> str:
    lines: list[str] = []
    for item in found:
        lines += _file_text(item) + [""]
    if ignored:
        lines.append("not logs, ignored: " + ", ".join(terminal_safe(p) for p in ignored))
    return "\n".join(lines).rstrip("\n") + "\n"


def _file_text(item: Inspection) -> list[str]:
    s = item.stats
    out = [terminal_safe(s.file),
           f"  format   {s.format}",
           f"  profile  {s.profile} ({item.why})",
           f"  lines    {s.lines:,}: {s.rows:,} rows, {s.rejected_total:,} rejected, "
           f"{s.skipped_total:,} skipped",
           f"  time     {_when(item.first)} to {_when(item.last)} UTC, "
           f"{item.clients:,} client{'s' if item.clients != 1 else ''}",
           "  fields"]
    width = max((len(name) for name, _, _ in item.fields), default=0)
    out += [f"    {name:<{width}}  {terminal_safe(source)}  ({rows:,} of {s.rows:,} rows)"
            for name, source, rows in item.fields]
    missing = [f.name for f in FIELDS if f.name not in {n for n, _, _ in item.fields}]
    if missing:
        out.append(f"    not found: {', '.join(missing)}")
    for title, counts in (("rejected", s.rejected), ("skipped", s.skipped)):
        if counts:
            out.append(f"  {title}")
            out += [f"    {terminal_safe(reason)}: {n:,}" for reason, n in counts]
    if s.examples:
        out.append("  examples")
        out += [f"    line {e.line}: {terminal_safe(e.reason)}"
                + (f": {terminal_safe(e.value)}" if e.value else "") for e in s.examples]
    return out


def _when(moment: datetime | None) -> str:
    return iso(moment)[:19].replace("T", " ") if moment else "-"

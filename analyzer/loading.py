"""Load every input file into one frame of canonical rows, with an account of every line."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

import polars as pl

from analyzer.errors import InputError
from analyzer.model import ClientTraffic, FileStats, Inputs
from analyzer.normalise import normalise
from analyzer.readers import read
from analyzer.schema import frame_schema
from analyzer.sources import Source, expand


@dataclass(frozen=True)
class LoadOptions:
    aliases: Mapping[str, list[str]]
    default_client: str
    timezone: str | None = None
    input_format: str | None = None


@dataclass(frozen=True)
class Loaded:
    frame: pl.DataFrame
    inputs: Inputs


def load(paths: list[str], options: LoadOptions) -> Loaded:
    sources, ignored = expand(paths, options.input_format)
    frames, stats = [], []
    for source in sources:
        frame, file_stats = _load_file(source, options)
        frames.append(frame)
        stats.append(file_stats)
    frame = pl.concat(frames) if frames else pl.DataFrame(schema=frame_schema())
    if frame.is_empty():
        raise InputError(_nothing_to_analyse(stats))
    return Loaded(frame, _inputs(frame, stats, ignored))


def _load_file(source: Source, options: LoadOptions) -> tuple[pl.DataFrame, FileStats]:
    raw = read(source, options.aliases)
    done = normalise(raw.frame, source.display, options.default_client, options.timezone)
    rejected = raw.rejected + done.rejected
    examples = sorted([*raw.examples, *done.examples], key=lambda e: (e.line, e.reason))
    stats = FileStats(
        file=source.display,
        format=source.format + (f"+{source.compression}" if source.compression else ""),
        lines=raw.lines,
        rows=done.frame.height,
        rejected=_sorted(rejected),
        skipped=_sorted(raw.skipped),
        examples=tuple(examples),
        columns=tuple(sorted(raw.columns.items())),
    )
    return done.frame, stats


def _sorted(counts: Counter) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(counts.items()))


def _inputs(frame: pl.DataFrame, stats: list[FileStats], ignored: list[str]) -> Inputs:
    span = frame.select(pl.col("timestamp").min().alias("a"), pl.col("timestamp").max().alias("b"))
    return Inputs(tuple(stats), tuple(ignored), span.item(0, "a"), span.item(0, "b"),
                  client_traffic(frame))


def failed_call() -> pl.Expr:
    """A call the provider counts as an error: a fault code, or an HTTP error status."""
    return pl.col("error_code").is_not_null() | (pl.col("http_status") >= 400).fill_null(False)


def client_traffic(frame: pl.DataFrame) -> tuple[ClientTraffic, ...]:
    """Calls and errors per client: the denominator every per-client number is read against."""
    per_client = frame.group_by("client_id").agg(
        pl.len().alias("calls"), failed_call().sum().alias("errors"),
        pl.col("timestamp").min().alias("first"), pl.col("timestamp").max().alias("last"),
    ).sort("client_id")
    return tuple(ClientTraffic(*row) for row in per_client.iter_rows())


def _nothing_to_analyse(stats: list[FileStats]) -> str:
    lines = sum(s.lines for s in stats)
    reasons: Counter = Counter()
    for s in stats:
        reasons.update(dict(s.rejected))
        reasons.update(dict(s.skipped))
    detail = "; ".join(f"{reason}: {n}" for reason, n in sorted(reasons.items()))
    files = ", ".join(s.file for s in stats)
    return (f"no rows to analyse in {files} ({lines} lines"
            + (f"; {detail}" if detail else "; the files are empty") + ")")

"""Load every input file into one frame of canonical rows, with an account of every line: read
the file's records, map them onto canonical fields with a profile (the one named, or the first
that fits), type them, and drop records an overlapping export already gave."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, replace

import polars as pl

from analyzer.derive import Derived, coverage, derive
from analyzer.errors import InputError
from analyzer.mapping import resolve_columns
from analyzer.model import ClientTraffic, FileStats, Inputs, RejectedLine
from analyzer.normalise import Normalised, normalise
from analyzer.profiles import Profile, builtin_profiles
from analyzer.progress import SILENT, Progress
from analyzer.rawfile import RawFile
from analyzer.readers import read
from analyzer.schema import REQUIRED, SOURCE_FILE, frame_schema
from analyzer.sources import Source, expand

DETECTION_SAMPLE = 1000
DUPLICATE = "duplicate of an earlier record (same request_id, time and operation)"


@dataclass(frozen=True)
class LoadOptions:
    aliases: Mapping[str, list[str]]
    default_client: str
    timezone: str | None = None
    input_format: str | None = None
    profile: Profile | None = None  # None: choose per file


@dataclass(frozen=True)
class Loaded:
    frame: pl.DataFrame
    inputs: Inputs
    rejects: tuple[RejectedLine, ...] = ()


@dataclass(frozen=True)
class FileLoad:
    """One file read and mapped, before typing: what `inspect` shows."""

    source: Source
    raw: RawFile
    profile: Profile
    why: str  # how the profile was chosen
    derived: Derived


def load(paths: list[str], options: LoadOptions, progress: Progress = SILENT) -> Loaded:
    sources, ignored = expand(paths, options.input_format)
    sizes = [_size(source) for source in sources]
    progress.stage("reading logs", sum(sizes))
    frames, stats, rejects = [], [], []
    for source, size in zip(sources, sizes, strict=True):
        frame, file_stats, file_rejects = _load_file(source, options)
        frames.append(frame)
        stats.append(file_stats)
        rejects.extend(file_rejects)
        progress.advance(size)
    frame = pl.concat(frames) if frames else pl.DataFrame(schema=frame_schema())
    frame, stats = drop_duplicates(frame, stats)
    if frame.is_empty():
        raise InputError(_nothing_to_analyse(stats))
    return Loaded(frame, _inputs(frame, stats, ignored), tuple(rejects))


def read_and_map(source: Source, options: LoadOptions) -> FileLoad:
    """Read one file and map it onto canonical fields; InputError when no profile gives it a
    timestamp and an operation."""
    forced = options.profile
    raw = read(source, lambda found: _columns_to_read(found, options.aliases, forced))
    if forced is not None:
        profile, why = forced, "named with --profile or profile:"
    else:
        profile, why = choose_profile(raw, options.aliases)
    derived = derive(raw.frame, profile, options.aliases)
    missing = [name for name in REQUIRED if name not in derived.columns]
    if missing and (raw.columns or raw.frame.height):  # an empty file is counted as such
        raise InputError(_missing(source, raw.columns, missing, profile.name != "canonical"))
    return FileLoad(source, raw, profile, why, derived)


def _load_file(source: Source, options: LoadOptions):
    mapped, done, stats, rejects = load_one(source, options)
    return done.frame, stats, rejects


def load_one(source: Source, options: LoadOptions
             ) -> tuple[FileLoad, Normalised, FileStats, list[RejectedLine]]:
    """Read, map and type one file: its rows, its accounting and every rejected line."""
    mapped = read_and_map(source, options)
    raw = mapped.raw
    done = normalise(mapped.derived.frame, source.display, options.default_client,
                     options.timezone)
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
        columns=tuple(sorted(mapped.derived.columns.items())),
        profile=mapped.profile.name,
    )
    every = sorted([*raw.rejects, *done.rejects], key=lambda e: (e.line, e.reason))
    rejects = [RejectedLine(source.display, e.line, e.reason, e.value) for e in every]
    return mapped, done, stats, rejects


def _columns_to_read(found: list[str], aliases: Mapping[str, list[str]],
                     forced: Profile | None) -> list[str]:
    """Only the canonical columns when their names alone give a timestamp and an operation
    (the common, fast case); every column when a profile has to derive fields from them."""
    if forced is None or forced.name == "canonical":
        by_name = resolve_columns(found, aliases)
        if all(name in by_name for name in REQUIRED):
            return list(dict.fromkeys(by_name.values()))
    return list(dict.fromkeys(found))


def choose_profile(raw: RawFile, aliases: Mapping[str, list[str]]) -> tuple[Profile, str]:
    """The first profile, in priority order, that gives at least half of the first records a
    timestamp and an operation without guessing routes; then the profiles that only guess
    them (a profile with routes of its own is chosen by its routes, not by guesses)."""
    sample = raw.frame.head(DETECTION_SAMPLE)
    profiles = builtin_profiles()
    best: tuple[float, Profile | None] = (0.0, None)
    for infer in (False, True):
        for profile in profiles:
            if infer and (profile.routes or not profile.infer_routes):
                continue
            share = coverage(derive(sample, profile, aliases, infer=infer))
            if share >= 0.5:
                return profile, (f"detected: {share:.0%} of the first {sample.height:,} records "
                                 f"have a timestamp and an operation")
            best = max(best, (share, profile), key=lambda pair: pair[0])
    if best[1] is not None and best[0] > 0:
        return best[1], (f"detected, weakly: only {best[0]:.0%} of the first {sample.height:,} "
                         f"records have a timestamp and an operation")
    return profiles[0], "no profile fits; the canonical column names are expected"


def _missing(source: Source, found: list[str], missing: list[str], profiled: bool) -> str:
    shown = ", ".join(found[:40]) + (" ..." if len(found) > 40 else "") if found else "none"
    hint = (" or choose a mapping profile with --profile (see `trafficlint profiles`)"
            if profiled else "")
    return (f"{source.display}: missing required column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)} (columns found: {shown}); name yours under `fields:` in "
            f"trafficlint.yaml, e.g. fields: {{{missing[0]}: [your_column]}}{hint}")


def drop_duplicates(frame: pl.DataFrame, stats: list[FileStats]
                    ) -> tuple[pl.DataFrame, list[FileStats]]:
    """Overlapping exports give the same call twice: a record with the request_id, time and
    operation of an earlier one (files in name order, lines in order) is skipped and counted."""
    if frame.is_empty() or frame["request_id"].null_count() == frame.height:
        return frame, stats
    key = pl.struct("request_id", "timestamp", "operation")
    repeat = pl.col("request_id").is_not_null() & ~key.is_first_distinct()
    marked = frame.with_columns(_repeat=repeat)
    counts = dict(marked.filter("_repeat").group_by(SOURCE_FILE).len().iter_rows())
    if not counts:
        return frame, stats
    kept = marked.filter(~pl.col("_repeat")).drop("_repeat")
    return kept, [_less(s, counts.get(s.file, 0)) for s in stats]


def _less(stats: FileStats, duplicates: int) -> FileStats:
    if not duplicates:
        return stats
    skipped = Counter(dict(stats.skipped))
    skipped[DUPLICATE] += duplicates
    return replace(stats, rows=stats.rows - duplicates, skipped=_sorted(skipped))


def _size(source: Source) -> int:
    try:
        return source.path.stat().st_size
    except OSError:
        return 0  # the reader reports what is wrong with the file


def _sorted(counts: Counter) -> tuple[tuple[str, int], ...]:
    return tuple(sorted((reason, n) for reason, n in counts.items() if n))


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
    return (f"no rows to analyse in {files} ({lines} line{'' if lines == 1 else 's'}"
            + (f"; {detail}" if detail else "; the files are empty") + ")")


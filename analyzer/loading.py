"""Load every input file into canonical rows, with an account of every line: read the file's
records (a batch at a time for big files), map them onto canonical fields with a profile (the
one named, or the first that fits), type them, and drop records an overlapping export already
gave.

`load_rows` streams the rows into a `RowStore`, which `check` analyses a unit of clients at a
time; `load` gives them as one frame, for small inputs and tests.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import closing
from dataclasses import dataclass, replace
from datetime import datetime

import polars as pl

from analyzer.batches import (
    Batch,
    MoreColumns,
    Pending,
    ReadWhole,
    in_order,
    pending_batches,
    read_ahead,
)
from analyzer.derive import Derived, coverage, derive
from analyzer.errors import InputError
from analyzer.mapping import resolve_columns
from analyzer.model import ClientTraffic, FileStats, Inputs, RejectedLine, RejectExample
from analyzer.normalise import Normalised, normalise
from analyzer.profiles import Profile, builtin_profiles
from analyzer.progress import SILENT, Progress
from analyzer.rawfile import MAX_EXAMPLES_PER_REASON, RawFile
from analyzer.readers import read
from analyzer.rowstore import RowStore
from analyzer.schema import REQUIRED, SOURCE_FILE
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
    """Every row of the inputs in one frame, without duplicates."""
    with RowStore(spill_rows=math.inf) as store:
        rows = load_rows(paths, options, store, progress)
        frame = next(store.units())
    frame, duplicates = drop_duplicates(frame)
    inputs = Inputs(tuple(count_duplicates(rows.files, duplicates)), tuple(rows.ignored),
                    rows.first_seen, rows.last_seen, client_traffic(frame))
    return Loaded(frame, inputs, tuple(rows.rejects))


@dataclass
class Rows:
    """What reading the inputs gave, besides the rows themselves (in the store)."""

    files: list[FileStats]
    ignored: list[str]
    rejects: list[RejectedLine]
    first_seen: datetime | None
    last_seen: datetime | None


def load_rows(paths: list[str], options: LoadOptions, store: RowStore,
              progress: Progress = SILENT) -> Rows:
    """Read, map and type every input file into `store`; InputError when no row is left."""
    sources, ignored = expand(paths, options.input_format)
    sizes = [_size(source) for source in sources]
    total = sum(sizes)
    progress.stage("reading logs", total)
    rows = Rows([], ignored, [], None, None)
    done = 0
    for source, size in zip(sources, sizes, strict=True):
        def expected(share: float = 0.0, done: int = done, size: int = size) -> int:
            # The input's rows, estimated from those read so far, to size the spill buckets.
            read = done + share * size
            return int(store.rows * total / read) if read else store.rows
        stats, rejects, span = _load_file(source, options, store, expected,
                                          _FileProgress(progress, size))
        rows.files.append(stats)
        rows.rejects.extend(rejects)
        rows.first_seen = _earliest(rows.first_seen, span[0])
        rows.last_seen = _latest(rows.last_seen, span[1])
        done += size
    if store.rows == 0:
        raise InputError(_nothing_to_analyse(rows.files))
    return rows


def read_and_map(source: Source, options: LoadOptions) -> FileLoad:
    """Read one file whole and map it onto canonical fields; InputError when no profile gives
    it a timestamp and an operation."""
    return map_raw(source, read(source, _selector(options)), options)


def map_raw(source: Source, raw: RawFile, options: LoadOptions) -> FileLoad:
    """Map a file's records (its first batch) onto canonical fields; InputError when no
    profile gives them a timestamp and an operation."""
    forced = options.profile
    if forced is not None:
        profile, why = forced, "named with --profile or profile:"
    else:
        profile, why = choose_profile(raw, options.aliases)
    derived = derive(raw.frame, profile, options.aliases)
    missing = [name for name in REQUIRED if name not in derived.columns]
    if missing and (raw.columns or raw.frame.height):  # an empty file is counted as such
        raise InputError(_missing(source, raw.columns, missing, profile.name != "canonical"))
    return FileLoad(source, raw, profile, why, derived)


def _selector(options: LoadOptions):
    return lambda found: _columns_to_read(found, options.aliases, options.profile)


# A file whose chunks keep revealing keys (ids as keys, say) is read again at most this often;
# the last reading keeps the keys found so far, so time stays linear in the file's size.
MAX_KEY_RESTARTS = 3


def _load_file(source: Source, options: LoadOptions, store: RowStore, expected,
               progress: _FileProgress):
    """Read one file into the store, a batch at a time; its stats, rejected lines and span."""
    select = _selector(options)
    keys: list[str] = []
    try:
        for attempt in itertools.count():  # the last, not looking for keys, returns
            look = attempt < MAX_KEY_RESTARTS
            try:
                with closing(read_ahead(pending_batches(source, select, keys, look))) as pending:
                    return _load_batches(source, options, store, pending, expected, progress)
            except MoreColumns as more:
                store.discard(source.display)
                keys = more.keys
    except ReadWhole:
        store.discard(source.display)
        # Keys a chunk revealed stay known: the whole reader samples the file again.
        with_keys = (lambda found: select(list(dict.fromkeys([*found, *keys])))) if keys else select
        whole = iter([lambda: Batch(read(source, with_keys), 1.0)])
        return _load_batches(source, options, store, whole, expected, progress)


def _load_batches(source: Source, options: LoadOptions, store: RowStore,
                  pending: Iterator[Pending], expected, progress: _FileProgress):
    """The first batch picks the file's profile; the others are parsed and typed side by side
    (`batches.in_order`) and added to the store in order."""
    first = next(pending)()
    mapped = map_raw(source, first.raw, options)
    account = _Account(mapped)

    def typed(batch: Batch, derived: Derived | None = None) -> tuple[Batch, Normalised]:
        if derived is None:
            derived = derive(batch.raw.frame, mapped.profile, options.aliases)
        return batch, normalise(derived.frame, source.display, options.default_client,
                                options.timezone)

    # Closed as soon as the file is done with, an error included: the parsers stop, and hold
    # no chunk while the file is read again another way.
    with closing(in_order(lambda parse: typed(parse()), pending)) as rest:
        for batch, done in itertools.chain([typed(first, mapped.derived)], rest):
            account.add(batch.raw, done)
            store.add(done.frame, lambda share=batch.consumed: expected(share))
            progress.reached(batch.consumed)
    progress.reached(1.0)
    return account.stats(), account.rejects, (account.first, account.last)


class _FileProgress:
    """Advances the reading stage by the bytes of one file, as its batches come in."""

    def __init__(self, progress: Progress, size: int):
        self.progress, self.size, self.shown = progress, size, 0

    def reached(self, share: float) -> None:
        step = int(share * self.size) - self.shown
        if step > 0:
            self.progress.advance(step)
            self.shown += step


class _Account:
    """What a file's batches add up to: its lines, rows, rejects and skips, and time span."""

    def __init__(self, mapped: FileLoad):
        self.mapped = mapped
        self.lines = self.rows = 0
        self.rejected: Counter = Counter()
        self.skipped: Counter = Counter()
        self.examples: list[RejectExample] = []
        self.rejects: list[RejectedLine] = []
        self.first: datetime | None = None
        self.last: datetime | None = None

    def add(self, raw: RawFile, done: Normalised) -> None:
        self.lines += raw.lines
        self.rows += done.frame.height
        self.rejected.update(raw.rejected)
        self.rejected.update(done.rejected)
        self.skipped.update(raw.skipped)
        self.examples.extend([*raw.examples, *done.examples])
        display = self.mapped.source.display
        every = sorted([*raw.rejects, *done.rejects], key=lambda e: (e.line, e.reason))
        self.rejects.extend(RejectedLine(display, e.line, e.reason, e.value) for e in every)
        if done.frame.height:
            first, last = done.frame.select(pl.col("timestamp").min().alias("first"),
                                            pl.col("timestamp").max().alias("last")).row(0)
            self.first, self.last = _earliest(self.first, first), _latest(self.last, last)

    def stats(self) -> FileStats:
        source = self.mapped.source
        return FileStats(
            file=source.display,
            format=source.format + (f"+{source.compression}" if source.compression else ""),
            lines=self.lines,
            rows=self.rows,
            rejected=_sorted(self.rejected),
            skipped=_sorted(self.skipped),
            examples=tuple(_first_of_each(self.examples)),
            columns=tuple(sorted(self.mapped.derived.columns.items())),
            profile=self.mapped.profile.name,
        )


def _first_of_each(examples: list[RejectExample]) -> list[RejectExample]:
    """The first few examples of each reason, in line order."""
    kept, seen = [], Counter()
    for example in sorted(examples, key=lambda e: (e.line, e.reason)):
        if seen[example.reason] < MAX_EXAMPLES_PER_REASON:
            kept.append(example)
            seen[example.reason] += 1
    return kept


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else min(a, b)


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else max(a, b)


def load_one(source: Source, options: LoadOptions
             ) -> tuple[FileLoad, Normalised, FileStats, list[RejectedLine]]:
    """Read, map and type one file whole: its rows, its accounting and every rejected line."""
    mapped = read_and_map(source, options)
    done = normalise(mapped.derived.frame, source.display, options.default_client,
                     options.timezone)
    account = _Account(mapped)
    account.add(mapped.raw, done)
    return mapped, done, account.stats(), account.rejects


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
                guessed = " (routes guessed)" if infer else " without guessing routes"
                return profile, (f"detected: {share:.0%} of the first {sample.height:,} records "
                                 f"have a timestamp and an operation{guessed}")
            best = max(best, (share, profile), key=lambda pair: pair[0])
    if best[1] is not None and best[0] > 0:
        return best[1], (f"detected, weakly: only {best[0]:.0%} of the first {sample.height:,} "
                         f"records have a timestamp and an operation")
    return profiles[0], "no profile fits; the canonical column names are expected"


def _missing(source: Source, found: list[str], missing: list[str], profiled: bool) -> str:
    shown = ", ".join(found[:40]) + (" ..." if len(found) > 40 else "") if found else "none"
    hint = (" or choose a mapping profile with --profile (see `trafficlint profiles`)"
            if profiled else "")
    if len(found) == 1 and (separator := _other_separator(found[0])) is not None:
        remedy = ("read it with --input-format tsv" if separator == "\t"
                  else "export it with commas, or convert it first")
        return (f"{source.display}: one column found, {found[0][:80]!r}: the file looks "
                f"separated by {separator!r}; trafficlint reads CSV separated by ',' and TSV "
                f"by tabs: {remedy}")
    return (f"{source.display}: missing required column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)} (columns found: {shown}); name yours under `fields:` in "
            f"trafficlint.yaml, e.g. fields: {{{missing[0]}: [your_column]}}{hint}")


def _other_separator(header: str) -> str | None:
    """The separator a one-column header seems split by (Excel writes ';' in many locales)."""
    return next((sep for sep in (";", "|", "\t") if header.count(sep) >= 1), None)


def drop_duplicates(frame: pl.DataFrame) -> tuple[pl.DataFrame, Counter]:
    """Overlapping exports give the same call twice: a record with the client, request_id,
    time and operation of an earlier one (files in name order, lines in order) is skipped.
    The rows kept, and how many were skipped per file."""
    if frame.is_empty() or frame["request_id"].null_count() == frame.height:
        return frame, Counter()
    key = pl.struct("client_id", "request_id", "timestamp", "operation")
    with_id = pl.col("request_id").is_not_null()
    # Equal records hash equal: where no two hashes are, no record repeats another, and the
    # exact comparison below is not needed (it is the costly part on a large log).
    if not frame.select(key.hash().filter(with_id).is_duplicated().any()).item():
        return frame, Counter()
    marked = frame.with_columns(_repeat=with_id & ~key.is_first_distinct())
    counts = Counter(dict(marked.filter("_repeat").group_by(SOURCE_FILE).len().iter_rows()))
    return marked.filter(~pl.col("_repeat")).drop("_repeat"), counts


def count_duplicates(stats: list[FileStats], duplicates: Counter) -> list[FileStats]:
    """The files' stats with their skipped duplicates."""
    return [_less(s, duplicates.get(s.file, 0)) for s in stats]


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


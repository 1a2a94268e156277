"""The traffic profile the report's charts are drawn from, computed in Polars while the rows are
at hand: calls per time bucket by operation, errors per bucket by client, and for every cadence
detector a histogram of the gaps between consecutive calls of one key. Rows that come in parts
of whole clients are counted part by part (`count`) and the counts added up (`combine`).

Everything here is small whatever the log size: at most MAX_BUCKETS buckets (the bucket grows
with the time span), the busiest few operations and clients by name with the rest summed, and a
fixed ladder of gap bins. Renderers only see the result through the model.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import polars as pl

from analyzer.detectors import IN_MEMORY, ORDER, TS, by_key, same_key
from analyzer.engine import fields_read, group_ids
from analyzer.loading import failed_call
from analyzer.model import NO_VALUE, GapHistogram, MaintenanceWindow, Series, Traffic
from analyzer.rules import BoundRule

MAX_BUCKETS = 192  # a week and a day of hourly bars
BUCKET_LADDER = (60, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800,
                 604800, 2592000)
TOP_OPERATIONS = 6
TOP_CLIENTS = 5
TOP_GAP_CLIENTS = 4
GAP_EDGES = (10, 30, 60, 120, 300, 600, 900, 1200, 1800, 3600, 7200, 21600, 86400)
OTHER_OPERATIONS = "other operations"
OTHER_CLIENTS = "other clients"


@dataclass(frozen=True)
class Grid:
    """The time buckets of the charts: where the first starts, how long each is, how many."""

    start_ms: int
    bucket: int
    buckets: int

    @classmethod
    def spanning(cls, first: datetime, last: datetime) -> Grid:
        bucket = bucket_seconds(first, last)
        start_ms = _epoch_ms(first) // (bucket * 1000) * (bucket * 1000)
        return cls(start_ms, bucket, (_epoch_ms(last) - start_ms) // (bucket * 1000) + 1)


@dataclass(frozen=True)
class Counts:
    """One part of the rows, counted: calls per bucket and operation, errors per bucket and
    client, and for each cadence detector the gaps per client and bin. Counts of parts that
    hold whole clients add up to the counts of all the rows."""

    calls: pl.DataFrame  # _bucket, _label, n
    errors: pl.DataFrame  # _bucket, _label, n
    gaps: tuple[pl.DataFrame, ...]  # per cadence detector: client_id, _bin, n


def profile(frame: pl.DataFrame, rules: Iterable[BoundRule],
            maintenance: Sequence[MaintenanceWindow] = ()) -> Traffic:
    """The traffic profile of all the rows at once."""
    rules = list(rules)
    first, last = frame.select(pl.col(TS).min().alias("a"), pl.col(TS).max().alias("b")).row(0)
    grid = Grid.spanning(first, last)
    return combine([count(frame, rules, grid)], rules, grid, maintenance)


def count(frame: pl.DataFrame, rules: Iterable[BoundRule], grid: Grid) -> Counts:
    index = ((pl.col(TS).dt.epoch("ms") - grid.start_ms) // (grid.bucket * 1000)).alias("_bucket")
    rows = frame.lazy().with_columns(index)
    calls = _counts(rows, pl.col("operation").fill_null(NO_VALUE))
    errors = _counts(rows.filter(failed_call()), pl.col("client_id"))
    gaps = tuple(_gap_counts(frame, detector) for _, detector in _cadences(rules))
    return Counts(calls, errors, gaps)


def combine(parts: Sequence[Counts], rules: Iterable[BoundRule], grid: Grid,
            maintenance: Sequence[MaintenanceWindow] = ()) -> Traffic:
    """The profile from the counts of parts that each hold whole clients."""
    calls = _stacked(_sum([p.calls for p in parts], "_bucket", "_label"), TOP_OPERATIONS,
                     OTHER_OPERATIONS, grid.buckets)
    errors = _stacked(_sum([p.errors for p in parts], "_bucket", "_label"), TOP_CLIENTS,
                      OTHER_CLIENTS, grid.buckets)
    histograms = (
        _gap_histogram(bound, detector, _sum([p.gaps[i] for p in parts], "client_id", "_bin"))
        for i, (bound, detector) in enumerate(_cadences(rules))
    )
    # A rule whose calls are absent from this log (REST rules on SOAP traffic) has no gaps to
    # draw; an empty chart would only say so at length.
    gaps = tuple(h for h in histograms if any(sum(s.values) for s in h.series))
    return Traffic(
        start=datetime.fromtimestamp(grid.start_ms / 1000, tz=UTC),
        bucket_seconds=grid.bucket, buckets=grid.buckets, calls_by_operation=calls,
        errors_by_client=errors, gaps=gaps,
        maintenance=tuple(sorted(maintenance, key=lambda w: (w.start, w.end, w.name))),
    )


def _cadences(rules: Iterable[BoundRule]) -> list[tuple[BoundRule, Any]]:
    return [(bound, detector) for bound in rules for detector in bound.detectors
            if detector.kind == "cadence"]


def _sum(parts: list[pl.DataFrame], *keys: str) -> pl.DataFrame:
    return pl.concat(parts).group_by(*keys).agg(pl.col("n").sum())


def bucket_seconds(first: datetime, last: datetime) -> int:
    """The finest bucket of the ladder that draws the whole span in at most MAX_BUCKETS bars."""
    span = (last - first).total_seconds()
    for size in BUCKET_LADDER:
        if span / size < MAX_BUCKETS - 1:  # -1: the span rarely starts on a bucket boundary
            return size
    return BUCKET_LADDER[-1] * (int(span // (BUCKET_LADDER[-1] * (MAX_BUCKETS - 1))) + 1)


def _epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _counts(rows: pl.LazyFrame, label: pl.Expr) -> pl.DataFrame:
    return rows.group_by("_bucket", label.alias("_label")).agg(
        pl.len().cast(pl.Int64).alias("n")).collect(engine=IN_MEMORY)


def _stacked(counts: pl.DataFrame, top: int, other: str, buckets: int) -> tuple[Series, ...]:
    """Counts per bucket for the `top` busiest labels (ties by name), the rest as `other`."""
    totals = counts.group_by("_label").agg(pl.col("n").sum()).sort(
        [pl.col("n"), pl.col("_label")], descending=[True, False]
    )
    names = totals["_label"].head(top).to_list()
    grouped = counts.with_columns(
        pl.when(pl.col("_label").is_in(names)).then(pl.col("_label")).otherwise(pl.lit(other))
    )
    order = names + ([other] if totals.height > top else [])
    return tuple(Series(name, _dense(grouped.filter(pl.col("_label") == name), buckets))
                 for name in order)


def _dense(counts: pl.DataFrame, length: int, position: str = "_bucket") -> tuple[int, ...]:
    values = [0] * length
    for where, n in counts.select(position, "n").iter_rows():
        values[where] += n
    return tuple(values)


def gap_edges(limit: float) -> tuple[float, ...]:
    """The bin edges, with the rule's limit always one of them so the limit line sits between
    two bars: the bars left of it are the gaps the rule counts as short."""
    return tuple(sorted({*map(float, GAP_EDGES), float(limit)}))


def _gap_counts(frame: pl.DataFrame, detector) -> pl.DataFrame:
    """Gaps between consecutive calls of one key, as the detector measures them, counted per
    client and bin."""
    edges = gap_edges(float(detector.options["short_gap"]))
    rows = frame.lazy()
    if detector.where is not None:
        rows = rows.filter(detector.where)
    columns = dict.fromkeys([*fields_read(detector), TS, "client_id", *ORDER])
    rows, keys = group_ids(rows.select(list(columns)).collect(engine=IN_MEMORY),
                           list(detector.keys))
    ordered = by_key(rows.lazy(), keys)
    gap = pl.when(same_key()).then(pl.col(TS).diff().dt.total_milliseconds() / 1000.0)
    counted = gap.is_not_null()
    if detector.options.get("gap_after") is not None:
        # The same gaps the detector measures: only those after a call meeting `gap_after`.
        after = detector.options["gap_after"].shift(1)
        counted = counted & pl.when(same_key()).then(after).fill_null(False)
    binned = ordered.with_columns(_gap=gap, _counted=counted).filter("_counted").with_columns(
        _bin=_bin_index(edges))
    return binned.group_by("client_id", "_bin").agg(
        pl.len().cast(pl.Int64).alias("n")).collect(engine=IN_MEMORY)


def _gap_histogram(bound: BoundRule, detector, counts: pl.DataFrame) -> GapHistogram:
    limit = float(detector.options["short_gap"])
    edges = gap_edges(limit)
    return GapHistogram(rule=bound.rule.id, check=detector.name, keys=tuple(detector.keys),
                        limit=limit, edges=edges, series=_gap_series(counts, edges, limit))


def _bin_index(edges: Sequence[float]) -> pl.Expr:
    """Bin i holds gaps in [edges[i-1], edges[i]); the last bin is everything from edges[-1]."""
    index = pl.lit(len(edges), dtype=pl.Int64)
    for position in reversed(range(len(edges))):
        index = pl.when(pl.col("_gap") < edges[position]).then(position).otherwise(index)
    return index


def _gap_series(counts: pl.DataFrame, edges: Sequence[float], limit: float) -> tuple[Series, ...]:
    """Stacks for the clients with the most short gaps (then most gaps), the rest summed."""
    short_bins = edges.index(limit) + 1
    ranked = counts.group_by("client_id").agg(
        pl.col("n").filter(pl.col("_bin") < short_bins).sum().alias("short"),
        pl.col("n").sum().alias("all"),
    ).sort(["short", "all", "client_id"], descending=[True, True, False])
    names = ranked["client_id"].head(TOP_GAP_CLIENTS).to_list()
    bins = len(edges) + 1
    series = [Series(name, _dense(counts.filter(pl.col("client_id") == name), bins, "_bin"))
              for name in names]
    rest = counts.filter(~pl.col("client_id").is_in(names))
    if rest.height:
        series.append(Series(OTHER_CLIENTS, _dense(rest, bins, "_bin")))
    return tuple(series)

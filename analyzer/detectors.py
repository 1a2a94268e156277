"""The detection primitives. Each takes the rows a rule selected and returns the offending rows,
with the group's measurements broadcast onto every row; the engine turns those into findings.

A new kind of anti-pattern that none of these expresses needs a function here, an entry in
`KINDS` and its tests. A new rule needs no Python.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl

from analyzer.conditions import DURATION, INTEGER
from analyzer.durations import format_duration
from analyzer.schema import SOURCE_FILE, SOURCE_LINE

TS = "timestamp"
ORDER = [TS, SOURCE_FILE, SOURCE_LINE]  # a total order, so ties never depend on input order


@dataclass(frozen=True)
class Option:
    type: str  # "duration" | "count" | "condition" | "field" (a numeric canonical field)
    required: bool
    doc: str
    default: Any = None


@dataclass(frozen=True)
class Kind:
    run: Callable[[pl.LazyFrame, list[str], Mapping[str, Any]], pl.LazyFrame]
    options: dict[str, Option]
    metrics: dict[str, tuple[str, str]]  # name -> (condition kind, doc)
    measure: Callable[[Mapping[str, Any]], tuple[str, str]]  # -> (metric shown, limit in words)
    doc: str


def _seconds(expr: pl.Expr) -> pl.Expr:
    return expr.dt.total_milliseconds() / 1000.0


def _sorted(frame: pl.LazyFrame, keys: list[str]) -> pl.LazyFrame:
    return frame.sort([*keys, *ORDER], nulls_last=True)


def cadence(frame: pl.LazyFrame, keys: list[str], opt: Mapping[str, Any]) -> pl.LazyFrame:
    """Runs of consecutive calls of one key, each less than `short_gap` after the previous."""
    # Once the rows are sorted by key, every key and every run is a stretch of neighbouring
    # rows: numbering the stretches (`_key`, `_run`) and grouping by those integers is several
    # times faster than grouping by the text of the keys, which is what over(keys) hashes.
    rows = _sorted(frame, keys).with_columns(_key=pl.struct(keys).rle_id())
    within = pl.col("_key") == pl.col("_key").shift(1)  # not the first call of its key
    gap = pl.when(within).then(_seconds(pl.col(TS).diff()))
    short = (gap < opt["short_gap"]).fill_null(False)
    if opt.get("gap_after") is not None:
        # Only a gap after a call of the given kind counts: a retry after a fault is retry
        # discipline (other rules), not polling.
        short = short & pl.when(within).then(opt["gap_after"].shift(1)).fill_null(False)
    rows = rows.with_columns(_gap=gap, _short=short)
    # A call that is not a short gap after the previous one starts a new run; the first call of
    # a key never is one, so no run spans two keys.
    rows = rows.with_columns(_run=(~pl.col("_short")).cum_sum())
    rows = rows.with_columns(
        _run_len=pl.col("_short").sum().over("_run"),
        _run_span=_seconds(pl.col(TS).max() - pl.col(TS).min()).over("_run"),
    ).filter(pl.col("_run_len") >= opt["min_streak"])
    return rows.with_columns(
        streak=pl.col("_run_len").max().over("_key"),
        streak_span=pl.col("_run_span").max().over("_key"),
        median_gap=pl.col("_gap").filter(pl.col("_short")).median().over("_key"),
    )


_NEVER = 2**62


def count(frame: pl.LazyFrame, keys: list[str], opt: Mapping[str, Any]) -> pl.LazyFrame:
    """Keys with at least `min_count` calls, within any sliding `window` when one is given."""
    rows = _sorted(frame, keys)
    if opt.get("window") is None:
        return rows.with_columns(count=pl.len().over(keys)).filter(
            pl.col("count") >= opt["min_count"]
        )
    window = pl.duration(milliseconds=round(opt["window"] * 1000))
    rows = rows.with_columns(
        _i=pl.int_range(pl.len()).over(keys),
        _lo=pl.col(TS).search_sorted(pl.col(TS) - window, side="right").over(keys).cast(pl.Int64),
    ).with_columns(_in_window=pl.col("_i") - pl.col("_lo") + 1)
    qualifying = pl.col("_in_window") >= opt["min_count"]
    # A row offends when some later (or the same) row's qualifying window reaches back to it.
    reach = pl.when(qualifying).then(pl.col("_lo")).otherwise(_NEVER)
    rows = rows.with_columns(_reach=reach.cum_min(reverse=True).over(keys))
    return rows.with_columns(count=pl.col("_in_window").max().over(keys)).filter(
        pl.col("_reach") <= pl.col("_i")
    )


def sequence(frame: pl.LazyFrame, keys: list[str], opt: Mapping[str, Any]) -> pl.LazyFrame:
    """`then` calls that come after a `first` call of the same key (within `within`, if set)."""
    rows = _sorted(frame, keys)
    last_first = pl.when(opt["first"]).then(pl.col(TS)).shift(1).forward_fill()
    rows = rows.with_columns(_after=last_first.over(keys), _then=opt["then"])
    rows = rows.with_columns(_delay=_seconds(pl.col(TS) - pl.col("_after")))
    offending = pl.col("_then") & pl.col("_after").is_not_null()
    if opt.get("within") is not None:
        offending = offending & (pl.col("_delay") <= opt["within"])
    asked = pl.lit(None, dtype=pl.Float64)
    if opt.get("within_field") is not None:
        # The wait the `first` call itself asked for (a Retry-After), carried to the calls
        # after it; a call that comes sooner did not wait.
        carried = pl.when(opt["first"]).then(pl.col(opt["within_field"])).shift(1).forward_fill()
        rows = rows.with_columns(_asked=carried.over(keys))
        offending = offending & (pl.col("_delay") < pl.col("_asked")).fill_null(False)
        asked = pl.col("_asked").median().over(keys)
    rows = rows.filter(offending).with_columns(count=pl.len().over(keys))
    return rows.filter(pl.col("count") >= opt["min_count"]).with_columns(
        min_delay=pl.col("_delay").min().over(keys),
        median_delay=pl.col("_delay").median().over(keys),
        median_asked=asked,
    )


def _allowed(opt: Mapping[str, Any]) -> str:
    allowed = opt["min_count"] - 1
    window = f" per {format_duration(opt['window'])}" if opt.get("window") is not None else ""
    return f"at most {allowed:,}{window}" if allowed else "none allowed"


def _sequence_measure(opt: Mapping[str, Any]) -> tuple[str, str]:
    if opt.get("within_field") is not None:
        return "min_delay", f"the wait the earlier call's {opt['within_field']} asked for"
    if opt.get("within") is not None:
        return "median_delay", f"at least {format_duration(opt['within'])} apart"
    return "count", _allowed(opt)


KINDS: dict[str, Kind] = {
    "cadence": Kind(
        run=cadence,
        options={
            "short_gap": Option("duration", True, "A call closer than this to the previous call "
                                                  "of the same key is a short gap."),
            "min_streak": Option("count", False, "Consecutive short gaps that make polling.", 4),
            "gap_after": Option("condition", False, "Only gaps after a call meeting this "
                                                    "condition count (default: every call)."),
        },
        metrics={
            "streak": (INTEGER, "longest run of consecutive short gaps"),
            "streak_span": (DURATION, "time from first to last call of the longest run"),
            "median_gap": (DURATION, "median gap between calls in the offending runs"),
        },
        measure=lambda opt: ("median_gap", f"one call every {format_duration(opt['short_gap'])}"),
        doc="Regular repetition: runs of calls of one key, each soon after the previous one.",
    ),
    "count": Kind(
        run=count,
        options={
            "min_count": Option("count", True, "Calls of one key that make a finding."),
            "window": Option("duration", False, "Count within any sliding window this long "
                                                "(default: the whole log)."),
        },
        metrics={"count": (INTEGER, "most calls of the key within one window")},
        measure=lambda opt: ("count", _allowed(opt)),
        doc="Volume: keys with too many matching calls, over the log or in a sliding window.",
    ),
    "sequence": Kind(
        run=sequence,
        options={
            "first": Option("condition", True, "The call that comes first."),
            "then": Option("condition", True, "The call that should not follow it."),
            "within": Option("duration", False, "Only when `then` comes this soon after `first`."),
            "within_field": Option("field", False, "Only when `then` comes sooner after `first` "
                                                   "than the seconds in this numeric field of "
                                                   "the `first` call (e.g. retry_after)."),
            "min_count": Option("count", False, "Offending `then` calls that make a finding.", 1),
        },
        metrics={
            "count": (INTEGER, "`then` calls that followed a `first` call"),
            "min_delay": (DURATION, "shortest time from a `first` call to a `then` call"),
            "median_delay": (DURATION, "median time from a `first` call to a `then` call"),
            "median_asked": (DURATION, "median wait the `first` calls asked for "
                                       "(`within_field`)"),
        },
        measure=_sequence_measure,
        doc="Order: a call that follows another call of the same key (a retry, a resubmission).",
    ),
}

# Measurements every finding carries, whatever its kind.
COMMON_METRICS: dict[str, tuple[str, str]] = {
    "calls": (INTEGER, "offending calls"),
    "span": (DURATION, "time from the first to the last offending call"),
    "sustained": (DURATION, "longest run of consecutive clock hours that each have an "
                            "offending call"),
}


def sustained_seconds() -> pl.Expr:
    """Aggregation: the longest run of consecutive clock hours with a call, in seconds."""
    hours = pl.col(TS).dt.truncate("1h").unique().sort()
    run = (hours.diff() != pl.duration(hours=1)).fill_null(True).cum_sum()
    return run.unique_counts().max().cast(pl.Float64) * 3600.0

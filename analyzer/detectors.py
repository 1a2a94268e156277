"""The detection primitives. Each takes the rows a rule selected and returns the offending rows,
with the group's measurements broadcast onto every row; the engine turns those into findings.

A new kind of anti-pattern that none of these expresses needs a function here, an entry in
`KINDS` and its tests. A new rule needs no Python.

Besides a detector's own options, the engine passes `observed`: how long, in seconds, the whole
run's traffic spans. Windowed counts use it to normalise a run shorter than their window.

Every primitive first orders the rows by key and then by time, file and line (`by_key`),
sorting by numbers only: an integer for the key where the engine gives one, and the file and
line packed in one integer, as the sort's cost grows with its columns. Within a key, a shift
or a fill over neighbouring rows stays inside the key (`same_key`), which is much faster than
evaluating it group by group with `over`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from analyzer.conditions import DURATION, INTEGER, NUMBER, RATIO
from analyzer.durations import format_duration
from analyzer.schema import SOURCE_FILE, SOURCE_LINE

TS = "timestamp"
ORDER = [TS, SOURCE_FILE, SOURCE_LINE]  # a total order, so ties never depend on input order
# Detectors' queries run on rows already in memory: Polars' default (streaming) engine is
# slower there, by a quarter on the polling detector.
IN_MEMORY = "in-memory"


@dataclass(frozen=True)
class Option:
    type: str  # duration | count | ratio | flag | field | numeric_field | condition
    required: bool
    doc: str
    default: Any = None


def _no_cross_checks(opt: Mapping[str, Any]) -> list[tuple[str, str]]:
    return []


@dataclass(frozen=True)
class Kind:
    run: Callable[[pl.LazyFrame, list[str], Mapping[str, Any]], pl.LazyFrame]
    options: dict[str, Option]
    metrics: dict[str, tuple[str, str]]  # name -> (condition kind, doc)
    measure: Callable[[Mapping[str, Any]], tuple[str, str]]  # -> (metric shown, limit in words)
    doc: str
    # Checks across options, each problem as (option, message); run when a rule is bound.
    check: Callable[[Mapping[str, Any]], list[tuple[str, str]]] = _no_cross_checks
    # Metrics a rule may name as its `measure` instead of the default, with their limit text.
    limits: dict[str, Callable[[Mapping[str, Any]], str]] = field(default_factory=dict)


def _seconds(expr: pl.Expr) -> pl.Expr:
    return expr.dt.total_milliseconds() / 1000.0


def by_key(frame: pl.LazyFrame, keys: list[str]) -> pl.LazyFrame:
    """Rows by key, then in ORDER (time, file, line), with `_key` numbering the keys. (Where
    keys without a value sort makes no difference; asking for them last slows the sort.)"""
    return frame.with_columns(_line=_file_and_line(frame)).sort(
        [*keys, TS, "_line"]).with_columns(_key=pl.struct(keys).rle_id())


def _file_and_line(frame: pl.LazyFrame) -> pl.Expr:
    """File and line as one integer in their order: the file's rank (an Enum's categories are
    in order) above 2**40, the line below."""
    file = pl.col(SOURCE_FILE)
    rank = file.to_physical() if isinstance(frame.collect_schema()[SOURCE_FILE], pl.Enum) \
        else file.rank("dense")
    return rank.cast(pl.UInt64) * (1 << 40) + pl.col(SOURCE_LINE).cast(pl.UInt64)


def same_key() -> pl.Expr:
    """Whether a row (of `by_key` rows) has the key of the row before it."""
    return pl.col("_key") == pl.col("_key").shift(1)


def _previous(value: pl.Expr) -> pl.Expr:
    """The key's latest non-null `value` before this row: shift(1).forward_fill().over(key),
    computed over the whole column and kept only where it came from the same key."""
    before = pl.when(same_key()).then(value.shift(1))
    source = pl.when(before.is_not_null()).then(pl.col("_key")).forward_fill()
    return pl.when(source == pl.col("_key")).then(before.forward_fill())


def _keys_with(frame: pl.LazyFrame, keys: list[str], needed: pl.Expr) -> pl.LazyFrame:
    """Only the keys with at least one row meeting `needed`: the others cannot offend, and
    leaving them out spares sorting most of a large log."""
    return frame.filter(needed.fill_null(False).any().over(keys))


def cadence(frame: pl.LazyFrame, keys: list[str], opt: Mapping[str, Any]) -> pl.LazyFrame:
    """Runs of consecutive calls of one key, each less than `short_gap` after the previous."""
    # Once the rows are sorted by key, every key and every run is a stretch of neighbouring
    # rows: numbering the stretches (`_key`, `_run`) and grouping by those integers is several
    # times faster than grouping by the text of the keys, which is what over(keys) hashes.
    rows = by_key(frame, keys)
    within = same_key()  # not the first call of its key
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
    """Keys with at least `min_count` counted calls, within any sliding `window` when one is
    given. Counted calls are those meeting `of` (default: every call); the key's other calls
    are the sample a share is taken of. Only counted calls offend."""
    counted = opt["of"] if opt.get("of") is not None else pl.lit(True)
    if opt.get("of") is not None:
        frame = _keys_with(frame, keys, counted)
    rows = by_key(frame, keys)
    if opt.get("repeat_of") is not None:
        counted = counted & _repeats(keys, opt["repeat_of"], opt["window"])
    rows = rows.with_columns(_counted=counted)
    if opt.get("window") is None:
        return _with_items(_count_whole_log(rows, keys, opt), keys, opt)
    cumulative = pl.col("_counted").cast(pl.Int64).cum_sum()
    rows = rows.with_columns(
        *_window_start(keys, opt["window"]),
        _before=(cumulative - pl.col("_counted").cast(pl.Int64)).over(keys),
        _cum=cumulative.over(keys),
    ).with_columns(
        # The window ending at each row: calls (lo..i], counted calls among them.
        _sample=pl.col("_i") - pl.col("_lo") + 1,
        _matched=pl.col("_cum") - pl.col("_before").gather(pl.col("_lo")).over(keys),
    )
    rows = rows.with_columns(_window_stats(opt, _scale(opt)))
    rows = rows.with_columns(_worst_window(keys))
    return _with_items(rows.filter(_in_qualifying_window(pl.col("_q"), keys) & pl.col("_counted")),
                       keys, opt)


def _with_items(offending: pl.LazyFrame, keys: list[str], opt: Mapping[str, Any]) -> pl.LazyFrame:
    """The offending calls (of `by_key` rows) with `items`: the most values of `repeat_of` that
    one stretch of them is about, a stretch ending where the next offending call is a whole
    `window` or more later."""
    field = opt.get("repeat_of")
    if field is None:
        return offending.with_columns(items=pl.lit(None, dtype=pl.Int64))
    if opt.get("window") is None:
        return offending.with_columns(items=pl.col(field).n_unique().over(keys).cast(pl.Int64))
    window = pl.duration(milliseconds=round(opt["window"] * 1000))
    starts = ~same_key() | (pl.col(TS).diff() >= window)
    offending = offending.with_columns(_stretch=starts.fill_null(True).cum_sum())
    items = pl.col(field).n_unique().over("_stretch").max().over(keys)
    return offending.with_columns(items=items.cast(pl.Int64)).drop("_stretch")


def _window_start(keys: list[str], seconds: float) -> list[pl.Expr]:
    """Per row of rows sorted by key and time: its position in its key (`_i`) and that of the
    first row of the window (t - window, t] ending at it (`_lo`)."""
    window = pl.duration(milliseconds=round(seconds * 1000))
    return [pl.int_range(pl.len()).over(keys).alias("_i"),
            pl.col(TS).search_sorted(pl.col(TS) - window, side="right").over(keys)
            .cast(pl.Int64).alias("_lo")]


def _in_qualifying_window(qualifies: pl.Expr, keys: list[str]) -> pl.Expr:
    """Whether a row lies in some qualifying window: one ending at it or at a later row of its
    key that reaches back to it (`_i`, `_lo` from _window_start)."""
    reach = pl.when(qualifies).then(pl.col("_lo")).otherwise(_NEVER)
    return reach.cum_min(reverse=True).over(keys) <= pl.col("_i")


def _repeats(keys: list[str], field: str, seconds: float) -> pl.Expr:
    """Over rows sorted by key and time: the key already called about this value of `field`
    less than `seconds` before (a re-check of an item). A call without a value repeats
    nothing. over() keeps each group's rows in frame order, which is time order here."""
    gap = pl.col(TS).diff().over([*keys, field])
    repeat = (gap < pl.duration(milliseconds=round(seconds * 1000))) & pl.col(field).is_not_null()
    return repeat.fill_null(False)


def _count_whole_log(rows: pl.LazyFrame, keys: list[str], opt: Mapping[str, Any]) -> pl.LazyFrame:
    rows = rows.with_columns(
        _sample=pl.len().over(keys),
        _matched=pl.col("_counted").cast(pl.Int64).sum().over(keys),
    ).with_columns(_window_stats(opt, pl.lit(1.0)))
    return rows.with_columns(_worst_window(keys)).filter(pl.col("_q") & pl.col("_counted"))


def _scale(opt: Mapping[str, Any]) -> pl.Expr:
    """How much a window's count is scaled up: by window / run length when the count is
    normalised and the whole run is shorter than one window, else not at all."""
    observed = opt.get("observed")
    if not opt.get("normalise") or not observed or observed >= opt["window"]:
        return pl.lit(1.0)
    return pl.lit(opt["window"] / observed)


def _window_stats(opt: Mapping[str, Any], scale: pl.Expr) -> list[pl.Expr]:
    """Per window: its normalised rate, its share, and whether it qualifies (`_q`)."""
    rate = pl.col("_matched") * scale
    share = pl.col("_matched") / pl.col("_sample")
    enough = pl.col("_sample") >= (opt.get("min_sample") or 1)
    qualifies = rate >= opt["min_count"]
    if opt.get("min_share") is not None:
        qualifies = qualifies & (share >= opt["min_share"])
    if opt.get("or_count") is not None:
        qualifies = qualifies | (rate >= opt["or_count"])
    return [rate.alias("_rate"), share.alias("_share"),
            (enough & qualifies & (pl.col("_matched") > 0)).alias("_q")]


def _worst_window(keys: list[str]) -> list[pl.Expr]:
    """The key's measurements, taken from its qualifying window with the most counted calls."""
    q = pl.col("_q")
    order = [pl.col(name).filter(q) for name in ("_matched", "_share", "_sample")]

    def pick(name: str) -> pl.Expr:
        return pl.col(name).filter(q).sort_by(order).last().over(keys)
    return [pick("_matched").alias("count"), pick("_share").alias("share"),
            pick("_sample").alias("sample"), pick("_rate").alias("rate")]


def sequence(frame: pl.LazyFrame, keys: list[str], opt: Mapping[str, Any]) -> pl.LazyFrame:
    """`then` calls that come after a `first` call of the same key (less than `within` after
    it, if set). With `state`, only the latest earlier call that carries that field is judged:
    its value is the key's last known state."""
    rows = by_key(_keys_with(frame, keys, opt["first"]), keys)
    rows = rows.with_columns(_last=_latest_before(opt), _then=opt["then"])
    is_first = pl.col("_last").struct.field("first")
    rows = rows.with_columns(
        _after=pl.when(is_first).then(pl.col("_last").struct.field("at")),
        _asked=pl.when(is_first).then(pl.col("_last").struct.field("asked")),
    ).with_columns(_delay=_seconds(pl.col(TS) - pl.col("_after")))
    offending = pl.col("_then") & pl.col("_after").is_not_null()
    if opt.get("within") is not None:
        offending = offending & (pl.col("_delay") < opt["within"])
    asked = pl.lit(None, dtype=pl.Float64)
    if opt.get("within_field") is not None:
        # The wait the `first` call itself asked for (a Retry-After); a call that comes sooner
        # did not wait.
        offending = offending & (pl.col("_delay") < pl.col("_asked")).fill_null(False)
        asked = pl.col("_asked").median().over(keys)
    rows = _enough(rows.filter(offending), keys, opt)
    return rows.with_columns(
        min_delay=pl.col("_delay").min().over(keys),
        median_delay=pl.col("_delay").median().over(keys),
        median_asked=asked,
    )


def _enough(offending: pl.LazyFrame, keys: list[str], opt: Mapping[str, Any]) -> pl.LazyFrame:
    """Keys with at least `min_count` offending calls, in the whole log or, with `window`,
    within one sliding window; then only the calls in such a window offend, and `count` is
    the most in one window."""
    if opt.get("window") is None:
        rows = offending.with_columns(count=pl.len().over(keys))
        return rows.filter(pl.col("count") >= opt["min_count"])
    rows = offending.with_columns(_window_start(keys, opt["window"]))
    in_window = pl.col("_i") - pl.col("_lo") + 1
    busy = in_window >= opt["min_count"]
    return rows.with_columns(count=in_window.filter(busy).max().over(keys)).filter(
        _in_qualifying_window(busy, keys))


def _latest_before(opt: Mapping[str, Any]) -> pl.Expr:
    """For each call, the latest earlier call of its key that matters: the latest `first` call,
    or with `state` the latest call that carries the state field. A struct of when it was,
    whether it is a `first` call, and the wait it asked for (`within_field`), carried forward
    together so that no part of it can come from an older call."""
    first = opt["first"].fill_null(False)
    marks = first if opt.get("state") is None else pl.col(opt["state"]).is_not_null()
    asked = (pl.col(opt["within_field"]).cast(pl.Float64) if opt.get("within_field")
             else pl.lit(None, dtype=pl.Float64))
    record = pl.struct(at=pl.col(TS), first=first, asked=asked)
    return _previous(pl.when(marks).then(record))


def streak(frame: pl.LazyFrame, keys: list[str], opt: Mapping[str, Any]) -> pl.LazyFrame:
    """Runs of consecutive calls of one key that all meet `while`, longer than `max_length`
    calls or `max_span` in time. A call that does not meet `while` ends a run, and so does a
    pause longer than `max_gap`."""
    rows = by_key(_keys_with(frame, keys, opt["while"]), keys).with_columns(
        _member=opt["while"])
    starts = ~pl.col("_member").shift(1).fill_null(False)
    if opt.get("max_gap") is not None:
        starts = starts | (_seconds(pl.col(TS).diff()) > opt["max_gap"]).fill_null(False)
    rows = rows.with_columns(_run=starts.cum_sum().over(keys)).filter(pl.col("_member"))
    run = [*keys, "_run"]
    rows = rows.with_columns(
        _run_len=pl.len().over(run),
        _run_span=_seconds(pl.col(TS).max() - pl.col(TS).min()).over(run),
    )
    too_long = pl.lit(False)
    if opt.get("max_length") is not None:
        too_long = too_long | (pl.col("_run_len") > opt["max_length"])
    if opt.get("max_span") is not None:
        too_long = too_long | (pl.col("_run_span") > opt["max_span"])
    return rows.filter(too_long).with_columns(
        length=pl.col("_run_len").max().over(keys),
        run_span=pl.col("_run_span").max().over(keys),
    )


def _streak_checks(opt: Mapping[str, Any]) -> list[tuple[str, str]]:
    if opt.get("max_length") is None and opt.get("max_span") is None:
        return [("max_length", "give max_length, max_span or both: a run longer than either "
                               "offends")]
    return []


def _streak_measure(opt: Mapping[str, Any]) -> tuple[str, str]:
    limits = []
    if opt.get("max_length") is not None:
        limits.append(f"{opt['max_length']:,} calls")
    if opt.get("max_span") is not None:
        limits.append(format_duration(opt["max_span"]))
    return "length", "at most " + " or ".join(limits)


def _count_checks(opt: Mapping[str, Any]) -> list[tuple[str, str]]:
    problems = []
    if opt.get("window") is None:
        for name in ("normalise", "min_sample", "repeat_of"):
            if opt.get(name) not in (None, False):
                problems.append((name, "needs a window: it applies to the calls in one window"))
    if opt.get("or_count") is not None and opt.get("min_share") is None:
        problems.append(("or_count", "only means something beside min_share"))
    return problems


def _allowed(opt: Mapping[str, Any]) -> str:
    allowed = opt["min_count"] - 1
    window = f" per {format_duration(opt['window'])}" if opt.get("window") is not None else ""
    return f"at most {allowed:,}{window}" if allowed else "none allowed"


def _count_measure(opt: Mapping[str, Any]) -> tuple[str, str]:
    if opt.get("normalise"):
        return "rate", _allowed(opt)
    return "count", _allowed(opt)


def _apart(opt: Mapping[str, Any]) -> str:
    return f"at least {format_duration(opt['within'])} apart"


def _sequence_measure(opt: Mapping[str, Any]) -> tuple[str, str]:
    if opt.get("within_field") is not None:
        return "min_delay", f"the wait the earlier call's {opt['within_field']} asked for"
    if opt.get("within") is not None:
        return "median_delay", _apart(opt)
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
            "min_count": Option("count", True, "Counted calls of one key that make a finding."),
            "window": Option("duration", False, "Count within any sliding window this long "
                                                "(default: the whole log)."),
            "of": Option("condition", False, "Count only these calls; the key's other calls "
                                             "are the sample a share is taken of (default: "
                                             "count every call)."),
            "min_share": Option("ratio", False, "Counted calls must also be at least this share "
                                                "of the calls in the window."),
            "or_count": Option("count", False, "A window with at least this many counted calls "
                                               "qualifies whatever their share."),
            "min_sample": Option("count", False, "Calls a window needs before it can qualify, "
                                                 "so a share of three calls is not a trend "
                                                 "(default: 1)."),
            "repeat_of": Option("field", False, "Count only repeats: calls about a value of "
                                                "this field (an item) that the key already "
                                                "called about less than `window` before. A "
                                                "call without a value repeats nothing."),
            "normalise": Option("flag", False, "When the whole run is shorter than `window`, "
                                               "scale counts to a whole window (a 20-minute "
                                               "run's 7 errors are 21 per hour).", False),
        },
        metrics={
            "count": (INTEGER, "most counted calls of the key within one qualifying window"),
            "share": (RATIO, "counted calls as a share of the calls in that window"),
            "sample": (INTEGER, "calls of the key in that window"),
            "rate": (NUMBER, "counted calls in that window, normalised to a whole window"),
            "items": (INTEGER, "with `repeat_of`: the most of its values one stretch of the "
                               "key's offending calls is about (empty without it)"),
        },
        measure=_count_measure,
        check=_count_checks,
        doc="Volume: keys with too many matching calls (or too high a share of them), over the "
            "log or in a sliding window.",
    ),
    "sequence": Kind(
        run=sequence,
        options={
            "first": Option("condition", True, "The call that comes first."),
            "then": Option("condition", True, "The call that should not follow it."),
            "within": Option("duration", False, "Only when `then` comes less than this after "
                                                "`first`."),
            "within_field": Option("numeric_field", False,
                                   "Only when `then` comes sooner after `first` than the "
                                   "seconds in this numeric field of the `first` call (e.g. "
                                   "retry_after)."),
            "min_count": Option("count", False, "Offending `then` calls that make a finding.", 1),
            "window": Option("duration", False, "Count the offending `then` calls within any "
                                                "sliding window this long, so that a few far "
                                                "apart do not add up (default: the whole log)."),
            "state": Option("field", False, "Judge `first` only on the latest earlier call of "
                                            "the key that has this field: the key's last known "
                                            "state (default: any earlier call)."),
        },
        metrics={
            "count": (INTEGER, "`then` calls that followed a `first` call (with `window`: the "
                               "most within one window)"),
            "min_delay": (DURATION, "shortest time from a `first` call to a `then` call"),
            "median_delay": (DURATION, "median time from a `first` call to a `then` call"),
            "median_asked": (DURATION, "median wait the `first` calls asked for "
                                       "(`within_field`)"),
        },
        measure=_sequence_measure,
        limits={"count": _allowed},
        doc="Order: a call that follows another call of the same key (a retry, a resubmission), "
            "or a call made when the key's last known state forbids it.",
    ),
    "streak": Kind(
        run=streak,
        options={
            "while": Option("condition", True, "The calls a run is made of (e.g. failed calls)."),
            "max_length": Option("count", False, "A run of more calls than this offends."),
            "max_span": Option("duration", False, "A run lasting longer than this offends."),
            "max_gap": Option("duration", False, "A pause longer than this between calls ends "
                                                 "a run (default: only a call that does not "
                                                 "meet `while` ends it)."),
        },
        metrics={
            "length": (INTEGER, "calls in the longest offending run"),
            "run_span": (DURATION, "time from first to last call of the longest offending run"),
        },
        measure=_streak_measure,
        check=_streak_checks,
        doc="Persistence: consecutive calls of one key that all meet a condition, such as a "
            "failing call retried again and again.",
    ),
}

# Measurements every finding carries, whatever its kind.
COMMON_METRICS: dict[str, tuple[str, str]] = {
    "calls": (INTEGER, "offending calls"),
    "span": (DURATION, "time from the first to the last offending call"),
    "sustained": (DURATION, "time from the first to the last offending call of the longest run "
                            "of consecutive clock hours that each have one"),
}


def sustained_seconds() -> pl.Expr:
    """Aggregation: how long the offending calls went on without a clock hour free of them.

    Calls are split into runs wherever a whole clock hour passes without one; a run lasts from
    its first call to its last. Time elapsed, not hours touched: calls at 10:59, 11:30 and 12:00
    touch three clock hours but went on for 61 minutes."""
    ts = pl.col(TS).sort()
    hour = ts.dt.truncate("1h")
    starts = (hour.diff() > pl.duration(hours=1)).fill_null(True)
    run_start = pl.when(starts).then(ts).forward_fill()
    return _seconds((ts - run_start).max())

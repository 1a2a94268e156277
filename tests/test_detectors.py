"""The three detection primitives on tiny frames, at the edges of their thresholds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl

from analyzer.detectors import KINDS, sustained_seconds
from analyzer.schema import SOURCE_FILE, SOURCE_LINE

T0 = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)


def frame(rows: list[tuple[str, float, bool]]) -> pl.LazyFrame:
    """(key, minutes after T0, ok) rows; line numbers follow the list order."""
    return pl.LazyFrame({
        "client_id": [k for k, _, _ in rows],
        "timestamp": [T0 + timedelta(minutes=m) for _, m, _ in rows],
        "ok": [ok for _, _, ok in rows],
        SOURCE_FILE: ["f"] * len(rows),
        SOURCE_LINE: list(range(1, len(rows) + 1)),
    }).with_columns(pl.col("timestamp").dt.cast_time_unit("ms"))


def lines(result: pl.LazyFrame) -> list[int]:
    return sorted(result.collect()[SOURCE_LINE].to_list())


def cadence(rows, short_gap=15 * 60, min_streak=4, gap_after=None):
    opt = {"short_gap": short_gap, "min_streak": min_streak, "gap_after": gap_after}
    return KINDS["cadence"].run(frame(rows), ["client_id"], opt)


def test_cadence_flags_a_run_of_short_gaps_and_measures_it():
    out = cadence([("a", 14 * i, True) for i in range(6)]).collect()
    assert out.height == 6
    assert out["streak"][0] == 5
    assert out["median_gap"][0] == 14 * 60
    assert out["streak_span"][0] == 70 * 60


def test_cadence_gap_of_exactly_the_limit_is_not_short():
    assert lines(cadence([("a", 15 * i, True) for i in range(10)])) == []


def test_cadence_needs_min_streak_consecutive_short_gaps():
    three_gaps = [("a", m, True) for m in (0, 1, 2, 3)]
    assert lines(cadence(three_gaps)) == []
    assert lines(cadence(three_gaps, min_streak=3)) == [1, 2, 3, 4]


def test_cadence_a_long_gap_breaks_the_run_and_only_qualifying_runs_offend():
    rows = [("a", m, True) for m in (0, 1, 2, 60, 61, 62, 63, 64)]
    assert lines(cadence(rows)) == [4, 5, 6, 7, 8]


def test_cadence_keys_are_separate():
    rows = [("a", 2 * i, True) for i in range(3)] + [("b", 2 * i + 1, True) for i in range(3)]
    assert lines(cadence(rows, min_streak=3)) == []


def test_cadence_gap_after_ignores_gaps_that_follow_a_failed_call():
    rows = [("a", 5 * i, i == 5) for i in range(6)]  # five failures retried, then success
    assert lines(cadence(rows, gap_after=pl.col("ok"))) == []
    assert lines(cadence(rows)) == [1, 2, 3, 4, 5, 6]


def two_key_frame(rows: list[tuple[str, str | None, float]]) -> pl.LazyFrame:
    """(client, part, minutes after T0) rows; line numbers follow the list order."""
    return pl.LazyFrame({
        "client_id": [c for c, _, _ in rows],
        "part_number": [p for _, p, _ in rows],
        "timestamp": [T0 + timedelta(minutes=m) for _, _, m in rows],
        SOURCE_FILE: ["f"] * len(rows),
        SOURCE_LINE: list(range(1, len(rows) + 1)),
    }, schema_overrides={"part_number": pl.String}).with_columns(
        pl.col("timestamp").dt.cast_time_unit("ms"))


def cadence_by_part(rows, min_streak=4):
    opt = {"short_gap": 15 * 60, "min_streak": min_streak, "gap_after": None}
    out = KINDS["cadence"].run(two_key_frame(rows), ["client_id", "part_number"], opt)
    return out.collect().sort(SOURCE_LINE)


def test_cadence_a_missing_key_value_is_a_key_of_its_own():
    rows = ([("a", None, m) for m in range(5)]  # 4 short gaps: polling of "no part number"
            + [("a", "x", m + 0.5) for m in range(3)]  # interleaved in time, 2 gaps: no run
            + [("b", None, m) for m in range(3)])  # another client, also without a part
    out = cadence_by_part(rows)
    assert out[SOURCE_LINE].to_list() == [1, 2, 3, 4, 5]
    assert out["part_number"].to_list() == [None] * 5
    assert out["streak"].to_list() == [4] * 5


def test_cadence_runs_never_continue_across_neighbouring_keys():
    # Sorted by key, ("a","x")'s last call and ("a","y")'s first are neighbours 1 minute apart;
    # neither key alone has 4 short gaps, together they would have 5.
    rows = [("a", "x", m) for m in (0, 1, 2)] + [("a", "y", m) for m in (3, 4, 5)]
    assert cadence_by_part(rows).is_empty()
    assert cadence_by_part(rows, min_streak=2)[SOURCE_LINE].to_list() == [1, 2, 3, 4, 5, 6]


def test_cadence_measures_each_key_on_its_own():
    rows = ([("a", "x", 2 * m) for m in range(6)]  # 5 gaps of 2 min
            + [("a", "y", 100 + m) for m in range(10)])  # 9 gaps of 1 min
    out = cadence_by_part(rows)
    measured = out.group_by("part_number").agg(pl.col("streak", "median_gap").first())
    assert sorted(measured.iter_rows()) == [("x", 5, 120.0), ("y", 9, 60.0)]


def test_cadence_calls_at_the_same_instant_are_ordered_by_line():
    # A retry logged in the same millisecond: a gap of zero is short, whatever the order.
    rows = [("a", "x", m) for m in (0, 1, 1, 2, 3)]
    assert cadence_by_part(rows)["streak"].to_list() == [4] * 5


def count(rows, min_count, window=None):
    return KINDS["count"].run(frame(rows), ["client_id"], {"min_count": min_count,
                                                          "window": window})


def test_count_without_window_counts_the_whole_log():
    rows = [("a", 0, True), ("a", 5000, True), ("b", 1, True)]
    out = count(rows, 2).collect()
    assert sorted(out[SOURCE_LINE].to_list()) == [1, 2]
    assert out["count"].to_list() == [2, 2]


def test_count_in_window_uses_sliding_windows_not_clock_buckets():
    # 08:59:30 .. 09:00:30 straddles the hour; a clock-aligned bucket would split them.
    rows = [("a", -0.5, True), ("a", -0.25, True), ("a", 0.25, True)]
    assert lines(count(rows, 3, window=3600)) == [1, 2, 3]


def test_count_window_edge_is_exclusive_at_the_far_end():
    rows = [("a", 0, True), ("a", 30, True), ("a", 60, True)]  # 0 and 60 are exactly 1 h apart
    assert lines(count(rows, 3, window=3600)) == []
    assert lines(count(rows, 3, window=3601)) == [1, 2, 3]


def test_count_marks_only_rows_inside_a_qualifying_window():
    rows = [("a", 0, True), ("a", 200, True), ("a", 201, True), ("a", 202, True), ("a", 900, True)]
    out = count(rows, 3, window=3600).collect()
    assert sorted(out[SOURCE_LINE].to_list()) == [2, 3, 4]
    assert out["count"][0] == 3


def sequence(rows, within=None, min_count=1):
    opt = {"first": pl.col("ok"), "then": pl.lit(True), "within": within, "min_count": min_count}
    return KINDS["sequence"].run(frame(rows), ["client_id"], opt)


def test_sequence_flags_calls_after_a_first_call_of_the_same_key():
    rows = [("a", 0, False), ("a", 1, True), ("a", 2, False), ("a", 3, False), ("b", 4, False)]
    out = sequence(rows).collect()
    assert sorted(out[SOURCE_LINE].to_list()) == [3, 4]
    assert out["min_delay"][0] == 60


def test_sequence_a_first_call_does_not_follow_itself():
    assert lines(sequence([("a", 0, True)])) == []


def test_sequence_within_limits_the_delay():
    rows = [("a", 0, True), ("a", 4, False), ("a", 6, False)]
    assert lines(sequence(rows, within=300)) == [2]


def test_sequence_min_count():
    rows = [("a", 0, True), ("a", 1, False)]
    assert lines(sequence(rows, min_count=2)) == []


def test_sequence_within_field_uses_the_wait_the_first_call_asked_for():
    # A 429 asking for 5 min at 0, calls at 2 and 4 min (early), 6 min (after the wait); a
    # second 429 at 6 asking for 1 min, a call at 8 (after it).
    rows = [("a", 0, True), ("a", 2, False), ("a", 4, False), ("a", 6, True), ("a", 8, False)]
    waits = [300.0, None, None, 60.0, None]
    data = frame(rows).with_columns(retry_after=pl.Series(waits, dtype=pl.Float64))
    opt = {"first": pl.col("ok"), "then": pl.lit(True), "within": None, "min_count": 1,
           "within_field": "retry_after"}
    out = KINDS["sequence"].run(data, ["client_id"], opt).collect()
    assert sorted(out[SOURCE_LINE].to_list()) == [2, 3]
    assert (out["count"][0], out["min_delay"][0], out["median_asked"][0]) == (2, 120, 300)


def test_sequence_within_field_a_call_exactly_at_the_wait_is_fine():
    rows = [("a", 0, True), ("a", 5, False)]
    data = frame(rows).with_columns(retry_after=pl.Series([300.0, None]))
    opt = {"first": pl.col("ok"), "then": pl.lit(True), "within": None, "min_count": 1,
           "within_field": "retry_after"}
    assert lines(KINDS["sequence"].run(data, ["client_id"], opt)) == []


def test_sustained_counts_consecutive_clock_hours():
    times = [T0 + timedelta(hours=h, minutes=m) for h, m in ((0, 5), (0, 50), (1, 10), (2, 59),
                                                              (5, 0))]
    out = pl.DataFrame({"timestamp": times}).select(sustained_seconds())
    assert out.item() == 3 * 3600

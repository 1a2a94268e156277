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


def windowed_sequence(rows, window, min_count):
    opt = {"first": pl.col("ok"), "then": pl.lit(True), "within": 60, "min_count": min_count,
           "window": window}
    return KINDS["sequence"].run(frame(rows), ["client_id"], opt)


def test_sequence_window_counts_within_one_window_not_the_whole_log():
    # A failure and a quick retry once a day, five days: five retries, one per window.
    daily = [row for day in range(5) for row in (("a", day * 1440, True),
                                                 ("a", day * 1440 + 0.5, False))]
    assert lines(windowed_sequence(daily, 600, 5)) == []
    assert lines(KINDS["sequence"].run(frame(daily), ["client_id"], {
        "first": pl.col("ok"), "then": pl.lit(True), "within": 60, "min_count": 5})) != []


def test_sequence_window_only_calls_in_a_busy_window_offend():
    # A storm of three quick retries at 0-1.5 min, and one more retry an hour later.
    rows = [("a", 0, True), ("a", 0.5, True), ("a", 1, True), ("a", 1.5, False),
            ("a", 60, True), ("a", 60.5, False)]
    out = windowed_sequence(rows, 600, 3).collect()
    assert sorted(out[SOURCE_LINE].to_list()) == [2, 3, 4]
    assert out["count"][0] == 3


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


def test_sequence_within_field_is_the_latest_first_call_s_own_wait():
    # A 503 asking for 5 min at 0, then one at 5 that asked for nothing: the call at 6 follows
    # the second, which set no wait, so it is not judged on the first one's 5 minutes.
    rows = [("a", 0, True), ("a", 5, True), ("a", 6, False)]
    data = frame(rows).with_columns(retry_after=pl.Series([300.0, None, None]))
    opt = {"first": pl.col("ok"), "then": pl.lit(True), "within": None, "min_count": 1,
           "within_field": "retry_after"}
    assert lines(KINDS["sequence"].run(data, ["client_id"], opt)) == []


def sustained(minutes: list[float]) -> float:
    times = [T0 + timedelta(minutes=m) for m in minutes]
    return pl.DataFrame({"timestamp": times}).select(sustained_seconds()).item()


def test_sustained_is_time_elapsed_within_consecutive_clock_hours():
    # 09:05 .. 11:59 touch three clock hours in a row; 14:00 starts a new run.
    assert sustained([5, 50, 70, 179, 300]) == 174 * 60


def test_sustained_is_not_the_number_of_clock_hours_touched():
    # 10:59, 11:30, 12:00 touch three clock hours but span 61 minutes.
    assert sustained([119, 150, 180]) == 61 * 60
    # Every 12 minutes from 10:48 to 12:12: 84 minutes, not "3 hours running".
    assert sustained([108 + 12 * i for i in range(8)]) == 84 * 60


def test_sustained_an_hour_without_a_call_ends_the_run():
    # 09:00 .. 10:50, nothing in the 11:00 hour, then 12:10 .. 12:40.
    assert sustained([0, 60, 110, 190, 220]) == 110 * 60


def test_sustained_of_one_call_is_zero():
    assert sustained([30]) == 0


def errors(rows, min_count, window=None, observed=None, **opt):
    """count with `of` = the failed calls (ok is False)."""
    options = {"min_count": min_count, "window": window, "of": ~pl.col("ok"),
               "observed": observed, **opt}
    return KINDS["count"].run(frame(rows), ["client_id"], options)


def test_count_of_counts_only_matching_calls_and_only_they_offend():
    rows = [("a", m, m % 2 == 0) for m in range(10)]  # failures at 1, 3, 5, 7, 9
    out = errors(rows, 5, window=3600).collect()
    assert sorted(out[SOURCE_LINE].to_list()) == [2, 4, 6, 8, 10]
    assert out["count"][0] == 5 and out["sample"][0] == 10 and out["share"][0] == 0.5


def test_count_min_share_is_a_share_of_the_calls_in_the_window():
    rows = [("a", m, m >= 4) for m in range(20)]  # 4 failures in 20 calls: 20%
    assert lines(errors(rows, 4, window=3600, min_share=0.2)) == [1, 2, 3, 4]
    assert lines(errors(rows, 4, window=3600, min_share=0.25)) == [1, 2, 3, 4]  # first 16 calls
    late = [("a", m, m < 16) for m in range(20)]  # the failures come last: never 25% of 20
    assert lines(errors(late, 4, window=3600, min_share=0.25, min_sample=20)) == []
    assert lines(errors(late, 4, window=3600, min_share=0.2, min_sample=20)) == [17, 18, 19, 20]


def test_count_min_sample_keeps_a_few_calls_from_making_a_trend():
    rows = [("a", 0, False), ("a", 1, False), ("a", 2, True)]  # 2 of 3 calls failed
    assert lines(errors(rows, 2, window=3600, min_share=0.5)) == [1, 2]
    assert lines(errors(rows, 2, window=3600, min_share=0.5, min_sample=4)) == []


def rechecks(rows, min_count, window=3600):
    """count of repeats of `item` within the window; rows are (key, minutes, item)."""
    data = frame([(k, m, True) for k, m, _ in rows]).with_columns(
        item=pl.Series([i for _, _, i in rows], dtype=pl.String))
    opt = {"min_count": min_count, "window": window, "repeat_of": "item"}
    return KINDS["count"].run(data, ["client_id"], opt)


def test_count_repeat_of_counts_re_checks_of_items_across_a_rotation():
    # Five items in turn every 3 minutes: each item every 15 minutes, 16 re-checks an hour.
    rows = [("a", 3 * i, f"sku-{i % 5}") for i in range(21)]
    out = rechecks(rows, 9).collect()
    assert sorted(out[SOURCE_LINE].to_list()) == list(range(6, 22))
    assert out["count"][0] == 16
    assert out["items"][0] == 5  # the rule tells a loop (several items) from polling one


def test_count_repeat_of_one_item_is_one_item():
    out = rechecks([("a", m, "health-sku") for m in range(20)], 9).collect()
    assert out.height == 19 and out["items"].unique().to_list() == [1]


def test_count_repeat_of_many_different_items_are_no_repeats():
    rows = [("a", i, f"sku-{i}") for i in range(30)]
    assert lines(rechecks(rows, 1)) == []


def test_count_repeat_of_a_repeat_is_within_the_window_and_needs_a_value():
    rows = [("a", 0, "x"), ("a", 61, "x"), ("a", 62, None), ("a", 63, None), ("a", 70, "x")]
    assert lines(rechecks(rows, 1)) == [5]


def test_count_or_count_qualifies_whatever_the_share():
    rows = [("a", m / 10, m >= 5) for m in range(100)]  # 5 failures in 100 calls
    assert lines(errors(rows, 5, window=3600, min_share=0.2)) == [1, 2, 3, 4, 5]  # early window
    rows = [("a", m / 10, m < 95) for m in range(100)]  # the 5 failures come last: 5%
    assert lines(errors(rows, 5, window=3600, min_share=0.2)) == []
    assert lines(errors(rows, 5, window=3600, min_share=0.2, or_count=5)) == [96, 97, 98, 99, 100]


def test_count_normalise_scales_a_run_shorter_than_the_window():
    rows = [("a", 2 * m, m % 3 != 0) for m in range(10)]  # 20 min: 4 failures of 10 calls
    assert lines(errors(rows, 12, window=3600, observed=18 * 60)) == []
    normalised = errors(rows, 12, window=3600, observed=18 * 60, normalise=True).collect()
    assert sorted(normalised[SOURCE_LINE].to_list()) == [1, 4, 7, 10]
    assert normalised["count"][0] == 4 and abs(normalised["rate"][0] - 4 * 60 / 18) < 1e-9


def test_count_normalise_changes_nothing_when_the_run_covers_a_window():
    rows = [("a", 2 * m, m % 3 != 0) for m in range(10)]
    assert lines(errors(rows, 12, window=3600, observed=3600, normalise=True)) == []


def test_count_normalise_still_needs_the_minimum_sample():
    rows = [("a", 2 * m, m % 3 != 0) for m in range(10)]
    assert lines(errors(rows, 12, window=3600, observed=18 * 60, normalise=True,
                        min_sample=11)) == []


def test_count_metrics_come_from_the_worst_qualifying_window():
    rows = [("a", m, False) for m in range(3)] + [("a", 120 + m, False) for m in range(5)]
    out = errors(rows, 3, window=3600).collect()
    assert out.height == 8
    assert (out["count"][0], out["sample"][0], out["rate"][0]) == (5, 5, 5.0)


def test_count_whole_log_share_and_sample():
    rows = [("a", m * 600, m < 6) for m in range(10)] + [("b", 1, False)]
    out = errors(rows, 4, min_share=0.4).collect()
    assert sorted(out[SOURCE_LINE].to_list()) == [7, 8, 9, 10]
    assert (out["count"][0], out["sample"][0], out["share"][0]) == (4, 10, 0.4)


def state_frame(rows: list[tuple[str, float, str, str | None]]) -> pl.LazyFrame:
    """(order, minutes after T0, operation, status reported) rows."""
    return pl.LazyFrame({
        "client_id": ["c"] * len(rows),
        "order_id": [o for o, _, _, _ in rows],
        "timestamp": [T0 + timedelta(minutes=m) for _, m, _, _ in rows],
        "operation": [op for _, _, op, _ in rows],
        "order_status": [st for _, _, _, st in rows],
        SOURCE_FILE: ["f"] * len(rows),
        SOURCE_LINE: list(range(1, len(rows) + 1)),
    }).with_columns(pl.col("timestamp").dt.cast_time_unit("ms"))


def after_state(rows, state="order_status", min_count=1):
    opt = {"first": pl.col("order_status").is_in(["Billed"]).fill_null(False),
           "then": pl.col("operation") == "modifyOrder", "within": None,
           "min_count": min_count, "state": state}
    return KINDS["sequence"].run(state_frame(rows), ["client_id", "order_id"], opt)


def test_sequence_state_judges_only_the_last_known_state():
    rows = [("SO1", 0, "orderStatus", "Pending Approval"), ("SO1", 1, "modifyOrder", None),
            ("SO1", 2, "orderStatus", "Billed"), ("SO1", 3, "modifyOrder", None),
            ("SO2", 0, "orderStatus", "Billed"), ("SO2", 1, "orderStatus", None),
            ("SO2", 2, "modifyOrder", None)]
    assert lines(after_state(rows)) == [4, 7]


def test_sequence_state_a_later_state_replaces_an_earlier_one():
    # Without `state`, any earlier Billed call counts; with it, only the latest state does.
    rows = [("SO1", 0, "orderStatus", "Billed"), ("SO1", 1, "orderStatus", "Pending Fulfilment"),
            ("SO1", 2, "modifyOrder", None)]
    assert lines(after_state(rows, state=None)) == [3]
    assert lines(after_state(rows)) == []


def test_sequence_state_a_call_is_not_judged_on_its_own_state():
    rows = [("SO1", 0, "modifyOrder", "Billed")]
    assert lines(after_state(rows)) == []


def test_sequence_within_is_strict():
    rows = [("a", 0, True), ("a", 5, False)]  # exactly 5 minutes later
    assert lines(sequence(rows, within=300)) == []
    assert lines(sequence(rows, within=301)) == [2]


def streak(rows, max_length=None, max_span=None, max_gap=None):
    opt = {"while": ~pl.col("ok"), "max_length": max_length, "max_span": max_span,
           "max_gap": max_gap}
    return KINDS["streak"].run(frame(rows), ["client_id"], opt)


def test_streak_flags_runs_longer_than_max_length():
    six = [("a", 5 * i, False) for i in range(6)] + [("a", 30, True)]
    assert lines(streak(six, max_length=6)) == []
    seven = [("a", 5 * i, False) for i in range(7)]
    out = streak(seven, max_length=6).collect()
    assert sorted(out[SOURCE_LINE].to_list()) == [1, 2, 3, 4, 5, 6, 7]
    assert (out["length"][0], out["run_span"][0]) == (7, 30 * 60)


def test_streak_a_call_that_does_not_meet_while_ends_the_run():
    rows = [("a", i, i == 4) for i in range(9)]  # 4 failures, a success, 4 failures
    assert lines(streak(rows, max_length=4)) == []
    assert lines(streak(rows, max_length=3)) == [1, 2, 3, 4, 6, 7, 8, 9]


def test_streak_max_span_is_strict():
    rows = [("a", 0, False), ("a", 30, False)]
    assert lines(streak(rows, max_span=1800)) == []
    assert lines(streak(rows + [("a", 30.5, False)], max_span=1800)) == [1, 2, 3]


def test_streak_a_long_pause_ends_the_run():
    rows = [("a", 0, False), ("a", 1, False), ("a", 3 * 60, False), ("a", 3 * 60 + 1, False)]
    assert lines(streak(rows, max_length=3)) == [1, 2, 3, 4]
    assert lines(streak(rows, max_length=3, max_gap=3600)) == []


def test_streak_keys_are_separate():
    rows = [("a", 2 * i, False) for i in range(3)] + [("b", 2 * i + 1, False) for i in range(3)]
    assert lines(streak(rows, max_length=3)) == []


def test_count_repeat_of_two_bursts_of_one_item_each_are_one_item():
    # AAA every 4 minutes for an hour, then BBB the same way four hours later: two polling
    # bursts, not a loop over two items.
    rows = [("a", 4 * i, "AAA") for i in range(16)] + [("a", 300 + 4 * i, "BBB") for i in range(16)]
    out = rechecks(rows, 9).collect()
    assert out.height == 30 and out["items"].unique().to_list() == [1]

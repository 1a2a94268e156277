"""Timestamp parsing: the accepted forms become the same UTC instant; the rest get a reason."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analyzer.timestamps import parse_timestamp, parse_timestamps, reject_reason

NINE = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)


def parsed(value: str, zone: str | None = None) -> datetime | None:
    return pl.select(parse_timestamp(pl.lit(value, dtype=pl.String), zone)).item()


def reason(value: str | None, zone: str | None = None) -> str:
    return pl.select(reject_reason(pl.lit(value, dtype=pl.String), zone)).item()


@pytest.mark.parametrize("text", [
    "2026-01-01T09:00:00Z", "2026-01-01T09:00:00.000Z", "2026-01-01T10:00:00+01:00",
    "2026-01-01T10:00:00+0100", "2026-01-01T10:00:00+01", "2026-01-01 09:00:00Z",
    "2026-01-01T04:00:00-05:00", "2026-01-01T09:00Z", "2026-01-01T09:00:00 +00:00",
    " 2026-01-01T09:00:00Z ", "1767258000", "1767258000000", "1767258000.000",
])
def test_accepted_forms_mean_the_same_instant(text):
    assert parsed(text) == NINE


def test_fractions_keep_milliseconds():
    assert parsed("2026-01-01T09:00:00,123456Z") == NINE.replace(microsecond=123000)


def test_naive_times_need_a_zone_and_then_use_it():
    assert parsed("2026-07-01T10:00:00") is None
    assert reason("2026-07-01T10:00:00") == "timestamp has no UTC offset (name the zone with --timezone)"
    assert parsed("2026-07-01T10:00:00", "Europe/London") == datetime(2026, 7, 1, 9, tzinfo=UTC)


def test_a_local_time_skipped_by_daylight_saving_is_rejected_with_that_reason():
    assert parsed("2026-03-29T01:30:00", "Europe/London") is None
    assert reason("2026-03-29T01:30:00", "Europe/London") == (
        "timestamp does not exist in Europe/London (clocks went forward)")


@pytest.mark.parametrize("text, why", [
    (None, "timestamp missing"),
    ("   ", "timestamp missing"),
    ("yesterday", "timestamp not ISO-8601 with offset or epoch seconds/milliseconds"),
    ("42", "timestamp not ISO-8601 with offset or epoch seconds/milliseconds"),
    ("2026-13-01T00:00:00Z", "timestamp not ISO-8601 with offset or epoch seconds/milliseconds"),
    ("1999-12-31T23:59:59Z", "timestamp outside 2000-2099"),
    ("99999999999999", "timestamp outside 2000-2099"),
])
def test_rejected_values_get_a_reason(text, why):
    assert parsed(text) is None if text is not None else True
    assert reason(text) == why


# --- the fast path: one fixed format first, the flexible parser for what it misses --------------

def flexible(values: list[str | None], zone: str | None) -> list[datetime | None]:
    """What the flexible parser alone makes of each value: trimmed, ISO and epoch forms, then
    the access-log forms."""
    text = pl.col("t").str.strip_chars()
    text = pl.when(text != "").then(text)
    both = pl.coalesce(parse_timestamp(text, zone), parse_timestamp(text, zone, True))
    return pl.DataFrame({"t": values}, schema={"t": pl.String}).select(both).to_series().to_list()


PIECES = {
    "space": ["", " ", "\t"],
    "date": ["2026-11-02", "2026-02-29", "2028-02-29", "2026-13-01", "1999-12-31", "2099-12-31",
             "2100-01-01", "2026-1-2", "20261102", "0999-01-01"],
    "sep": ["T", "t", " ", "  "],
    "time": ["00:00:00", "23:59:59", "24:00:00", "12:30", "12:30:60", "9:05:03", "07:08:09"],
    "fraction": ["", ".1", ".123", ".123456", ".123456789", ",5", "."],
    "offset": ["Z", "z", "+00:00", "+0100", "+01", "-05:00", " +01:00", " Z", "", "+1",
               "+25:00", "UTC", "-0530"],
}
timestamps = st.builds(lambda *parts: "".join(parts), *(st.sampled_from(PIECES[k]) for k in (
    "space", "date", "sep", "time", "fraction", "offset", "space"))) | st.text(max_size=30)


@settings(max_examples=150, deadline=None)
@given(st.lists(timestamps | st.none(), max_size=20), st.sampled_from([None, "Europe/London"]))
def test_the_fast_path_gives_what_the_flexible_parser_gives(values, zone):
    fast = parse_timestamps(pl.Series("timestamp", values, dtype=pl.String), zone)
    assert fast.to_list() == flexible(values, zone)


def test_the_fast_path_reads_offsets_fractions_and_falls_back_for_the_rest():
    values = ["2026-01-01T10:00:00.5+01:00", "2026-01-01 09:00:00Z", "1767258000", None, "x",
              "10/Oct/2026:13:55:36 -0700"]
    assert parse_timestamps(pl.Series(values)).to_list() == [
        NINE.replace(microsecond=500000), NINE, NINE, None, None,
        datetime(2026, 10, 10, 20, 55, 36, tzinfo=UTC)]

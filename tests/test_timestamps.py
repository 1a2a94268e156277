"""Timestamp parsing: the accepted forms become the same UTC instant; the rest get a reason."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import pytest

from analyzer.timestamps import parse_timestamp, reject_reason

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

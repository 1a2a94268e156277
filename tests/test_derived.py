"""The derived fields the engine adds before rules run: subject, maintenance window, live,
price-book membership, and what the provider's answer means."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl

from analyzer.config import Config
from analyzer.derived import add_derived
from analyzer.error_meanings import parse_error_meanings
from analyzer.maintenance import parse_windows
from analyzer.schema import DERIVED


def windows(*specs):
    problems = []
    parsed = parse_windows(list(specs), "maintenance", lambda k, m: problems.append((k, m)))
    assert problems == []
    return parsed


TEXT = ("environment", "part_number", "order_id", "purchase_order_id", "operation",
        "error_code", "error_message")


def rows(**columns) -> pl.DataFrame:
    n = len(next(iter(columns.values())))
    base = {name: [None] * n for name in (*TEXT, "http_status")}
    base["timestamp"] = [datetime(2026, 11, 16, tzinfo=UTC)] * n
    frame = pl.DataFrame({**base, **columns}, schema_overrides={
        **{name: pl.String for name in TEXT}, "http_status": pl.Int32})
    return frame.with_columns(pl.col("timestamp").dt.cast_time_unit("ms"))


def names(config: Config, *moments: str) -> list[str | None]:
    frame = rows(timestamp=[datetime.fromisoformat(m) for m in moments])
    return add_derived(frame, config)["maintenance_window"].to_list()


def test_every_derived_field_is_added():
    out = add_derived(rows(environment=["live"]), Config())
    assert [f.name for f in DERIVED] == out.columns[-len(DERIVED):]


def test_absolute_window_includes_start_and_excludes_end():
    config = Config(maintenance=windows(
        {"name": "upgrade", "start": "2026-11-18T02:00:00Z", "end": "2026-11-18T02:30:00Z"}))
    assert names(config, "2026-11-18T01:59:59.999+00:00", "2026-11-18T02:00:00+00:00",
                 "2026-11-18T02:29:59.999+00:00", "2026-11-18T02:30:00+00:00") == [
        None, "upgrade", "upgrade", None]


def test_recurring_window_across_midnight_in_local_time():
    # Sundays 23:00 to 01:30 London time; in November London is UTC.
    config = Config(maintenance=windows(
        {"name": "patching", "days": ["sun"], "from": "23:00", "to": "01:30",
         "timezone": "Europe/London"}))
    assert names(config,
                 "2026-11-22T22:59:00+00:00",  # Sunday, before
                 "2026-11-22T23:00:00+00:00",  # Sunday, opens
                 "2026-11-23T01:29:00+00:00",  # Monday morning: Sunday's window
                 "2026-11-23T01:30:00+00:00",  # closed
                 "2026-11-23T23:30:00+00:00",  # Monday evening: not a window day
                 "2026-11-22T00:30:00+00:00",  # Sunday morning: Saturday's, not a window
                 ) == [None, "patching", "patching", None, None, None]


def test_recurring_window_follows_the_zone_offset():
    # 02:00-03:00 New York time in July is 06:00-07:00 UTC.
    config = Config(maintenance=windows(
        {"name": "ny", "days": "daily", "from": "02:00", "to": "03:00",
         "timezone": "America/New_York"}))
    assert names(config, "2026-07-01T05:59:00+00:00", "2026-07-01T06:00:00+00:00",
                 "2026-07-01T07:00:00+00:00") == [None, "ny", None]


def test_the_first_window_that_matches_names_the_call():
    config = Config(maintenance=windows(
        {"name": "first", "start": "2026-11-18T02:00:00Z", "end": "2026-11-18T03:00:00Z"},
        {"name": "second", "days": "daily", "from": "02:30", "to": "04:00"}))
    assert names(config, "2026-11-18T02:45:00+00:00", "2026-11-18T03:30:00+00:00") == [
        "first", "second"]


def test_no_environment_is_unknown_not_test():
    assert add_derived(rows(environment=[None] * 2), Config())["is_live"].to_list() == [None, None]


def test_is_live_reads_the_configured_names_case_blind():
    frame = rows(environment=["live", "PROD", "test", "sandbox", None])
    assert add_derived(frame, Config())["is_live"].to_list() == [True, True, False, False, None]
    config = Config(live_environments=("prd",))
    assert add_derived(frame, config)["is_live"].to_list() == [False, False, False, False, None]


def test_part_listed_needs_a_price_book():
    frame = rows(part_number=["A-1", "B-2", None])
    assert add_derived(frame, Config())["part_listed"].to_list() == [None, None, None]
    listed = add_derived(frame, Config(known_skus=frozenset({"A-1"})))["part_listed"]
    assert listed.to_list() == [True, False, None]


def test_subject_is_the_po_else_the_order_else_the_part():
    frame = rows(purchase_order_id=["PO-1", None, None, None], order_id=["SO1", "SO2", None, None],
                 part_number=["P", "P", "P", None])
    assert add_derived(frame, Config())["subject"].to_list() == ["PO-1", "SO2", "P", None]


def meanings(config: Config, **columns) -> dict[str, list]:
    out = add_derived(rows(**columns), config)
    return {name: out[name].to_list() for name in ("not_found", "duplicate_po", "wait_and_retry")}


def test_what_answers_mean_by_default():
    got = meanings(Config(),
                   http_status=[404, 500, 500, 503, 503, 500, 200, None],
                   error_code=[None, "100", "101", None, "300", "503", None, None],
                   error_message=[None, "Order SO5231 not found", "not unique", None,
                                  "downstream", None, None, "Timed out"])
    assert got == {
        "not_found": [True, True, False, False, False, False, False, False],
        "duplicate_po": [False, False, True, False, False, False, False, False],
        "wait_and_retry": [False, False, False, True, True, True, False, False],
    }


def test_what_answers_mean_is_set_once_in_the_config():
    problems = []
    errors = parse_error_meanings({"not_found_codes": [104], "duplicate_codes": ["D1"],
                                   "retry_statuses": [429]}, "errors",
                                  lambda k, m: problems.append((k, m)))
    assert problems == []
    got = meanings(Config(errors=errors), http_status=[500, 500, 429, 503],
                   error_code=["104", "D1", None, None], error_message=[None, None, None, None])
    assert got == {"not_found": [True, False, False, False],
                   "duplicate_po": [False, True, False, False],
                   "wait_and_retry": [False, False, True, False]}


def test_order_api_operations():
    out = add_derived(rows(operation=["submitOrder", "GET /orders/{id}", None]), Config())
    assert out["order_api"].to_list() == [True, False, False]

"""Parse the timestamp column: ISO-8601 with an offset or `Z`, or epoch seconds or milliseconds.

Everything is vectorised Polars; a value that does not parse becomes null and the loader
counts its row as rejected with the reason `reject_reason` gives. Naive ISO times are refused
unless the user names the zone they were written in (`--timezone`): guessing UTC would shift
every gap-based rule by the zone offset on half the year.
"""

from __future__ import annotations

import polars as pl

from analyzer.schema import TIMESTAMP_DTYPE

_WITH_OFFSET = ("%Y-%m-%dT%H:%M:%S%.f%#z", "%Y-%m-%dT%H:%M%#z")
_NAIVE = ("%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M")
# The access-log forms, tried only where ISO-8601 and epoch failed: Apache and nginx
# `10/Oct/2026:13:55:36 -0700`, Python http.server's `10/Oct/2026 13:55:36` (no offset).
ACCESS_LOG_WITH_OFFSET = ("%d/%b/%Y:%H:%M:%S%.f%z",)
ACCESS_LOG_NAIVE = ("%d/%b/%Y %H:%M:%S", "%d/%b/%Y:%H:%M:%S")
_EPOCH = r"^\d{9,14}(\.\d+)?$"
# Epoch values below this are seconds, above are milliseconds (the boundary is 1973 in ms and
# year 5138 in seconds, so no plausible log is ambiguous).
_MS_THRESHOLD = 100_000_000_000
# OpenTelemetry's *UnixNano (and microseconds), in the second pass: 16 digits are
# microseconds, 19 nanoseconds.
_FINE_EPOCH = r"^\d{15,19}$"
_NS_THRESHOLD = 100_000_000_000_000_000
EARLIEST = "2000-01-01T00:00:00Z"
LATEST = "2100-01-01T00:00:00Z"
# The form most exports write throughout. Parsing a column with one fixed format costs a
# fraction of the flexible parser below (its rewrites, formats and epoch forms), and wherever
# this format parses a value the flexible parser gives the same instant (tests/test_timestamps.py
# checks both on generated values), so only the values it misses pay for the flexible parser.
FAST_FORMAT = "%Y-%m-%dT%H:%M:%S%.f%#z"


def _tidy(raw: pl.Expr) -> pl.Expr:
    """Accept the common ISO variants: a space for `T`, a comma before fractions, ` +01:00`."""
    return (
        raw.str.strip_chars()
        .str.replace(r"^(\d{4}-\d{2}-\d{2})[ ]", "${1}T")
        .str.replace(r"(T\d{2}:\d{2}:\d{2}),(\d)", "${1}.${2}")
        .str.replace(r"[ ]([+-]\d{2}:?\d{2}|Z)$", "${1}")
    )


def _first_parse(text: pl.Expr, formats: tuple[str, ...]) -> pl.Expr:
    return pl.coalesce(
        [text.str.to_datetime(fmt, strict=False, time_unit="ms", time_zone="UTC")
         for fmt in formats]
    )


def _naive_parse(text: pl.Expr, formats: tuple[str, ...] = _NAIVE) -> pl.Expr:
    return pl.coalesce([text.str.to_datetime(fmt, strict=False, time_unit="ms")
                        for fmt in formats])


def _epoch(text: pl.Expr) -> pl.Expr:
    number = pl.when(text.str.contains(_EPOCH)).then(text.cast(pl.Float64, strict=False))
    millis = pl.when(number < _MS_THRESHOLD).then(number * 1000).otherwise(number)
    return _utc_ms(millis)


def _fine_epoch(text: pl.Expr) -> pl.Expr:
    # A float holds nanoseconds of this century to a fraction of a microsecond: enough for ms.
    number = pl.when(text.str.contains(_FINE_EPOCH)).then(text.cast(pl.Float64, strict=False))
    return _utc_ms(pl.when(number < _NS_THRESHOLD).then(number / 1000).otherwise(number / 1e6))


def _utc_ms(millis: pl.Expr) -> pl.Expr:
    whole = millis.round(0).cast(pl.Int64, strict=False)
    return whole.cast(pl.Datetime("ms")).dt.replace_time_zone("UTC")


def parse_timestamp(raw: pl.Expr, naive_timezone: str | None = None,
                    access_log_forms: bool = False) -> pl.Expr:
    """An expression turning a String column into Datetime(ms, UTC); null where it cannot.
    `access_log_forms` tries the access-log forms and micro- and nanosecond epochs instead (a
    second pass, so that ISO and epoch logs do not pay for them)."""
    text = _tidy(raw)
    with_offset, naive = (ACCESS_LOG_WITH_OFFSET, ACCESS_LOG_NAIVE) if access_log_forms else (
        _WITH_OFFSET, _NAIVE)
    candidates = [_first_parse(text, with_offset),
                  _fine_epoch(text) if access_log_forms else _epoch(text)]
    if naive_timezone:
        local = _naive_parse(text, naive).dt.replace_time_zone(
            naive_timezone, ambiguous="earliest", non_existent="null"
        )
        candidates.append(local.dt.convert_time_zone("UTC"))
    return _in_range(pl.coalesce(candidates).cast(TIMESTAMP_DTYPE))


def _in_range(parsed: pl.Expr) -> pl.Expr:
    return pl.when(parsed.is_between(_utc(EARLIEST), _utc(LATEST), closed="left")).then(parsed)


def parse_timestamps(raw: pl.Series, naive_timezone: str | None = None) -> pl.Series:
    """A column of raw text as Datetime(ms, UTC), null where it cannot be parsed: the same
    values as `parse_timestamp` of the trimmed text and then its access-log forms, computed
    with FAST_FORMAT first so that the flexible parsers only see the values it missed."""
    parsed = raw.str.to_datetime(FAST_FORMAT, strict=False, time_unit="ms", time_zone="UTC")
    # On a column, not in the expression: an expression would parse twice, once to check.
    fast = parsed.to_frame("t").select(_in_range(pl.col("t"))).to_series()
    missed = fast.is_null() & raw.is_not_null()
    if not missed.any():
        return fast.alias(raw.name)
    where = missed.arg_true()
    text = pl.col("t").str.strip_chars()
    text = pl.when(text != "").then(text)
    rest = raw.gather(where).to_frame("t").select(pl.coalesce(
        parse_timestamp(text, naive_timezone),
        parse_timestamp(text, naive_timezone, access_log_forms=True))).to_series()
    return fast.scatter(where, rest).alias(raw.name)


def reject_reason(raw: pl.Expr, naive_timezone: str | None = None) -> pl.Expr:
    """Why a timestamp that did not parse was refused (only meaningful where parsing failed)."""
    text = _tidy(raw)
    offsets, naives = (*_WITH_OFFSET, *ACCESS_LOG_WITH_OFFSET), (*_NAIVE, *ACCESS_LOG_NAIVE)
    naive = _naive_parse(text, naives).is_not_null() & _first_parse(text, offsets).is_null()
    naive_reason = (
        f"timestamp does not exist in {naive_timezone} (clocks went forward)"
        if naive_timezone
        else "timestamp has no UTC offset (name the zone with --timezone)"
    )
    parsed_anyhow = pl.coalesce([_first_parse(text, offsets), _epoch(text),
                                 _fine_epoch(text)]).is_not_null()
    return (
        pl.when(raw.is_null() | (raw.str.strip_chars() == ""))
        .then(pl.lit("timestamp missing"))
        .when(naive)
        .then(pl.lit(naive_reason))
        .when(parsed_anyhow)
        .then(pl.lit("timestamp outside 2000-2099"))
        .otherwise(pl.lit("timestamp not ISO-8601 with offset or epoch seconds/milliseconds"))
    )


def _utc(text: str) -> pl.Expr:
    return pl.lit(text).str.to_datetime("%Y-%m-%dT%H:%M:%S%#z", time_unit="ms", time_zone="UTC")

"""Parse the timestamp column: ISO-8601 with an offset or `Z`, or epoch seconds or milliseconds.

Everything is vectorised Polars; a value that does not parse becomes null and the loader
counts its row as rejected with the reason `reject_reason` gives. Naive ISO times are refused
unless the user names the zone they were written in (`--timezone`): guessing UTC would shift
every gap-based rule by the zone offset on half the year.
"""

from __future__ import annotations

import polars as pl

from analyzer.schema import TIMESTAMP_DTYPE

# ISO-8601, and the access-log forms: Apache/nginx `10/Oct/2026:13:55:36 -0700` and Python
# http.server's `10/Oct/2026 13:55:36` (local time, no offset).
_WITH_OFFSET = ("%Y-%m-%dT%H:%M:%S%.f%#z", "%Y-%m-%dT%H:%M%#z", "%d/%b/%Y:%H:%M:%S%.f%z")
_NAIVE = ("%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M", "%d/%b/%Y %H:%M:%S", "%d/%b/%Y:%H:%M:%S")
_EPOCH = r"^\d{9,19}(\.\d+)?$"
# Epoch values below 1e11 are seconds, then milliseconds, microseconds and nanoseconds
# (OpenTelemetry's *UnixNano); each boundary is far from any plausible log's year.
_MS_THRESHOLD = 100_000_000_000
_US_THRESHOLD = 100_000_000_000_000
_NS_THRESHOLD = 100_000_000_000_000_000
EARLIEST = "2000-01-01T00:00:00Z"
LATEST = "2100-01-01T00:00:00Z"


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


def _naive_parse(text: pl.Expr) -> pl.Expr:
    return pl.coalesce([text.str.to_datetime(fmt, strict=False, time_unit="ms") for fmt in _NAIVE])


def _epoch(text: pl.Expr) -> pl.Expr:
    is_epoch = text.str.contains(_EPOCH)
    number = pl.when(is_epoch).then(text.cast(pl.Float64, strict=False))
    # Nanoseconds lose precision as a float; the integer part is exact, and enough.
    whole = pl.when(is_epoch).then(text.str.extract(r"^(\d+)", 1).cast(pl.Int64, strict=False))
    millis = (pl.when(number < _MS_THRESHOLD).then((number * 1000).round(0).cast(pl.Int64))
              .when(number < _US_THRESHOLD).then(number.round(0).cast(pl.Int64))
              .when(number < _NS_THRESHOLD).then(whole // 1000)
              .otherwise(whole // 1_000_000))
    return millis.cast(pl.Datetime("ms")).dt.replace_time_zone("UTC")


def parse_timestamp(raw: pl.Expr, naive_timezone: str | None = None) -> pl.Expr:
    """An expression turning a String column into Datetime(ms, UTC); null where it cannot."""
    text = _tidy(raw)
    candidates = [_first_parse(text, _WITH_OFFSET), _epoch(text)]
    if naive_timezone:
        local = _naive_parse(text).dt.replace_time_zone(
            naive_timezone, ambiguous="earliest", non_existent="null"
        )
        candidates.append(local.dt.convert_time_zone("UTC"))
    parsed = pl.coalesce(candidates).cast(TIMESTAMP_DTYPE)
    in_range = parsed.is_between(_utc(EARLIEST), _utc(LATEST), closed="left")
    return pl.when(in_range).then(parsed)


def reject_reason(raw: pl.Expr, naive_timezone: str | None = None) -> pl.Expr:
    """Why a timestamp that did not parse was refused (only meaningful where parsing failed)."""
    text = _tidy(raw)
    naive = _naive_parse(text).is_not_null() & _first_parse(text, _WITH_OFFSET).is_null()
    naive_reason = (
        f"timestamp does not exist in {naive_timezone} (clocks went forward)"
        if naive_timezone
        else "timestamp has no UTC offset (name the zone with --timezone)"
    )
    parsed_anyhow = pl.coalesce([_first_parse(text, _WITH_OFFSET), _epoch(text)]).is_not_null()
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

"""Turn a file's raw values into typed canonical rows, and every row that cannot be typed into a
counted reject with its reason. The checks run in a fixed order; a row is rejected for the
first problem found, so the counts add up to the rows rejected."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import polars as pl

from analyzer.model import RejectExample
from analyzer.rawfile import MAX_EXAMPLES_PER_REASON, MAX_VALUE_CHARS, clip_reject
from analyzer.schema import (
    FIELDS,
    FIELDS_BY_NAME,
    SOURCE_FILE,
    SOURCE_LINE,
    TIMESTAMP_DTYPE,
    frame_schema,
)
from analyzer.timestamps import parse_timestamp, reject_reason

# A canonical value longer than this is not an id, a name or a fault text but a damaged or
# hostile line; it is rejected rather than carried into every report.
MAX_FIELD_BYTES = 8192
_REASON = "_reason"
_CULPRIT = "_culprit"


@dataclass(frozen=True)
class Normalised:
    frame: pl.DataFrame
    rejected: Counter
    examples: list[RejectExample]
    rejects: list[RejectExample]  # every rejected row, for --rejects


def normalise(raw: pl.DataFrame, file: str, default_client: str,
              timezone: str | None = None) -> Normalised:
    """Type every canonical field, reject rows that cannot be typed, fill the default client."""
    frame = raw.with_columns(
        [pl.lit(None, dtype=pl.String).alias(f.name) for f in FIELDS if f.name not in raw.columns]
    )
    # Keep the raw text beside the typed value: reject reasons and examples quote the input.
    frame = frame.with_columns([_as_text(frame, f.name).alias(_raw(f.name)) for f in FIELDS])
    texts = {f.name: pl.col(_raw(f.name)) for f in FIELDS}
    typed = _second_pass(frame.with_columns(_typed_values(frame, texts, timezone)), texts,
                         timezone)
    typed = typed.with_columns(_retry_after(texts["retry_after"]).alias("retry_after"))
    checks = _checks(texts, timezone)
    failed = pl.any_horizontal([condition for condition, _, _ in checks])
    # Reasons are worked out for the failed rows only: most files have none.
    bad = typed.filter(failed).with_columns(_problem(checks))
    good = typed.filter(~failed).with_columns(
        pl.col("client_id").fill_null(default_client),
        pl.lit(file, dtype=pl.String).alias(SOURCE_FILE),
    )
    schema = frame_schema()
    return Normalised(good.select([pl.col(n).cast(t) for n, t in schema.items()]),
                      _counts(bad), _examples(bad), _all_rejects(bad))


def _raw(name: str) -> str:
    return f"_raw_{name}"


def _as_text(frame: pl.DataFrame, name: str) -> pl.Expr:
    """A column as trimmed text with empties as null, whatever type the reader produced."""
    dtype = frame.schema[name]
    column = pl.col(name)
    if dtype.is_float():
        # 101.0 from a float column is the code "101", not "101.0".
        whole = column == column.round(0)
        text = pl.when(whole).then(column.cast(pl.Int64).cast(pl.String)).otherwise(
            column.cast(pl.String))
    else:
        text = column.cast(pl.String)
    text = text.str.strip_chars()
    return pl.when(text != "").then(text)


def _typed_values(frame: pl.DataFrame, texts: dict[str, pl.Expr], timezone: str | None) -> list:
    out = [_timestamp(frame, texts["timestamp"], timezone).alias("timestamp")]
    for f in FIELDS:
        if f.name == "timestamp":
            continue
        if f.name == "retry_after":  # seconds here; an HTTP date once times are known
            seconds = texts[f.name].cast(pl.Float64, strict=False)
            out.append(pl.when(seconds >= 0).then(seconds).alias(f.name))
        elif f.dtype == pl.String:
            out.append(texts[f.name].alias(f.name))
        else:
            out.append(texts[f.name].cast(f.dtype, strict=False).alias(f.name))
    return out


def _timestamp(frame: pl.DataFrame, text: pl.Expr, timezone: str | None) -> pl.Expr:
    dtype = frame.schema["timestamp"]
    if isinstance(dtype, pl.Datetime):
        column = pl.col("timestamp")
        if dtype.time_zone is None:
            # Parquet writers store UTC as naive timestamps more often than not.
            column = column.dt.replace_time_zone(timezone or "UTC", non_existent="null",
                                                 ambiguous="earliest")
        return column.dt.convert_time_zone("UTC").cast(TIMESTAMP_DTYPE)
    return parse_timestamp(text, timezone)


def _second_pass(typed: pl.DataFrame, texts: dict[str, pl.Expr],
                 timezone: str | None) -> pl.DataFrame:
    """Access-log time forms, tried only when some timestamps did not parse as ISO or epoch."""
    if typed.schema["timestamp"] != TIMESTAMP_DTYPE or not typed.select(
            (pl.col("timestamp").is_null() & texts["timestamp"].is_not_null()).any()).item():
        return typed
    again = parse_timestamp(texts["timestamp"], timezone, access_log_forms=True)
    return typed.with_columns(pl.coalesce(pl.col("timestamp"), again).alias("timestamp"))


def _checks(texts: dict[str, pl.Expr], timezone: str | None) -> list[tuple]:
    """(row cannot be analysed, why, the offending text), in the order they are reported."""
    return [
        (pl.col("timestamp").is_null(), reject_reason(texts["timestamp"], timezone),
         texts["timestamp"]),
        (texts["operation"].is_null(), pl.lit("operation missing"), pl.lit("")),
        (texts["http_status"].is_not_null()
         & ~pl.col("http_status").is_between(100, 599).fill_null(False),
         pl.lit("http_status not an HTTP status code (100-599)"), texts["http_status"]),
        (texts["latency_ms"].is_not_null() & pl.col("latency_ms").is_null(),
         pl.lit("latency_ms not a number"), texts["latency_ms"]),
        (texts["retry_after"].is_not_null() & pl.col("retry_after").is_null(),
         pl.lit("retry_after not seconds or an HTTP date"), texts["retry_after"]),
        _overlong_field(texts),
    ]


def _overlong_field(texts: dict[str, pl.Expr]) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """One check over every text field: the row fails if any is longer than MAX_FIELD_BYTES,
    and the reason names the first such field."""
    named = [(name, (text.str.len_bytes() > MAX_FIELD_BYTES).fill_null(False))
             for name, text in texts.items() if FIELDS_BY_NAME[name].dtype == pl.String]
    reason = pl.coalesce([pl.when(hit).then(pl.lit(f"{name} longer than {MAX_FIELD_BYTES:,} "
                                                    f"bytes")) for name, hit in named])
    culprit = pl.coalesce([pl.when(hit).then(texts[name]) for name, hit in named])
    return pl.any_horizontal([hit for _, hit in named]), reason, culprit


def _problem(checks: list[tuple]) -> list[pl.Expr]:
    """The first reason a row cannot be analysed, and the offending text."""
    reason = pl.when(checks[0][0]).then(checks[0][1])
    culprit = pl.when(checks[0][0]).then(checks[0][2])
    for condition, why, value in checks[1:]:
        reason = reason.when(condition).then(why)
        culprit = culprit.when(condition).then(value)
    return [reason.alias(_REASON), culprit.alias(_CULPRIT)]


def _retry_after(text: pl.Expr) -> pl.Expr:
    """Retry-After is delay-seconds or an HTTP date; a date becomes seconds after the call."""
    date = text.str.to_datetime("%a, %d %b %Y %H:%M:%S GMT", strict=False, time_unit="ms",
                                time_zone="UTC")
    after_call = (date - pl.col("timestamp")).dt.total_milliseconds() / 1000.0
    return pl.coalesce(pl.col("retry_after"), after_call.clip(lower_bound=0.0))


def _all_rejects(bad: pl.DataFrame) -> list[RejectExample]:
    rows = bad.sort(SOURCE_LINE).select(SOURCE_LINE, _REASON, _CULPRIT).iter_rows()
    return [RejectExample(line, reason, clip_reject(value or "")) for line, reason, value in rows]


def _counts(bad: pl.DataFrame) -> Counter:
    if bad.is_empty():
        return Counter()
    counts = bad.group_by(_REASON).len()
    return Counter(dict(zip(counts[_REASON].to_list(), counts["len"].to_list(), strict=True)))


def _examples(bad: pl.DataFrame) -> list[RejectExample]:
    if bad.is_empty():
        return []
    first = bad.sort(SOURCE_LINE).group_by(_REASON, maintain_order=True).head(
        MAX_EXAMPLES_PER_REASON)
    return [
        RejectExample(line, reason, _clip(value or ""))
        for line, reason, value in first.select(SOURCE_LINE, _REASON, _CULPRIT).iter_rows()
    ]


def _clip(value: str) -> str:
    return value if len(value) <= MAX_VALUE_CHARS else value[:MAX_VALUE_CHARS] + "…"

"""Turn a file's raw values into typed canonical rows, and every row that cannot be typed into a
counted reject with its reason. The checks run in a fixed order; a row is rejected for the
first problem found, so the counts add up to the rows rejected.

Most rows of most files are fine, so the work is split: every row is typed with the cheapest
expressions that give its value (a fixed-format timestamp parse, a direct cast of a typed
column), and only the rows that fail a check are turned back into trimmed text to find and
quote their reason.
"""

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
from analyzer.timestamps import parse_timestamps, reject_reason

# A canonical value longer than this is not an id, a name or a fault text but a damaged or
# hostile line; it is rejected rather than carried into every report.
MAX_FIELD_BYTES = 8192
_REASON = "_reason"
_CULPRIT = "_culprit"
# Fields a row can be rejected for, besides a timestamp and an operation: a value that is
# there but is not of the field's type.
_NUMERIC_CHECKED = ("http_status", "latency_ms", "retry_after")


@dataclass(frozen=True)
class Normalised:
    frame: pl.DataFrame
    rejected: Counter
    examples: list[RejectExample]
    rejects: list[RejectExample]  # every rejected row, for --rejects


def normalise(raw: pl.DataFrame, file: str, default_client: str,
              timezone: str | None = None) -> Normalised:
    """Type every canonical field, reject rows that cannot be typed, fill the default client."""
    clean = _trimmed(raw)
    typed = _typed(clean, timezone)
    failed = _failed(clean, typed)
    schema = frame_schema()
    good = typed.filter(~failed) if failed.any() else typed
    good = good.with_columns(
        pl.col("client_id").fill_null(default_client),
        pl.lit(file, dtype=pl.String).alias(SOURCE_FILE),
    ).select([pl.col(n).cast(t) for n, t in schema.items()])
    if not failed.any():
        return Normalised(good, Counter(), [], [])
    bad = _reasons(clean.filter(failed), typed.filter(failed), timezone)
    return Normalised(good, _counts(bad), _examples(bad), _all_rejects(bad))


# --- typing every row ---------------------------------------------------------------------

def _trimmed(raw: pl.DataFrame) -> pl.DataFrame:
    """The canonical fields the file has, text trimmed and blank text as null (a column the
    reader typed as it is), and source_line. Everything below works on this frame."""
    return raw.select([pl.col(SOURCE_LINE)] + [
        pl.col(f.name).str.strip_chars().replace("", None) if raw.schema[f.name] == pl.String
        else pl.col(f.name)
        for f in FIELDS if f.name in raw.columns])


def _typed(raw: pl.DataFrame, timezone: str | None) -> pl.DataFrame:
    """Every canonical field typed (null where the file has no such column), and source_line."""
    columns = [pl.col(SOURCE_LINE)]
    for f in FIELDS:
        if f.name == "timestamp":
            columns.append(_timestamp(raw, timezone).alias(f.name))
        elif f.name not in raw.columns:
            columns.append(pl.lit(None, dtype=f.dtype).alias(f.name))
        elif f.name == "retry_after":  # seconds here; an HTTP date once times are known
            seconds = _number(raw, f.name, pl.Float64)
            columns.append(pl.when(seconds >= 0).then(seconds).alias(f.name))
        elif f.dtype == pl.String:
            columns.append(_text(raw, f.name).alias(f.name))
        else:
            columns.append(_number(raw, f.name, f.dtype).alias(f.name))
    typed = raw.select(columns)
    if "retry_after" in raw.columns:
        date = raw.select(_http_date(_text(raw, "retry_after"))).to_series()
        typed = typed.with_columns(_retry_after(date).alias("retry_after"))
    return typed


def _text(frame: pl.DataFrame, name: str) -> pl.Expr:
    """A column of the trimmed frame as text, whatever type the reader produced."""
    dtype = frame.schema[name]
    column = pl.col(name)
    if dtype == pl.String:
        return column
    if dtype.is_float():
        # 101.0 from a float column is the code "101", not "101.0".
        whole = column == column.round(0)
        text = pl.when(whole).then(column.cast(pl.Int64, strict=False).cast(pl.String)).otherwise(
            column.cast(pl.String))
    else:
        text = column.cast(pl.String)
    text = text.str.strip_chars()
    return pl.when(text != "").then(text)


def _number(frame: pl.DataFrame, name: str, dtype: pl.DataType) -> pl.Expr:
    """The column as `dtype`: the number its trimmed text reads as. A column a reader already
    typed is cast directly where that gives the same number as going through its text."""
    source = frame.schema[name]
    column = pl.col(name)
    target = dtype() if isinstance(dtype, type) else dtype
    if source.is_integer() and (target.is_integer() or target.is_float()):
        return column.cast(target, strict=False)
    if source == pl.Float64 and target.is_float():
        return column.cast(target)
    if source.is_float() and target.is_integer():
        # Through text, 200.0 reads as 200 and 200.5 as no status at all.
        whole = column == column.round(0)
        return pl.when(whole).then(column.cast(pl.Int64, strict=False).cast(target, strict=False))
    return _text(frame, name).cast(target, strict=False)


def _timestamp(raw: pl.DataFrame, timezone: str | None) -> pl.Expr:
    dtype = raw.schema.get("timestamp")
    if dtype is None:
        return pl.lit(None, dtype=TIMESTAMP_DTYPE)
    if isinstance(dtype, pl.Datetime):
        column = pl.col("timestamp")
        if dtype.time_zone is None:
            # Parquet writers store UTC as naive timestamps more often than not.
            column = column.dt.replace_time_zone(timezone or "UTC", non_existent="null",
                                                 ambiguous="earliest")
        return column.dt.convert_time_zone("UTC").cast(TIMESTAMP_DTYPE)
    if dtype == pl.String:
        return pl.lit(parse_timestamps(raw["timestamp"], timezone))
    text = raw.select(_text(raw, "timestamp")).to_series()
    return pl.lit(parse_timestamps(text, timezone))


def _http_date(text: pl.Expr) -> pl.Expr:
    return text.str.to_datetime("%a, %d %b %Y %H:%M:%S GMT", strict=False, time_unit="ms",
                                time_zone="UTC")


def _retry_after(date: pl.Series) -> pl.Expr:
    """Retry-After is delay-seconds or an HTTP date; a date becomes seconds after the call."""
    after_call = (pl.lit(date) - pl.col("timestamp")).dt.total_milliseconds() / 1000.0
    return pl.coalesce(pl.col("retry_after"), after_call.clip(lower_bound=0.0))


def _present(raw: pl.DataFrame, name: str) -> pl.Expr:
    """Whether the row has a value for the field (text that is not blank)."""
    return pl.col(name).is_not_null() if name in raw.columns else pl.lit(False)


def _failed(raw: pl.DataFrame, typed: pl.DataFrame) -> pl.Series:
    """The rows that cannot be analysed, by the checks `_checks` names reasons for."""
    problems = [typed["timestamp"].is_null(), typed["operation"].is_null()]
    present = raw.select([_present(raw, name).fill_null(False).alias(name)
                          for name in _NUMERIC_CHECKED])
    status = typed["http_status"]
    problems.append(present["http_status"] & ~status.is_between(100, 599).fill_null(False))
    for name in _NUMERIC_CHECKED[1:]:
        problems.append(present[name] & typed[name].is_null())
    problems.append(raw.select(_overlong_text(raw)).to_series())
    failed = problems[0]
    for problem in problems[1:]:
        failed = failed | problem
    return failed


def _overlong_text(raw: pl.DataFrame) -> pl.Expr:
    """Whether any text field is longer than MAX_FIELD_BYTES (`_overlong_field` names it).
    Only text columns can be: a number's text is short."""
    long = [(pl.col(f.name).str.len_bytes() > MAX_FIELD_BYTES).fill_null(False)
            for f in FIELDS
            if f.dtype == pl.String and raw.schema.get(f.name) == pl.String]
    return pl.any_horizontal(long) if long else pl.repeat(False, pl.len())


# --- the reasons, for the failed rows only ------------------------------------------------

def _reasons(raw: pl.DataFrame, typed: pl.DataFrame, timezone: str | None) -> pl.DataFrame:
    """The failed rows with the first reason each cannot be analysed, and the offending text."""
    texts = {f.name: _text(raw, f.name) if f.name in raw.columns
             else pl.lit(None, dtype=pl.String) for f in FIELDS}
    quoted = raw.select([text.alias(f"_raw_{name}") for name, text in texts.items()])
    frame = pl.concat([typed, quoted], how="horizontal")
    checks = _checks({name: pl.col(f"_raw_{name}") for name in texts}, timezone)
    return frame.with_columns(_problem(checks))


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

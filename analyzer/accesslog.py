"""Access logs of web servers and proxies, one request per line:

- Common and Combined Log Format (nginx, Apache), also with a leading virtual host
  (`vhost_combined`) and with fields after the user agent (nginx `log_format`s that add
  `$request_time` or `"$http_x_client_id"`, Traefik's CLF with its router and duration);
- Python's `http.server` (local time without an offset: name the zone with `--timezone`);
- AWS Application Load Balancer logs;
- Envoy's default access-log format.

Every variant is one regex run by Polars over all lines at once. A line that looks like an
access-log line but does not parse is rejected; any other line (a server's own messages in the
same file) is skipped as not a request. Trailing fields become `extra_1`, `extra_2`, ... and
`key=value` pairs become columns named by their key, so a custom `log_format` can be mapped
with `fields:` in trafficlint.yaml.
"""

from __future__ import annotations

import re
from collections import Counter

import polars as pl

from analyzer.rawfile import RawFile, line_count
from analyzer.schema import SOURCE_LINE
from analyzer.sources import Source

_Q = r'"((?:[^"\\]|\\.)*)"'  # a quoted field, with backslash escapes as nginx writes them
_REQUEST = r'"(?P<request_line>(?:[^"\\]|\\.)*)"'
_CLF_TAIL = (rf' \[(?P<time>[^\]]+)\] {_REQUEST} (?P<status>\d{{3}}|-) (?P<bytes>\d+|-)'
             rf'(?: "(?P<referer>(?:[^"\\]|\\.)*)" "(?P<user_agent>(?:[^"\\]|\\.)*)")?'
             r'(?: (?P<extra>.*?))?\s*$')
VARIANTS: dict[str, str] = {
    "alb": (r'^(?P<alb_type>https?|h2|grpcs|wss?) (?P<time>\S+) (?P<elb>\S+) '
            r'(?P<remote_addr>\S+?)(?::\d+)? (?P<target>\S+) (?P<t_req>\S+) (?P<t_target>\S+) '
            r'(?P<t_resp>\S+) (?P<status>\d{3}|-) (?P<target_status>\S+) (?P<received>\S+) '
            rf'(?P<bytes>\S+) {_REQUEST} "(?P<user_agent>(?:[^"\\]|\\.)*)" \S+ \S+ \S+ '
            r'"(?P<request_id>[^"]*)"(?: "(?P<host>[^"]*)")?(?: (?P<extra>.*?))?\s*$'),
    "envoy": (rf'^\[(?P<time>[^\]]+)\] {_REQUEST} (?P<status>\d{{3}}|-) (?P<flags>\S+) '
              r'(?P<received>\S+) (?P<bytes>\S+) (?P<duration_ms>\d+|-) (?P<upstream_ms>\S+) '
              r'"(?P<remote_addr>[^",]*)[^"]*" "(?P<user_agent>(?:[^"\\]|\\.)*)" '
              r'"(?P<request_id>[^"]*)" "(?P<host>[^"]*)" "(?P<upstream>[^"]*)"'
              r'(?: (?P<extra>.*?))?\s*$'),
    "vhost-clf": r'^(?P<vhost>\S+) (?P<remote_addr>\S+) (?P<ident>\S+) (?P<remote_user>\S+)'
                 + _CLF_TAIL,
    "clf": r"^(?P<remote_addr>\S+) (?P<ident>\S+) (?P<remote_user>\S+)" + _CLF_TAIL,
}
# Python http.server's own messages ("code 404, message File not found"): not requests.
_SERVER_MESSAGE = r"^\S+ - - \[[^\]]+\] code \d{3}, message "
# Looks like an access-log line even when it does not parse: rejected, not skipped.
_LOOKS_LIKE = (r'^(?:\S+ ){2,3}\S+ \[[^\]]+\] |^(?:https?|h2|grpcs|wss?) \d{4}-\d\d-\d\dT|'
               r'^\[\d{4}-\d\d-\d\dT[^\]]+\] "')
_REQUEST_LINE = r"^([A-Z]+) (\S+)(?: (HTTP/[0-9.]+))?$"
_KEY_VALUE = re.compile(r'(?:^| )([A-Za-z_][A-Za-z0-9_.-]*)=("(?:[^"\\]|\\.)*"|\S*)')
_TOKEN = r'\S*"(?:[^"\\]|\\.)*"\S*|\S+'
DASH_MEANS_NONE = ("remote_user", "ident", "referer", "user_agent", "bytes", "status",
                   "request_id", "host", "upstream", "duration_ms", "remote_addr")
SAMPLE = 1000


def read_access_log(source: Source, data: bytes, select) -> RawFile:
    lines, not_utf8 = _lines(data)
    frame = pl.DataFrame({"_line": lines}).with_columns(
        pl.int_range(1, len(lines) + 1, dtype=pl.Int64).alias(SOURCE_LINE))
    parsed = _parse(frame, not_utf8)
    result = RawFile(pl.DataFrame(), line_count(data), [])
    _account(parsed, result)
    good = parsed.filter(pl.col("_status") == "ok")
    records = _records(good)
    result.frame = records
    result.columns = [c for c in records.columns if c != SOURCE_LINE]
    return result


def _lines(data: bytes) -> tuple[list[str], list[int]]:
    """The file's lines, and the numbers of those that are not UTF-8 (shown with U+FFFD:
    Polars holds only valid text)."""
    try:
        text = data.decode("utf-8")
        not_utf8: list[int] = []
    except UnicodeDecodeError:
        text, not_utf8 = _decode_by_line(data)
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.rstrip("\r") for line in lines], not_utf8


def _decode_by_line(data: bytes) -> tuple[str, list[int]]:
    decoded, bad = [], []
    for number, raw in enumerate(data.split(b"\n"), start=1):
        try:
            decoded.append(raw.decode("utf-8"))
        except UnicodeDecodeError:
            decoded.append(raw.decode("utf-8", "replace"))
            bad.append(number)
    return "\n".join(decoded), bad


def _parse(frame: pl.DataFrame, not_utf8: list[int]) -> pl.DataFrame:
    """One struct column per variant; the first variant that matches a line wins."""
    line = pl.col("_line")
    structs = {name: line.str.extract_groups(pattern).alias(f"_v_{name}")
               for name, pattern in VARIANTS.items()}
    out = frame.with_columns(structs.values())
    variant = pl.lit(None, dtype=pl.String)
    for name in reversed(VARIANTS):
        first_group = pl.col(f"_v_{name}").struct[0]
        variant = pl.when(first_group.is_not_null()).then(pl.lit(name)).otherwise(variant)
    out = out.with_columns(_variant=variant)
    request = _field(out, "request_line")
    bad_utf8 = pl.col(SOURCE_LINE).is_in(pl.lit(pl.Series(not_utf8, dtype=pl.Int64)).implode())
    status = (pl.when(line.str.strip_chars() == "").then(pl.lit("blank"))
              .when(bad_utf8).then(pl.lit("utf8"))
              .when(pl.col("_variant").is_null() & line.str.contains(_SERVER_MESSAGE))
              .then(pl.lit("other"))
              .when(pl.col("_variant").is_null() & line.str.contains(_LOOKS_LIKE))
              .then(pl.lit("malformed"))
              .when(pl.col("_variant").is_null()).then(pl.lit("other"))
              .when(~request.str.contains(_REQUEST_LINE).fill_null(False))
              .then(pl.lit("bad-request"))
              .otherwise(pl.lit("ok")))
    return out.with_columns(_status=status)


def _field(frame: pl.DataFrame, name: str) -> pl.Expr:
    """A field from whichever variant matched the line."""
    parts = [pl.col(f"_v_{v}").struct.field(name) for v in VARIANTS
             if name in _group_names(VARIANTS[v])]
    return pl.coalesce(parts) if parts else pl.lit(None, dtype=pl.String)


def _group_names(pattern: str) -> list[str]:
    return list(re.compile(pattern).groupindex)


def _account(parsed: pl.DataFrame, result: RawFile) -> None:
    reasons = {"malformed": "malformed access-log line",
               "bad-request": "request line is not METHOD TARGET PROTOCOL",
               "utf8": "invalid UTF-8"}
    for status, line, text in parsed.filter(pl.col("_status") != "ok").select(
            "_status", SOURCE_LINE, "_line").iter_rows():
        if status == "blank":
            result.skipped["blank line"] += 1
        elif status == "other":
            result.skipped["not a request (another kind of log line)"] += 1
        else:
            result.reject(line, reasons[status], text)


def _records(good: pl.DataFrame) -> pl.DataFrame:
    names = list(dict.fromkeys(n for p in VARIANTS.values() for n in _group_names(p)))
    names = [n for n in names if not n.startswith(("t_", "alb_"))]
    frame = good.select([_field(good, n).alias(n) for n in names]
                        + [pl.col("_variant").alias("log_format"), _alb_duration(good),
                           pl.col(SOURCE_LINE)])
    request = pl.col("request_line")
    frame = frame.with_columns(
        method=request.str.extract(_REQUEST_LINE, 1),
        url=request.str.extract(_REQUEST_LINE, 2),
        protocol=request.str.extract(_REQUEST_LINE, 3),
    ).with_columns([pl.when(pl.col(n) != "-").then(pl.col(n)).alias(n)
                    for n in DASH_MEANS_NONE])
    frame = frame.with_columns(duration_ms=pl.coalesce("duration_ms", "alb_duration_ms"))
    return _extras(frame).drop("extra", "alb_duration_ms")


def _alb_duration(good: pl.DataFrame) -> pl.Expr:
    """ALB logs three processing times in seconds (-1 when the request failed)."""
    parts = [pl.col("_v_alb").struct.field(n).cast(pl.Float64, strict=False)
             for n in ("t_req", "t_target", "t_resp")]
    total = parts[0] + parts[1] + parts[2]
    return pl.when(pl.all_horizontal([p >= 0 for p in parts])).then(
        (total * 1000).round(3).cast(pl.String)).alias("alb_duration_ms")


def _extras(frame: pl.DataFrame) -> pl.DataFrame:
    """Fields after the known ones: positional `extra_N`, `key=value` pairs by key, and a
    Traefik-style `123ms` duration."""
    extra = pl.col("extra")
    if frame.is_empty() or frame["extra"].null_count() == frame.height:
        return frame
    tokens = extra.str.extract_all(_TOKEN)
    width = frame.select(tokens.list.len().max()).item() or 0
    columns = [unquote(tokens.list.get(i, null_on_oob=True)).alias(f"extra_{i + 1}")
               for i in range(width)]
    for key in _keys(frame["extra"].head(SAMPLE).to_list()):
        if key not in frame.columns:
            value = unquote(extra.str.extract(
                rf'(?:^| ){re.escape(key)}=("(?:[^"\\]|\\.)*"|\S*)', 1))
            # nginx and Apache write "-" for a variable or header that is not set.
            columns.append(pl.when(value != "-").then(value).alias(key))
    if "duration_ms" in frame.columns:
        traefik = extra.str.extract(r"(?:^| )(\d+)ms$", 1)
        columns.append(pl.coalesce(pl.col("duration_ms"), traefik).alias("duration_ms"))
    return frame.with_columns(columns)


def unquote(value: pl.Expr) -> pl.Expr:
    return (value.str.strip_prefix('"').str.strip_suffix('"')
            .str.replace_all(r'\\"', '"', literal=True))


def _keys(extras: list[str | None]) -> list[str]:
    keys: Counter = Counter()
    for text in extras:
        if text:
            keys.update(dict.fromkeys(m.group(1) for m in _KEY_VALUE.finditer(text)).keys())
    return [key for key, _ in keys.most_common(50)]

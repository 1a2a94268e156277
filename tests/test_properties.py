"""Property-based tests (hypothesis): whatever the input, the loaders, the timestamp parser,
the mapping profiles, the rule and config validators and the redactor give a result or a
clean TrafficlintError, never a traceback, and every line is accounted for.

The suite runs the `ci` profile (few examples, derandomized: fast and repeatable); the fuzzing
run in `fuzz/` runs the same properties with the `fuzz` profile's many thousands of examples.
"""

from __future__ import annotations

import gzip
import io
import json
import string
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import yaml
import zstandard
from conftest import CASES, REPO
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from analyzer.config import load_config
from analyzer.derive import derive
from analyzer.errors import TrafficlintError
from analyzer.loading import LoadOptions, load_one
from analyzer.profiles import builtin_profiles
from analyzer.redact import DEFAULT, REDACTED
from analyzer.rulepack import load_rules
from analyzer.sources import FORMATS, Source
from analyzer.timestamps import parse_timestamp

FIXTURES = REPO / "tests" / "fixtures" / "formats"
# A real log of each format, for the mutation strategy: hostile edits of plausible input
# reach much deeper into a parser than random bytes do.
SEEDS = {
    "csv": (CASES / "NUV-001" / "fail.csv").read_bytes(),
    "tsv": (CASES / "NUV-001" / "fail.csv").read_bytes().replace(b",", b"\t"),
    "ndjson": b"".join((FIXTURES / "nginx" / "access.json.log").read_bytes().splitlines(
        keepends=True)[:6]),
    "access-log": b"".join((FIXTURES / "nginx" / "access.log").read_bytes().splitlines(
        keepends=True)[:6]),
    "har": (FIXTURES / "har" / "quirks.har").read_bytes()[:6000],
    "otel": b"".join((FIXTURES / "otel" / "spans.jsonl").read_bytes().splitlines(
        keepends=True)[:4]),
    "soap": (FIXTURES / "raw-xml" / "exchanges.log").read_bytes()[:6000],
}
SLOW = settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _parquet_seed() -> bytes:
    buffer = io.BytesIO()
    pl.read_csv(CASES / "NUV-001" / "fail.csv", infer_schema=False).write_parquet(buffer)
    return buffer.getvalue()


SEEDS["parquet"] = _parquet_seed()


@st.composite
def mutated(draw, seed: bytes) -> bytes:
    """`seed` with a few random edits: bytes replaced, inserted, deleted, or the file cut."""
    data = bytearray(seed)
    specials = st.sampled_from([b"\n", b"\r\n", b"\x00", b"\xff", b'"', b",", b"\t", b"{",
                                b"}", b"[", b"<", b"\\", b"\xe2\x80\xae", b"9" * 30, b""])
    for _ in range(draw(st.integers(0, 6))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        action = draw(st.sampled_from(["replace", "insert", "delete", "cut"]))
        piece = draw(st.one_of(specials, st.binary(max_size=8)))
        if action == "replace":
            data[at:at + len(piece)] = piece
        elif action == "insert":
            data[at:at] = piece
        elif action == "delete":
            del data[at:at + draw(st.integers(1, 40))]
        else:
            del data[at:]
    return bytes(data)


def any_input(fmt: str):
    return st.one_of(mutated(SEEDS[fmt]), st.binary(max_size=300),
                     st.text(max_size=300).map(lambda t: t.encode("utf-8", "surrogatepass")))


def check_one(tmp: Path, fmt: str, data: bytes, compression: str | None = None) -> None:
    """Load one file; the result must account for every line, or be a TrafficlintError."""
    path = tmp / f"input.{fmt}"
    path.write_bytes(data)
    source = Source(path, path.name, fmt, compression)
    try:
        _, done, stats, rejects = load_one(source, LoadOptions({}, "default"))
    except TrafficlintError as exc:
        assert exc.messages and all(isinstance(m, str) and m for m in exc.messages)
        return
    assert stats.lines == stats.rows + stats.rejected_total + stats.skipped_total, stats
    assert stats.rows == done.frame.height
    assert len(rejects) == stats.rejected_total
    assert all(n > 0 for _, n in (*stats.rejected, *stats.skipped))


def _loader_property(fmt: str):
    @SLOW
    @given(data=any_input(fmt))
    @example(data=b"")
    @example(data=SEEDS[fmt])
    def prop(tmp_path_factory, data):
        check_one(tmp_path_factory.mktemp(fmt), fmt, data)
    prop.__name__ = f"test_loader_accounts_for_every_line_{fmt.replace('-', '_')}"
    return prop


for _fmt in FORMATS:
    globals()[f"test_loader_accounts_for_every_line_{_fmt.replace('-', '_')}"] = \
        _loader_property(_fmt)


@SLOW
@given(data=mutated(SEEDS["csv"]), kind=st.sampled_from(["gzip", "zstd"]),
       keep=st.floats(0, 1), damage=st.binary(max_size=4))
def test_compressed_input_is_read_cut_or_refused(tmp_path_factory, data, kind, keep, damage):
    packed = gzip.compress(data) if kind == "gzip" else zstandard.ZstdCompressor().compress(data)
    cut = int(len(packed) * keep)
    broken = packed[:cut] + damage + packed[cut + len(damage):]
    check_one(tmp_path_factory.mktemp(kind), "csv", broken, kind)


# --- timestamps ----------------------------------------------------------------------------

def _parse(values: list[str | None], timezone: str | None = None) -> list:
    frame = pl.DataFrame({"t": pl.Series(values, dtype=pl.String)})
    return frame.select(parse_timestamp(pl.col("t"), timezone)).to_series().to_list()


@given(st.lists(st.one_of(st.none(), st.text(max_size=40),
                          st.from_regex(r"\A[0-9T:+\-. Z/]{0,40}\Z")), max_size=20),
       st.sampled_from([None, "UTC", "Europe/London", "America/New_York"]))
def test_timestamp_parser_never_raises(values, timezone):
    parsed = _parse(values, timezone)
    assert len(parsed) == len(values)
    assert all(p is None or isinstance(p, datetime) for p in parsed)


@given(st.datetimes(min_value=datetime(2000, 1, 2), max_value=datetime(2099, 12, 30)),
       st.integers(-14 * 60, 14 * 60), st.sampled_from(["T", " "]), st.booleans())
def test_iso_timestamps_with_an_offset_parse_to_their_instant(moment, offset_minutes, sep, ms):
    moment = moment.replace(microsecond=moment.microsecond // 1000 * 1000 if ms else 0)
    offset = timedelta(minutes=offset_minutes)
    sign = "+" if offset_minutes >= 0 else "-"
    hours, minutes = divmod(abs(offset_minutes), 60)
    text = (moment.strftime(f"%Y-%m-%d{sep}%H:%M:%S") + (f".{moment.microsecond // 1000:03d}"
            if ms else "") + f"{sign}{hours:02d}:{minutes:02d}")
    (parsed,) = _parse([text])
    assert parsed == (moment - offset).replace(tzinfo=UTC)


# --- mapping profiles ------------------------------------------------------------------------

COLUMN_NAMES = ["timestamp", "time", "operation", "request", "status", "url", "path",
                "method", "client", "x_client_id", "soapaction", "request_body",
                "response_body", "rpc.method", "start_time", "headers", "query", "junk"]


@SLOW
@given(st.dictionaries(st.sampled_from(COLUMN_NAMES),
                       st.lists(st.one_of(st.none(), st.text(max_size=60),
                                          st.sampled_from(["GET /orders/12 HTTP/1.1",
                                                           "<soap:Envelope><x/>",
                                                           '{"a": [1, {"b": null}]}',
                                                           "POST /api/v1/orders/{id}/resubmit",
                                                           "/orders/%zz?x=1&x=2#f"])),
                                min_size=3, max_size=3),
                       min_size=1, max_size=6),
       st.sampled_from(builtin_profiles()), st.booleans())
def test_every_profile_maps_any_columns(columns, profile, infer):
    raw = pl.DataFrame({name: pl.Series(values, dtype=pl.String)
                        for name, values in columns.items()}).with_row_index(
        "source_line", offset=1).with_columns(pl.col("source_line").cast(pl.Int64))
    derived = derive(raw, profile, {}, infer=infer)
    assert derived.frame.height == raw.height


# --- rule and config validators --------------------------------------------------------------

scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6),
                    st.floats(allow_nan=False), st.text(max_size=20),
                    st.sampled_from(["15m", "$gap", "{calls}", "client_id", "checkInventory",
                                     "(a+)+$", "warning", "cadence", "count", "eq", "regex"]))
yaml_values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4),
    st.dictionaries(st.sampled_from(["eq", "regex", "any_of", "not", "where", "key", "kind",
                                     "window", "min_count", "short_gap", "message", "operation",
                                     "client_id", "params", "type", "default", "doc", "x"]),
                    inner, max_size=4)), max_leaves=12)
RULE_KEYS = ["id", "name", "title", "severity", "summary", "rationale", "example", "fix",
             "params", "detect", "references", "tags"]
VALID_RULE = yaml.safe_load((REPO / "rules" / "NUV-001.yaml").read_text())


@SLOW
@given(st.dictionaries(st.sampled_from(RULE_KEYS + ["extra"]), yaml_values, max_size=4),
       st.booleans())
def test_rule_validator_accepts_or_explains(tmp_path_factory, changes, detector_only):
    rule = json.loads(json.dumps(VALID_RULE, default=str))
    if detector_only:
        rule["detect"][0].update(changes)
    else:
        rule.update(changes)
    directory = tmp_path_factory.mktemp("rules")
    (directory / "NUV-001.yaml").write_text(yaml.safe_dump(rule, allow_unicode=True))
    try:
        load_rules([directory])
    except TrafficlintError as exc:
        assert all(m.startswith(str(directory)) for m in exc.messages), exc.messages


@SLOW
@given(st.text(max_size=400))
def test_any_rule_text_is_loaded_or_refused(tmp_path_factory, text):
    directory = tmp_path_factory.mktemp("rules")
    (directory / "TST-001.yaml").write_bytes(text.encode("utf-8", "surrogatepass"))
    try:
        load_rules([directory])
    except TrafficlintError as exc:
        assert exc.messages


CONFIG_KEYS = ["fields", "timezone", "default_client", "fail_on", "max_evidence", "select",
               "ignore", "rules", "profile", "maintenance", "known_skus", "live_environments",
               "suppressions", "baseline", "baseline_tolerance", "escalation", "redact", "x"]


@SLOW
@given(st.dictionaries(st.sampled_from(CONFIG_KEYS), yaml_values, max_size=5))
def test_config_validator_accepts_or_explains(tmp_path_factory, config):
    path = tmp_path_factory.mktemp("config") / "trafficlint.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True))
    try:
        load_config(path)
    except TrafficlintError as exc:
        assert all(m.startswith(str(path)) for m in exc.messages), exc.messages


# --- redaction -------------------------------------------------------------------------------

secret_values = st.text(string.ascii_letters + string.digits + "+/=_-.", min_size=6,
                        max_size=40).filter(lambda s: s.strip("=_-.+/"))
NAMED = ["Authorization: Bearer {}", "authorization: Basic {}", "Cookie: session={}",
         "?api_key={}&page=2", "client_secret={}", '"access_token": "{}"', "password={}",
         "<wsse:Password>{}</wsse:Password>", "<wsse:Nonce>{}</wsse:Nonce>",
         "<ds:SignatureValue>{}</ds:SignatureValue>", "X-Api-Key: {}"]


@given(st.sampled_from(NAMED), secret_values, st.text(max_size=30), st.text(max_size=30))
def test_a_named_secret_never_survives_redaction(template, secret, before, after):
    assume(secret not in before + after and secret.lower() not in template.lower())
    text = before + " " + template.format(secret) + "\n" + after
    redacted = DEFAULT.text(text)
    assert secret not in redacted and REDACTED in redacted


@given(st.text(max_size=200))
def test_redaction_is_idempotent(text):
    once = DEFAULT.text(text)
    assert DEFAULT.text(once) == once


@given(st.lists(st.tuples(st.sampled_from(NAMED), secret_values), max_size=12))
def test_redaction_keeps_different_values_apart(named):
    values = [template.format(secret) for template, secret in named]
    changed = DEFAULT.texts(values)
    shown = {changed.get(value, value) for value in values}
    assert len(shown) == len(set(values))

"""Logs as the real tools write them (tests/fixtures/formats/, each folder says how it was
made): every format gives the same findings as the canonical CSV of the same traffic, and
every line is a row, a counted reject or a counted skip."""

from __future__ import annotations

import csv
import gzip
import shutil
from pathlib import Path

import pytest
import zstandard
from conftest import REPO, run_check

FORMATS = REPO / "tests" / "fixtures" / "formats"
REST_RULES = {"API-001", "API-002", "API-003", "API-004", "API-005"}
SOAP_RULES = {"NUV-001", "NUV-002", "NUV-003"}
# Logs that name no client and log no PO header or Retry-After: every call is the address's.
ANONYMOUS = {"client_id": "127.0.0.1", "retry_after": "", "purchase_order_id": ""}

# (log, the client's own record of the same traffic, --timezone, what the log cannot carry,
#  format, profile detected, rules the scenario must fire)
CASES = [
    ("nginx/access.log", "nginx/sent.csv", None, {}, "access-log", "hub-rest", REST_RULES),
    ("nginx/access.json.log", "nginx/sent.csv", None, {}, "ndjson", "hub-rest", REST_RULES),
    ("apache/access.log", "apache/sent.csv", None, {}, "access-log", "hub-rest", REST_RULES),
    ("apache/other_vhosts_access.log", "apache/sent.csv", None, ANONYMOUS, "access-log",
     "hub-rest", {"API-001", "API-002", "API-003"}),
    ("http-server/access.log", "http-server/sent.csv", "UTC", ANONYMOUS, "access-log",
     "hub-rest", {"API-001", "API-002", "API-003"}),
    ("har/chromium.har", "har/sent.csv", None, {}, "har", "hub-rest", REST_RULES),
    ("zeep/zeep-debug.log", "zeep/sent.csv", "Europe/Berlin", {}, "soap", "order-api-soap",
     SOAP_RULES),
    ("raw-xml/exchanges.log", "raw-xml/sent.csv", None, {}, "soap", "order-api-soap",
     SOAP_RULES),
    # A gateway logs the request body but not the response: no fault, so no "not found".
    ("soap-gateway/gateway.json.log", "soap-gateway/sent.csv", None,
     {"error_code": "", "error_message": ""}, "ndjson", "order-api-soap", {"NUV-001", "NUV-003"}),
    ("otel/console.json", "otel/sent.csv", None, {}, "otel", "order-api-soap", SOAP_RULES),
    ("otel/spans.jsonl", "otel/sent.csv", None, {}, "otel", "order-api-soap", SOAP_RULES),
    ("otel/otlp.json", "otel/sent.csv", None, {}, "otel", "order-api-soap", SOAP_RULES),
]
IDS = [case[0] for case in CASES]


def findings(report) -> list[tuple]:
    return sorted((f.rule, f.check, f.client_id, f.key, f.count) for f in report.findings)


def canonical_csv(source: Path, target: Path, overrides: dict[str, str]) -> Path:
    """The client's record, less what the log format does not carry."""
    with source.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    with target.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, list(rows[0]))
        writer.writeheader()
        writer.writerows({**row, **overrides} for row in rows)
    return target


@pytest.mark.parametrize("log, sent, zone, overrides, fmt, profile, rules", CASES, ids=IDS)
def test_each_format_finds_what_the_canonical_csv_finds(tmp_path, log, sent, zone, overrides,
                                                        fmt, profile, rules):
    equivalent = canonical_csv(FORMATS / sent, tmp_path / "equivalent.csv", overrides)
    from_log = run_check([FORMATS / log], timezone=zone)
    from_csv = run_check([equivalent])
    assert {f.rule for f in from_log.findings} == rules
    assert findings(from_log) == findings(from_csv)


@pytest.mark.parametrize("log, sent, zone, overrides, fmt, profile, rules", CASES, ids=IDS)
def test_each_format_is_read_whole_and_detected(log, sent, zone, overrides, fmt, profile, rules):
    (stats,) = run_check([FORMATS / log], timezone=zone).inputs.files
    assert (stats.format, stats.profile, stats.rejected) == (fmt, profile, ())
    assert stats.lines == stats.rows + stats.rejected_total + stats.skipped_total
    with (FORMATS / sent).open() as handle:
        assert stats.rows == sum(1 for _ in handle) - 1, "one row per call the client made"


@pytest.mark.parametrize("extension, compress", [
    (".gz", lambda data: gzip.compress(data, mtime=0)),
    (".zst", lambda data: zstandard.ZstdCompressor().compress(data)),
], ids=["gzip", "zstd"])
@pytest.mark.parametrize("log, suffix", [("nginx/access.log", ".log"),
                                         ("zeep/zeep-debug.log", ".log"),
                                         ("har/chromium.har", ".har")])
def test_compressed_logs_give_the_same_findings(tmp_path, extension, compress, log, suffix):
    packed = tmp_path / f"log{suffix}{extension}"
    packed.write_bytes(compress((FORMATS / log).read_bytes()))
    zone = "Europe/Berlin" if "zeep" in log else None
    plain, squeezed = (run_check([p], timezone=zone) for p in (FORMATS / log, packed))
    assert findings(plain) == findings(squeezed) and findings(plain)
    assert squeezed.inputs.files[0].format.endswith(("+gzip", "+zstd"))


def test_rotated_and_unnamed_logs_are_sniffed(tmp_path):
    shutil.copy(FORMATS / "nginx" / "access.log", tmp_path / "access.log.1")
    shutil.copy(FORMATS / "otel" / "console.json", tmp_path / "spans")
    report = run_check([tmp_path])
    assert sorted((Path(f.file).name, f.format) for f in report.inputs.files) == [
        ("access.log.1", "access-log"), ("spans", "otel")]


def test_har_quirks_bom_local_offsets_and_status_0():
    """quirks.har is chromium.har with a BOM, +01:00 times, HTTP/2 pseudo-headers and one
    request that got no answer (status 0, Chrome's _error)."""
    plain = run_check([FORMATS / "har" / "chromium.har"])
    quirky = run_check([FORMATS / "har" / "quirks.har"])
    assert (plain.inputs.first_seen, plain.inputs.last_seen) == (
        quirky.inputs.first_seen, quirky.inputs.last_seen)
    assert quirky.inputs.rows == plain.inputs.rows + 1
    storm = next(f for f in quirky.findings if f.rule == "API-003")
    assert storm.count == 6, "the unanswered request is a call too"


def test_documented_access_log_variants_give_their_fields():
    report = run_check([FORMATS / "documented"])
    by_file = {Path(f.file).name: f for f in report.inputs.files}
    assert {name: (s.rows, s.rejected) for name, s in by_file.items()} == {
        "alb.log": (3, ()), "envoy.log": (2, ()), "traefik.log": (3, ())}
    alb = dict(by_file["alb.log"].columns)
    assert alb["latency_ms"] == "duration_ms" and alb["request_id"] == "request_id"
    clients = {c.client_id for c in report.inputs.clients}
    assert {"192.168.131.39", "10.0.1.252", "10.0.35.28", "alice", "192.168.1.21"} <= clients


def test_generic_rest_reads_the_same_log_with_guessed_routes():
    hub = run_check([FORMATS / "nginx" / "access.log"])
    generic = run_check([FORMATS / "nginx" / "access.log"], profile="generic-rest")
    assert generic.inputs.files[0].profile == "generic-rest"
    polling = next(f for f in generic.findings if f.rule == "API-001")
    assert dict(polling.key) == {"route": "/api/v1/orders/{id}", "path": "/api/v1/orders/1001"}
    assert [(f.rule, f.client_id, f.count) for f in generic.findings] == [
        (f.rule, f.client_id, f.count) for f in hub.findings]

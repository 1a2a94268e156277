"""A big input is spilled to disk by client and analysed a unit of clients at a time
(analyzer/rowstore.py, analyzer/analysis.py). Tiny spill and unit sizes make small inputs take
that path; the reports must be byte for byte those of analysing every row at once."""

from __future__ import annotations

import gzip

import pytest
from conftest import CASES, REPO, fixed_clock

from analyzer import batches, readers, rowstore
from analyzer.check import check
from analyzer.config import Config, load_config
from analyzer.loading import DUPLICATE, LoadOptions, load
from analyzer.render import render_json
from bench.generate import generate

SAMPLE = REPO / "sample_logs"
FORMATS_DIR = REPO / "tests" / "fixtures" / "formats"


def report_json(paths, config: Config, monkeypatch, spill_rows: float, unit_rows: int) -> str:
    monkeypatch.setattr(rowstore, "SPILL_ROWS", spill_rows)
    monkeypatch.setattr(rowstore, "UNIT_ROWS", unit_rows)
    return render_json(check([str(p) for p in paths], config, clock=fixed_clock))


def assert_same_in_parts(paths, config: Config, monkeypatch) -> None:
    whole = report_json(paths, config, monkeypatch, float("inf"), 10**9)
    assert report_json(paths, config, monkeypatch, 40, 150) == whole
    assert report_json(paths, config, monkeypatch, 0, 1) == whole  # a unit per bucket


def test_the_sample_week_in_parts(monkeypatch):
    assert_same_in_parts([SAMPLE], load_config(SAMPLE / "trafficlint.yaml"), monkeypatch)


@pytest.fixture(scope="module")
def bench_day(tmp_path_factory):
    return generate(6_000, tmp_path_factory.mktemp("bench") / "6k", ("csv",)).path("csv")


def test_bench_traffic_in_parts(monkeypatch, bench_day):
    assert_same_in_parts([bench_day], Config(), monkeypatch)


@pytest.mark.parametrize("paths", [
    ["tests/fixtures/mixed.csv"],
    ["tests/fixtures/staging-20min.csv"],
    [FORMATS_DIR / "nginx" / "access.log", FORMATS_DIR / "otel" / "spans.jsonl"],
    [CASES / "NUV-002" / "fail.csv", CASES / "NUV-003" / "fail.csv"],
])
def test_fixtures_in_parts(monkeypatch, paths):
    assert_same_in_parts([REPO / p for p in paths], Config(), monkeypatch)


def test_overlapping_exports_in_parts(tmp_path, monkeypatch):
    lines = (FORMATS_DIR / "nginx" / "access.json.log").read_text().splitlines(keepends=True)
    (tmp_path / "a.json").write_text("".join(lines[:12]))
    (tmp_path / "b.json").write_text("".join(lines[8:]))  # four records in both exports
    assert_same_in_parts([tmp_path], Config(), monkeypatch)
    skipped = [dict(f["skipped"]) for f in check([str(tmp_path)], Config(),
                                                 clock=fixed_clock).to_dict()["inputs"]["files"]]
    assert skipped[1].get(DUPLICATE) == 4


def test_a_repeated_request_id_of_another_client_is_not_a_duplicate(tmp_path):
    log = tmp_path / "a.csv"
    log.write_text("timestamp,operation,request_id,client_id\n"
                   "2026-11-16T09:00:00Z,x,r1,acme\n2026-11-16T09:00:00Z,x,r1,beta\n"
                   "2026-11-16T09:00:00Z,x,r1,acme\n")
    loaded = load([str(log)], LoadOptions({}, "default"))
    assert loaded.frame["client_id"].to_list() == ["acme", "beta"]
    assert dict(loaded.inputs.files[0].skipped)[DUPLICATE] == 1


def test_damaged_files_in_chunks_and_parts(tmp_path, monkeypatch):
    """Issue 6's damaged inputs (NUL bytes, an over-long line, a lone CR, invalid UTF-8, an
    over-long field, a cut gzip stream, UTF-16) give the same report read in small chunks and
    analysed a client at a time as read whole and analysed at once."""
    monkeypatch.setattr(readers, "MAX_LINE_BYTES", 8600)
    rows = b"".join(b"2026-11-16T09:%02d:%02d.000Z,checkInventory,c%d,SKU-%d\n"
                    % (i // 60, i % 60, i % 3, i % 4) for i in range(300))
    (tmp_path / "a.csv").write_bytes(
        b"timestamp,operation,client_id,part_number\n" + rows[:4000]
        + b"2026-11-16T10:00:00Z,check\x00x,c1,x\n" + b"\x00" * 100 + b"\n"
        + b"2026-11-16T10:00:01Z,check\rInventory,c2,x\n" + b"y" * 9000 + b"\n"
        + b"2026-11-16T10:00:02Z,check\xff,c0,x\n"
        + b"2026-11-16T10:00:03Z,checkInventory,c1," + b"p" * 8500 + b"\n" + rows[4000:])
    ndjson = b"".join(b'{"timestamp":"2026-11-16T11:%02d:00Z","operation":"orderStatus",'
                      b'"client_id":"c%d","order_id":"o%d"}\n' % (i % 60, i % 4, i % 7)
                      for i in range(400))
    (tmp_path / "b.ndjson.gz").write_bytes(gzip.compress(ndjson, mtime=0)[:-30])
    (tmp_path / "c.csv").write_bytes(
        ("timestamp,operation,client_id\n" + "".join(
            f"2026-11-16T12:{i:02d}:00Z,orderStatus,c{i % 5}\n" for i in range(60))
         ).encode("utf-16"))
    whole = report_json([tmp_path], Config(), monkeypatch, float("inf"), 10**9)
    for reason in ("cut off: the gzip stream ends early", "NUL bytes", "line longer than",
                   "part_number longer than 8,192 bytes", "invalid UTF-8"):
        assert reason in whole
    monkeypatch.setattr(batches, "CHUNK_BYTES", 700)
    assert report_json([tmp_path], Config(), monkeypatch, float("inf"), 10**9) == whole
    assert report_json([tmp_path], Config(), monkeypatch, 0, 1) == whole


def test_durations_are_the_same_whichever_way_polars_divided():
    from analyzer.conditions import DURATION
    from analyzer.engine import _settled

    assert _settled(DURATION, 42895.037000000004) == 42895.037 == _settled(DURATION, 42895.037)
    assert _settled(DURATION, 0.0005) == 0.0005  # a median between two milliseconds stays

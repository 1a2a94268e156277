"""Big files are read a batch at a time (analyzer/batches.py). Whatever the cut, a file must
give exactly what reading it whole gives: the same rows with the same line numbers, the same
rejects and skips. Small chunks make these small files many batches."""

from __future__ import annotations

import gzip
from pathlib import Path

import polars as pl
import pytest
import zstandard
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analyzer import batches, chunks, compressed, readers
from analyzer.errors import InputError
from analyzer.loading import LoadOptions, load

WHOLE = 1 << 24  # more than any file here: one chunk, read whole
HEADER = b"timestamp,operation,client_id,http_status,note"
# Lines Polars reads in chunks as the whole file would be read...
CSV_CLEAN = [
    b"2026-01-01T09:00:00Z,x,acme,200,hello",
    b"2026-01-01T09:00:01.5+01:00,y,beta,404,",
    b'2026-01-01T09:00:02Z,"a,b",acme,200,n',
    b'2026-01-01T09:00:04Z,"say ""hi""",acme,200,n',
    b"2026-01-01T09:00:05Z,y",
    b"yesterday,x,acme,200,n",
    b" 2026-01-01T09:00:07Z , x , acme , 500 , n",
    b"2026-01-01T09:00:08Z,x,acme,200,n\r",
    b",,,,",
    b"1767258011,x,,abc,n",
]
# ... and lines that make the file be read whole again, or line by line.
CSV_TRICKY = [
    b'2026-01-01T09:00:03Z,x,acme,200,"two\nlines"',
    b"",
    b"   ",
    b"2026-01-01T09:00:06Z,x,acme,200,n,extra",
    b"2026-01-01T09:00:09Z,x\xff,acme,200,n",
    b'2026-01-01T09:00:10Z,x"y,acme,200,n',
]
# Damaged lines (issue 6) that the whole reader takes out before parsing and counts as
# rejected; the tests below make LONG_LINE longer than readers.MAX_LINE_BYTES.
SHORT_LINE_CAP = 160
LONG_LINE = b"2026-01-01T09:00:11Z,x," + b"z" * 200 + b",200,n"
CSV_DAMAGED = [
    b"2026-01-01T09:00:12Z,x\x00y,acme,200,n",
    b"\x00\x00\x00",
    b"2026-01-01T09:00:13Z,x\ry,acme,200,n",
    LONG_LINE,
]
NDJSON_LINES = [
    b'{"timestamp": "2026-01-01T09:00:00Z", "operation": "x", "client_id": "acme"}',
    b'{"timestamp": 1767258001, "operation": "x", "http_status": 404.0, "latency_ms": 1e3}',
    b'{"timestamp": "2026-01-01T09:00:02Z", "operation": {"nested": [1, 2.50]}}',
    b'{"timestamp": "2026-01-01T09:00:03Z", "operation": "x", "headers": {"a": [1]}}',
    b'{"timestamp": "2026-01-01T09:00:04Z", "operation": "[INFO] x", "client_id": true}',
    b'{"timestamp": "2026-01-01T09:00:05Z", "operation": "x", "operation": "y"}',
    b'{"timestamp": "2026-01-01T09:00:06Z", "operation": "x", "error_code": 123456789012345678901}',
    b'{"timestamp": "2026-01-01T09:00:07Z", "operation": "x", "latency_ms": 0.1, "quantity": 1e-7}',
    b'{"timestamp": "2026-01-01T09:00:08Z", "operation": "caf\\u00e9", "http_status": "200"}\r',
    b"",
    b"  \t",
    b"not json",
    b"[1, 2]",
    b"5",
    b'{"timestamp": "2026-01-01T09:00:09Z", "operation": "x"} trailing',
    b'{"timestamp": "2026-01-01T09:00:10Z", "operation": "x", "http_status": 99}',
    b'{"timestamp": "2026-01-01T09:00:14Z", "operation": "x", "client_id": "\\ud83d\\ude00"}',
    b'{"timestamp": "2026-01-01T09:00:15Z", "operation": "x", "client_id": "\\ud83d"}',
]
NDJSON_DAMAGED = [
    b'{"timestamp": "2026-01-01T09:00:11Z", "operation": "x\x00"}',
    b"\x00\x00",
    b'{"timestamp": "2026-01-01T09:00:12Z", "operation": "' + b"z" * 200 + b'"}',
    b'{"timestamp": "2026-01-01T09:00:13Z", "operation": "x\ry"}',
]


def loaded(path: Path, monkeypatch, chunk_bytes: int = WHOLE, parquet_rows: int = WHOLE):
    monkeypatch.setattr(readers, "MAX_LINE_BYTES", SHORT_LINE_CAP)
    monkeypatch.setattr(batches, "CHUNK_BYTES", chunk_bytes)
    # Compressed input is read 1 MiB at a time: small reads make small files many chunks too.
    monkeypatch.setattr(chunks, "_COMPRESSED_READ", 64 if chunk_bytes < WHOLE else 1 << 20)
    monkeypatch.setattr(batches, "PARQUET_BATCH_ROWS", parquet_rows)
    try:
        result = load([str(path)], LoadOptions({}, "default"))
    except InputError as exc:
        return str(exc)
    return result.frame, result.inputs, result.rejects


def assert_same(whole, batched) -> None:
    if isinstance(whole, str) or isinstance(batched, str):
        assert whole == batched
        return
    assert batched[0].equals(whole[0])
    assert batched[1:] == whole[1:]


def write(path: Path, lines: list[bytes], compression: str | None, end: bytes) -> Path:
    data = b"\n".join(lines) + end
    if compression == "gzip":
        path, data = path.with_name(path.name + ".gz"), gzip.compress(data, mtime=0)
    elif compression == "zstd":
        path, data = path.with_name(path.name + ".zst"), zstandard.compress(data)
    path.write_bytes(data)
    return path


settings_for_files = settings(max_examples=60, deadline=None,
                              suppress_health_check=[HealthCheck.function_scoped_fixture])


@settings_for_files
@given(st.lists(st.sampled_from(CSV_CLEAN), min_size=1, max_size=30)
       | st.lists(st.sampled_from(CSV_CLEAN + CSV_TRICKY), min_size=1, max_size=30)
       | st.lists(st.sampled_from(CSV_CLEAN + CSV_DAMAGED), min_size=1, max_size=30),
       st.integers(8, 300), st.sampled_from([None, "gzip", "zstd"]), st.sampled_from([b"", b"\n"]))
def test_csv_in_chunks_reads_as_csv_whole(tmp_path, monkeypatch, lines, chunk, compression, end):
    path = write(tmp_path / "log.csv", [HEADER, *lines], compression, end)
    assert_same(loaded(path, monkeypatch), loaded(path, monkeypatch, chunk_bytes=chunk))


@settings_for_files
@given(st.lists(st.sampled_from(NDJSON_LINES), min_size=1, max_size=30)
       | st.lists(st.sampled_from(NDJSON_LINES + NDJSON_DAMAGED), min_size=1, max_size=30),
       st.integers(8, 300), st.sampled_from([None, "gzip", "zstd"]), st.sampled_from([b"", b"\n"]))
def test_ndjson_in_chunks_reads_as_ndjson_whole(tmp_path, monkeypatch, lines, chunk, compression,
                                                end):
    path = write(tmp_path / "log.ndjson", lines, compression, end)
    assert_same(loaded(path, monkeypatch), loaded(path, monkeypatch, chunk_bytes=chunk))


@pytest.mark.parametrize("rows", [1, 2, 7])
def test_parquet_in_batches_reads_as_parquet_whole(tmp_path, monkeypatch, rows):
    frame = pl.DataFrame({
        "timestamp": ["2026-01-01T09:00:00Z", "bad", None, "2026-01-01T09:01:00Z"] * 5,
        "operation": ["x", "y", "z", None] * 5,
        "http_status": [200, 700, None, 404] * 5,
    })
    path = tmp_path / "log.parquet"
    frame.write_parquet(path)
    assert_same(loaded(path, monkeypatch), loaded(path, monkeypatch, parquet_rows=rows))


def test_a_big_csv_reads_in_batches_without_falling_back(tmp_path, monkeypatch):
    lines = [b"2026-01-01T09:%02d:00Z,x,acme,200,n" % (i % 60) for i in range(200)]
    path = write(tmp_path / "log.csv", [HEADER, *lines], None, b"\n")
    monkeypatch.setattr(batches, "CHUNK_BYTES", 500)
    every = list(batches.read_batches(batches.Source(path, "log.csv", "csv", None),
                                      lambda found: found))
    assert len(every) > 5
    assert sum(b.raw.lines for b in every) == 201
    assert [b.raw.frame["source_line"][0] for b in every][:2] == [2, every[0].raw.lines + 1]


def test_a_csv_with_a_quoted_line_break_is_read_whole(tmp_path, monkeypatch):
    lines = [b"2026-01-01T09:00:00Z,x,acme,200,n"] * 50 + [b'2026-01-01T09:00:00Z,x,a,200,"b\nc"']
    path = write(tmp_path / "log.csv", [HEADER, *lines], None, b"\n")
    frame, inputs, _ = loaded(path, monkeypatch, chunk_bytes=300)
    (stats,) = inputs.files
    assert frame["source_line"][-1] == 52
    assert dict(stats.skipped) == {"continuation line of a quoted field": 1, "header line": 1}


def _compressed(kind: str, data: bytes) -> bytes:
    return gzip.compress(data, mtime=0) if kind == "gzip" else zstandard.compress(data)


@settings_for_files
@given(st.sampled_from(["gzip", "zstd"]), st.floats(0.05, 0.98), st.integers(40, 400),
       st.sampled_from(["log.csv", "log.ndjson"]))
def test_a_cut_or_damaged_stream_in_chunks_reads_as_whole(tmp_path, monkeypatch, kind, keep,
                                                         chunk, name):
    """The lines before the cut are kept and the cut is one reject, at the same line."""
    lines = (CSV_CLEAN * 4 if name.endswith(".csv") else NDJSON_LINES * 2)
    text = b"\n".join(([HEADER] if name.endswith(".csv") else []) + lines) + b"\n"
    packed = _compressed(kind, text)
    suffix = ".gz" if kind == "gzip" else ".zst"
    cut = tmp_path / (name + suffix)
    cut.write_bytes(packed[: int(len(packed) * keep)])
    assert_same(loaded(cut, monkeypatch), loaded(cut, monkeypatch, chunk_bytes=chunk))
    damaged = bytearray(packed)
    middle = len(damaged) // 2
    damaged[middle: middle + 8] = b"\xff" * 8
    broken = tmp_path / ("broken-" + name + suffix)
    broken.write_bytes(bytes(damaged))
    assert_same(loaded(broken, monkeypatch), loaded(broken, monkeypatch, chunk_bytes=chunk))


def test_a_cut_stream_in_chunks_counts_the_cut(tmp_path, monkeypatch):
    text = b"\n".join([HEADER] + CSV_CLEAN[:2] * 100) + b"\n"
    path = tmp_path / "log.csv.gz"
    path.write_bytes(gzip.compress(text, mtime=0)[:-20])
    frame, inputs, rejects = loaded(path, monkeypatch, chunk_bytes=200)
    assert [r.reason for r in rejects] == [
        "cut off: the gzip stream ends early (a truncated file?)"]
    assert rejects[0].line == inputs.files[0].lines


def test_a_decompression_bomb_in_chunks_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(compressed, "MIN_LIMIT", 1 << 16)
    monkeypatch.setattr(compressed, "MAX_RATIO", 10)
    path = tmp_path / "log.csv.gz"
    path.write_bytes(gzip.compress(HEADER + b"\n" + (CSV_CLEAN[0] + b"\n") * 8000))
    whole = loaded(path, monkeypatch)
    assert isinstance(whole, str) and "decompresses to more than 65,536 bytes" in whole
    assert loaded(path, monkeypatch, chunk_bytes=4096) == whole


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be"])
def test_utf16_in_chunks_reads_as_whole(tmp_path, monkeypatch, encoding):
    text = b"\n".join([HEADER, *CSV_CLEAN]).decode() + "\n"
    path = tmp_path / "log.csv"
    path.write_bytes((b"\xfe\xff" if encoding.endswith("be") else b"") + text.encode(encoding))
    whole = loaded(path, monkeypatch)
    assert whole[1].files[0].rows > 0
    assert_same(whole, loaded(path, monkeypatch, chunk_bytes=64))


@pytest.mark.parametrize("compression", [None, "gzip"])
@pytest.mark.parametrize("chunk_bytes", [WHOLE, 4096], ids=["whole", "in-chunks"])
def test_an_ndjson_key_first_seen_late_is_read(tmp_path, monkeypatch, chunk_bytes, compression):
    """Loggers leave out empty fields: here error_code first appears after 2,500 successful
    calls, past the first lines whose keys name the columns (a compressed file streamed in
    chunks is sampled at its head only: a later chunk finds the key, and the file is read
    again with it)."""
    ok = [b'{"timestamp": "2026-01-01T09:00:00Z", "operation": "checkInventory"}'] * 2500
    failed = [b'{"timestamp": "2026-01-01T10:00:00Z", "operation": "orderStatus", '
              b'"error_code": "404"}'] * 5
    path = write(tmp_path / "log.ndjson", ok + failed + ok[:500], compression, b"\n")
    frame = loaded(path, monkeypatch, chunk_bytes=chunk_bytes)[0]
    assert frame["error_code"].drop_nulls().to_list() == ["404"] * 5


def test_ndjson_keys_are_sampled_through_the_whole_file():
    lines = [b'{"a": 1}'] * 5000 + [b'{"a": 1, "late": 2}'] * 3 + [b'{"a": 1}'] * 5000
    assert readers._json_keys(b"\n".join(lines)) == ["a", "late"]
    assert readers._json_keys(b"\n".join(lines[:1000])) == ["a"]


def test_a_lone_surrogate_escape_is_a_reject_and_a_pair_a_character(tmp_path, monkeypatch):
    path = write(tmp_path / "log.ndjson", NDJSON_LINES[-2:], None, b"\n")
    frame, inputs, rejects = loaded(path, monkeypatch)
    assert frame["client_id"].to_list() == ["\U0001f600"]
    assert [(r.line, r.reason) for r in rejects] == [
        (2, "invalid JSON string: a lone UTF-16 surrogate escape")]


def test_a_key_a_chunk_revealed_survives_a_whole_read(tmp_path, monkeypatch):
    """The late key makes the file be read again; a NUL line near its end then makes it be
    read whole: error_code must still be read."""
    ok = [b'{"timestamp": "2026-01-01T09:00:00Z", "operation": "checkInventory"}'] * 2500
    failed = [b'{"timestamp": "2026-01-01T10:00:00Z", "operation": "orderStatus", '
              b'"error_code": "404"}'] * 5
    path = write(tmp_path / "log.ndjson", ok + failed + ok[:500] + [b"\x00"], "gzip", b"\n")
    monkeypatch.setattr(readers, "KEY_STRETCHES", 1)  # the whole reader's sample misses it
    frame, inputs, rejects = loaded(path, monkeypatch, chunk_bytes=4096)
    assert frame["error_code"].drop_nulls().to_list() == ["404"] * 5
    assert [r.line for r in rejects] == [3006]


def test_a_file_that_keeps_revealing_keys_is_read_again_a_bounded_number_of_times(
        tmp_path, monkeypatch):
    from analyzer import loading
    base = b'{"timestamp": "2026-01-01T09:00:00Z", "operation": "orderStatus"'
    lines = [base + b"}"] * 1500
    for key in (b"error_code", b"error_message", b"http_status", b"order_id", b"part_number"):
        lines += [base + b', "' + key + b'": "1"}'] + [base + b"}"] * 300
    path = write(tmp_path / "log.ndjson", lines, "gzip", b"\n")
    monkeypatch.setattr(readers, "KEY_STRETCHES", 0)  # only chunks find the keys
    readings = []
    pending = loading.pending_batches
    monkeypatch.setattr(loading, "pending_batches",
                        lambda *args: readings.append(args[2]) or pending(*args))
    loaded(path, monkeypatch, chunk_bytes=4096)
    assert len(readings) == loading.MAX_KEY_RESTARTS + 1

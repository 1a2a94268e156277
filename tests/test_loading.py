"""Loading: formats, aliases, line numbers, and an account of every line read."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import polars as pl
import pytest

from analyzer.errors import InputError
from analyzer.loading import LoadOptions, load

HEADER = "timestamp,operation,client_id,http_status\n"


def write(path: Path, text: str, compress: bool = False) -> Path:
    data = text.encode("utf-8")
    path.write_bytes(gzip.compress(data, mtime=0) if compress else data)
    return path


def loaded(*paths, aliases=None, timezone=None, input_format=None):
    return load([str(p) for p in paths], LoadOptions(aliases or {}, "default", timezone,
                                                     input_format))


def accounting(result) -> dict:
    (stats,) = result.inputs.files
    return {"lines": stats.lines, "rows": stats.rows, "rejected": dict(stats.rejected),
            "skipped": dict(stats.skipped)}


def assert_every_line_accounted(result) -> None:
    for stats in result.inputs.files:
        assert stats.lines == stats.rows + stats.rejected_total + stats.skipped_total


def test_csv_keeps_line_numbers_and_types(tmp_path):
    log = write(tmp_path / "a.csv", HEADER + "2026-01-01T09:00:00Z,checkInventory,acme,200\n"
                                              "1767258060,orderStatus,acme,404\n")
    frame = loaded(log).frame
    assert frame["source_line"].to_list() == [2, 3]
    assert frame["http_status"].dtype == pl.Int32
    assert frame["timestamp"].dtype == pl.Datetime("ms", "UTC")
    assert frame["source_file"].to_list() == [log.as_posix()] * 2


def test_bad_rows_are_counted_with_reasons_and_examples(tmp_path):
    log = write(tmp_path / "a.csv", HEADER
                + "2026-01-01T09:00:00Z,checkInventory,acme,200\n"
                + "not a time,checkInventory,acme,200\n"
                + "2026-01-01T09:00:00Z,,acme,200\n"
                + "2026-01-01T09:00:00Z,checkInventory,acme,OK\n"
                + "\n")
    result = loaded(log)
    assert accounting(result) == {
        "lines": 6, "rows": 1,
        "rejected": {"http_status not an HTTP status code (100-599)": 1,
                     "operation missing": 1,
                     "timestamp not ISO-8601 with offset or epoch seconds/milliseconds": 1},
        "skipped": {"blank line": 1, "header line": 1},
    }
    examples = [(e.line, e.value) for e in result.inputs.files[0].examples]
    assert examples == [(3, "not a time"), (4, ""), (5, "OK")]
    assert_every_line_accounted(result)


def test_missing_client_becomes_the_default_client(tmp_path):
    log = write(tmp_path / "a.csv", "timestamp,operation\n2026-01-01T09:00:00Z,checkInventory\n")
    assert loaded(log).frame["client_id"].to_list() == ["default"]


def test_aliases_builtin_camel_case_and_config(tmp_path):
    log = write(tmp_path / "a.csv", "ts,soapAction,account_ref,partNumber,purchaseOrderID\n"
                                    "2026-01-01T09:00:00Z,submitOrder,acme,2200-1,PO-1\n")
    frame = loaded(log, aliases={"client_id": ["account_ref"]}).frame
    row = frame.row(0, named=True)
    assert (row["operation"], row["client_id"], row["part_number"], row["purchase_order_id"]) == (
        "submitOrder", "acme", "2200-1", "PO-1")


def test_exact_names_beat_aliases(tmp_path):
    log = write(tmp_path / "a.csv", "status,http_status,timestamp,operation\n"
                                    "999,200,2026-01-01T09:00:00Z,x\n")
    assert loaded(log).frame["http_status"].to_list() == [200]


def test_missing_required_column_names_file_and_columns_found(tmp_path):
    log = write(tmp_path / "a.csv", "when,operation,client\n2026-01-01T09:00:00Z,x,acme\n")
    with pytest.raises(InputError) as caught:
        loaded(log)
    assert caught.value.messages == [
        f"{log.as_posix()}: missing required column timestamp (columns found: when, operation, "
        "client); name yours under `fields:` in trafficlint.yaml, e.g. fields: "
        "{timestamp: [your_column]}"]


def test_gzip_csv_and_ndjson(tmp_path):
    csv_log = write(tmp_path / "a.csv.gz", HEADER + "2026-01-01T09:00:00Z,x,acme,200\n", True)
    ndjson_log = write(tmp_path / "b.ndjson.gz",
                       '{"timestamp": 1767258000123, "operation": "x", "http_status": 500}\n', True)
    result = loaded(csv_log, ndjson_log)
    assert result.frame.height == 2
    assert [f.format for f in result.inputs.files] == ["csv+gzip", "ndjson+gzip"]


def test_corrupt_gzip_is_an_input_error(tmp_path):
    log = tmp_path / "a.csv.gz"
    # Nothing decompresses from it (a truncated one keeps its lines: test_broken_files.py).
    log.write_bytes(gzip.compress(b"timestamp,operation\n" * 50)[:10] + b"not deflate data")
    with pytest.raises(InputError, match=r"a\.csv\.gz: not a valid gzip file"):
        loaded(log)


def test_ndjson_bad_lines_are_counted_and_numbers_stay_right(tmp_path):
    log = write(tmp_path / "a.ndjson", "\n".join([
        '{"timestamp": "2026-01-01T09:00:00Z", "operation": "x", "latency_ms": 12.5}',
        "",
        "this is not json",
        "[1, 2]",
        '{"timestamp": "2026-01-01T09:01:00Z", "operation": {"nested": true}}',
        '{"timestamp": "2026-01-01T09:02:00Z", "operation": "y", "http_status": "200"}',
    ]) + "\n")
    result = loaded(log)
    assert result.frame["source_line"].to_list() == [1, 5, 6]
    assert result.frame["operation"].to_list() == ["x", '{"nested":true}', "y"]
    assert accounting(result) == {
        "lines": 6, "rows": 3,
        "rejected": {"JSON value is not an object": 1, "invalid JSON": 1},
        "skipped": {"blank line": 1},
    }


def test_ndjson_numbers_and_booleans_read_as_written(tmp_path):
    log = write(tmp_path / "a.ndjson", json.dumps(
        {"timestamp": 1767258000, "operation": "x", "http_status": 404, "error_code": 101,
         "latency_ms": 1.5, "client_id": True}) + "\n")
    row = loaded(log).frame.row(0, named=True)
    assert (row["http_status"], row["error_code"], row["latency_ms"], row["client_id"]) == (
        404, "101", 1.5, "true")


def test_csv_quoted_newlines_and_ragged_rows_use_the_exact_reader(tmp_path):
    log = write(tmp_path / "a.csv", HEADER
                + '2026-01-01T09:00:00Z,"multi\nline",acme,200\n'
                + "2026-01-01T09:01:00Z,x,acme,200,extra\n"
                + "2026-01-01T09:02:00Z,y\n")
    result = loaded(log)
    assert result.frame["source_line"].to_list() == [2, 5]
    assert result.frame["client_id"].to_list() == ["acme", "default"]
    assert accounting(result) == {
        "lines": 5, "rows": 2, "rejected": {"more fields than the header (5 > 4)": 1},
        "skipped": {"continuation line of a quoted field": 1, "header line": 1}}
    assert_every_line_accounted(result)


def test_invalid_utf8_rows_are_rejected_not_fatal(tmp_path):
    log = tmp_path / "a.csv"
    log.write_bytes(HEADER.encode() + b"2026-01-01T09:00:00Z,x\xff,acme,200\n"
                    + b"2026-01-01T09:00:00Z,y,acme,200\n")
    result = loaded(log)
    assert result.frame["operation"].to_list() == ["y"]
    assert dict(result.inputs.files[0].rejected) == {"invalid UTF-8": 1}


def test_tsv_and_bom(tmp_path):
    log = write(tmp_path / "a.tsv", "\ufefftimestamp\toperation\n2026-01-01T09:00:00Z\tx\n")
    assert loaded(log).frame["operation"].to_list() == ["x"]


def test_parquet_with_native_types(tmp_path):
    log = tmp_path / "a.parquet"
    pl.DataFrame({
        "timestamp": pl.Series(["2026-01-01T09:00:00"]).str.to_datetime(),
        "operation": ["checkInventory"], "http_status": [200], "error_code": [101.0],
    }).write_parquet(log)
    row = loaded(log).frame.row(0, named=True)
    assert row["timestamp"].isoformat() == "2026-01-01T09:00:00+00:00"
    assert (row["error_code"], row["source_line"]) == ("101", 1)


def test_naive_timestamps_with_a_timezone(tmp_path):
    log = write(tmp_path / "a.csv", "timestamp,operation\n2026-07-01 10:00:00,x\n")
    frame = loaded(log, timezone="Europe/London").frame
    assert frame["timestamp"][0].isoformat() == "2026-07-01T09:00:00+00:00"


def test_directories_globs_and_ignored_files(tmp_path):
    (tmp_path / "logs" / "nested").mkdir(parents=True)
    write(tmp_path / "logs" / "b.csv", HEADER + "2026-01-01T09:00:00Z,x,acme,200\n")
    write(tmp_path / "logs" / "nested" / "a.ndjson", '{"timestamp":1767258000,"operation":"x"}\n')
    write(tmp_path / "logs" / "README.md", "# not a log\n")
    write(tmp_path / "logs" / ".hidden.csv", HEADER)
    result = loaded(tmp_path / "logs")
    assert [Path(f.file).name for f in result.inputs.files] == ["b.csv", "a.ndjson"]
    assert [Path(p).name for p in result.inputs.ignored] == ["README.md"]
    by_glob = loaded(str(tmp_path / "logs" / "**" / "*.ndjson"))
    assert [Path(f.file).name for f in by_glob.inputs.files] == ["a.ndjson"]


def test_file_order_does_not_matter(tmp_path):
    a = write(tmp_path / "a.csv", HEADER + "2026-01-01T09:00:00Z,x,acme,200\n")
    b = write(tmp_path / "b.csv", HEADER + "2026-01-01T08:00:00Z,y,acme,200\n")
    assert loaded(a, b).frame.equals(loaded(b, a).frame)


@pytest.mark.parametrize("content, message", [
    ("", "no rows to analyse in {f} (0 lines; the files are empty)"),
    (HEADER, "no rows to analyse in {f} (1 line; header line: 1)"),
    (HEADER + "bad,x,acme,200\n", "no rows to analyse in {f} (2 lines; header line: 1; "
     "timestamp not ISO-8601 with offset or epoch seconds/milliseconds: 1)"),
])
def test_no_rows_at_all_is_an_error(tmp_path, content, message):
    log = write(tmp_path / "a.csv", content)
    with pytest.raises(InputError) as caught:
        loaded(log)
    assert caught.value.messages == [message.format(f=log.as_posix())]


def test_missing_path_and_empty_glob_are_errors(tmp_path):
    with pytest.raises(InputError, match="nope.csv: no such file or directory"):
        loaded(tmp_path / "nope.csv")
    with pytest.raises(InputError, match=r"\*\.csv: no files match this pattern"):
        loaded(str(tmp_path / "*.csv"))


def test_unknown_format_asks_for_input_format(tmp_path):
    log = write(tmp_path / "a.log", "just some words\n")
    with pytest.raises(InputError, match="cannot tell the log format; name it with --input-format"):
        loaded(log)

"""Broken files: each gets a clear message naming the file (and the line where there is one),
counted rejects when the rest of the file is usable, exit 2 when it is not, and no report
file is left behind by a run that fails."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pytest
import zstandard
from conftest import CASES, run_check

from analyzer import compressed
from analyzer.errors import InputError
from analyzer.readers import MAX_LINE_BYTES, NUL, OVERLONG

HEADER = b"timestamp,operation,client_id,part_number\n"


def rows(n: int, start: int = 0) -> bytes:
    """n calls a second apart from 09:00, each for its own part number."""
    return b"".join(b"2026-11-16T%02d:%02d:%02d.000Z,checkInventory,acme,SKU-%d\n"
                    % (9 + i // 3600, i // 60 % 60, i % 60, i) for i in range(start, start + n))


def stats_of(path: Path):
    (stats,) = run_check([path]).inputs.files
    assert stats.lines == stats.rows + stats.rejected_total + stats.skipped_total
    return stats


def test_invalid_utf8_is_a_counted_reject_in_every_line_format(tmp_path):
    bad = b"\xff\xfe\xc3("
    logs = {
        "a.csv": HEADER + rows(3) + b"2026-11-16T10:00:00Z,check" + bad + b",acme,x\n",
        "a.ndjson": b'{"timestamp":"2026-11-16T09:00:00Z","operation":"x"}\n'
                    b'{"timestamp":"2026-11-16T09:01:00Z","operation":"' + bad + b'"}\n',
        "a.log": b'127.0.0.1 - - [16/Nov/2026:09:00:00 +0000] "GET /a HTTP/1.1" 200 1 "-" "c"\n'
                 b'127.0.0.1 - - [16/Nov/2026:09:00:01 +0000] "GET /' + bad
                 + b' HTTP/1.1" 200 1 "-" "c"\n',
    }
    for name, data in logs.items():
        (tmp_path / name).write_bytes(data)
        stats = stats_of(tmp_path / name)
        assert dict(stats.rejected) == {"invalid UTF-8": 1}, name
        assert stats.examples[0].line == data.count(b"\n")


def test_lines_with_nul_bytes_are_counted_rejects(tmp_path):
    log = tmp_path / "a.csv"
    log.write_bytes(HEADER + rows(3) + b"2026-11-16T10:00:00Z,check\x00x,acme,x\n"
                    + b"\x00" * 4000 + b"\n" + rows(1, 3))
    stats = stats_of(log)
    assert stats.rows == 4
    assert dict(stats.rejected) == {NUL: 2}
    first, second = stats.examples
    assert (first.line, second.line) == (5, 6)
    assert first.value.startswith("2026-11-16T10:00:00Z,check\\0x,acme")  # NUL shown as \0
    assert second.value.startswith("\\0\\0\\0") and "\x00" not in second.value


@pytest.mark.parametrize(("content", "message"), [
    (b"", "no rows to analyse in {f} (0 lines; the files are empty)"),
    (HEADER, "no rows to analyse in {f} (1 line; header line: 1)"),
    (b"\n\n\n", "no rows to analyse in {f} (3 lines; blank line: 3)"),
])
def test_empty_and_header_only_files_are_exit_2(cli, tmp_path, content, message):
    (tmp_path / "a.csv").write_bytes(content)
    code, out, err = cli("check", "a.csv", "--json", "out.json")
    assert (code, out) == (2, "")
    assert err == f"trafficlint: error: {message.format(f='a.csv')}\n"
    assert not (tmp_path / "out.json").exists()


@pytest.mark.parametrize("name", ["a.csv", "a.ndjson", "a.log"])
def test_a_50_mb_line_is_rejected_before_any_parser_holds_it(tmp_path, name):
    long_line = {"a.csv": b"2026-11-16T10:00:00Z,checkInventory,acme," + b"x" * 50_000_000,
                 "a.ndjson": b'{"timestamp":"2026-11-16T10:00:00Z","operation":"'
                             + b"x" * 50_000_000 + b'"}',
                 "a.log": b'127.0.0.1 - - [16/Nov/2026:09:00:00 +0000] "GET /' + b"x" * 50_000_000
                          + b' HTTP/1.1" 200 1 "-" "c"'}[name]
    first = {"a.csv": HEADER + rows(2),
             "a.ndjson": b'{"timestamp":"2026-11-16T09:00:00Z","operation":"x"}\n' * 2,
             "a.log": b'127.0.0.1 - - [16/Nov/2026:09:00:00 +0000] "GET /a HTTP/1.1" 200 1 "-"'
                      b' "c"\n' * 2}[name]
    log = tmp_path / name
    log.write_bytes(first + long_line + b"\n" + first.splitlines(keepends=True)[-1])
    report = run_check([log])
    (stats,) = report.inputs.files
    assert dict(stats.rejected) == {OVERLONG: 1}
    assert stats.lines == stats.rows + stats.rejected_total + stats.skipped_total
    (example,) = stats.examples
    assert example.line == first.count(b"\n") + 1 and len(example.value) <= 201
    assert all(len(r.value) <= 16385 for r in report.rejects)


def test_a_line_just_under_the_cap_is_read(tmp_path):
    log = tmp_path / "a.ndjson"
    filler = "y" * (MAX_LINE_BYTES - 200)
    log.write_text(json.dumps({"timestamp": "2026-11-16T09:00:00Z", "operation": "x",
                               "note": filler}) + "\n")
    assert stats_of(log).rows == 1


def test_an_overlong_csv_header_is_exit_2_with_the_line(tmp_path):
    log = tmp_path / "a.csv"
    log.write_bytes(b"t" * (MAX_LINE_BYTES + 1) + b"\n" + rows(1))
    with pytest.raises(InputError, match=r"a.csv:1: the header line is unusable \(line longer "
                                         r"than 1,048,576 bytes\)"):
        run_check([log])


def test_a_field_longer_than_the_cap_is_rejected_with_its_name(tmp_path):
    log = tmp_path / "a.csv"
    log.write_bytes(HEADER + rows(2) + b"2026-11-16T10:00:00Z,x,acme," + b"p" * 9000 + b"\n")
    stats = stats_of(log)
    assert dict(stats.rejected) == {"part_number longer than 8,192 bytes": 1}


@pytest.mark.parametrize(("name", "content"), [
    ("a.ndjson", b'{"timestamp":"2026-11-16T09:00:00Z","operation":"x"}\n'
                 + b'{"a":' * 50_000 + b"1" + b"}" * 50_000 + b"\n"),
    ("a.har", b'{"log":{"entries":[' + b"[" * 50_000 + b"]" * 50_000 + b"]}}\n"),
    ("a.json", b'{"resourceSpans":[' + b"[" * 50_000 + b"]" * 50_000 + b"]}\n"),
])
def test_deeply_nested_json_is_a_reject_not_a_crash(tmp_path, name, content):
    log = tmp_path / name
    log.write_bytes(content)
    try:
        stats = stats_of(log)
    except InputError as exc:  # nothing else in the file: exit 2, with the reason counted
        assert "JSON nested too deeply" in str(exc)
    else:
        assert dict(stats.rejected) == {"JSON nested too deeply": 1}


def _cut(data: bytes, keep: float) -> bytes:
    return data[: int(len(data) * keep)]


@pytest.mark.parametrize("kind", ["gzip", "zstd"])
def test_a_truncated_stream_keeps_the_lines_before_the_cut(tmp_path, kind):
    text = HEADER + rows(20_000)
    packed = (gzip.compress(text) if kind == "gzip"
              else zstandard.ZstdCompressor(level=1).compress(text))
    log = tmp_path / f"a.csv.{'gz' if kind == 'gzip' else 'zst'}"
    log.write_bytes(_cut(packed, 0.6))
    stats = stats_of(log)
    assert 5_000 < stats.rows < 20_000
    assert dict(stats.rejected) == {
        f"cut off: the {kind} stream ends early (a truncated file?)": 1}
    (example,) = stats.examples
    assert example.line == stats.lines  # the line the stream broke off in


def test_a_corrupt_gzip_keeps_what_decompressed_before_the_damage(tmp_path):
    text = HEADER + rows(40_000)
    packed = bytearray(gzip.compress(text, compresslevel=1))
    assert len(packed) > 8 * compressed.CHUNK  # the damage is chunks after the start
    packed[len(packed) // 2: len(packed) // 2 + 64] = b"\xff" * 64
    log = tmp_path / "a.csv.gz"
    log.write_bytes(bytes(packed))
    stats = stats_of(log)
    assert 0 < stats.rows < 40_000
    (reason,) = dict(stats.rejected)
    assert reason.startswith("cut off: gzip data is corrupt after this point")


@pytest.mark.parametrize(("suffix", "pack"), [
    ("gz", gzip.compress),
    ("zst", lambda data: zstandard.ZstdCompressor(write_content_size=False).compress(data)),
])
def test_rotated_logs_with_several_members_or_frames_read_whole(tmp_path, suffix, pack):
    log = tmp_path / f"a.csv.{suffix}"
    log.write_bytes(pack(HEADER + rows(5)) + pack(rows(5, 5)) + pack(rows(5, 10)))
    assert stats_of(log).rows == 15


@pytest.mark.parametrize(("data", "message"), [
    (b"\x1f\x8b\x08\x00garbage", "a.csv.gz: not a valid gzip file: nothing could be decompressed"),
    (gzip.compress(HEADER + rows(3))[:10], "a.csv.gz: not a valid gzip file: nothing could be "
                                            "decompressed (the gzip stream ends early"),
    (gzip.compress(HEADER + rows(3))[:40], "no rows to analyse in a.csv.gz (1 line; cut off: "
                                            "the gzip stream ends early (a truncated file?): 1)"),
])
def test_a_stream_with_nothing_usable_is_exit_2(cli, tmp_path, data, message):
    (tmp_path / "a.csv.gz").write_bytes(data)
    code, out, err = cli("check", "a.csv.gz")
    assert (code, out) == (2, "") and err.startswith(f"trafficlint: error: {message}")


def test_a_decompression_bomb_is_refused(cli, tmp_path, monkeypatch):
    monkeypatch.setattr(compressed, "MIN_LIMIT", 1 << 20)  # 1 MiB instead of 1 GiB
    monkeypatch.setattr(compressed, "MAX_RATIO", 100)  # gzip cannot pass 1000x, zstd can
    (tmp_path / "a.csv.gz").write_bytes(gzip.compress(HEADER + b"\n" * (8 << 20)))
    code, out, err = cli("check", "a.csv.gz")
    assert (code, out) == (2, "")
    assert "a.csv.gz: decompresses to more than 1,048,576 bytes" in err
    assert "decompression bomb" in err


def _unreadable(path: Path, monkeypatch) -> None:
    """chmod 000; where that does not bite (the tests run as root), make opening the file
    fail as it would for another user: EACCES from the open call, which is all trafficlint
    sees of a permission problem."""
    path.chmod(0)
    if os.access(path, os.R_OK):
        real_open = Path.open

        def refuse(self, *args, **kwargs):
            if self.resolve() == path.resolve():
                raise PermissionError(13, "Permission denied", str(self))
            return real_open(self, *args, **kwargs)

        monkeypatch.setattr(Path, "open", refuse)
        monkeypatch.setattr(Path, "read_bytes", lambda self: refuse(self, "rb").read())


def test_an_unreadable_file_in_a_directory_is_exit_2_naming_it(cli, tmp_path, monkeypatch):
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "a.csv").write_bytes(HEADER + rows(3))
    (logs / "b.csv").write_bytes(HEADER + rows(3))
    _unreadable(logs / "b.csv", monkeypatch)
    code, out, err = cli("check", "logs", "--json", "out.json")
    assert (code, out) == (2, "")
    assert err == "trafficlint: error: logs/b.csv: cannot read: Permission denied\n"
    assert not (tmp_path / "out.json").exists()


def test_a_folder_that_cannot_be_listed_is_exit_2(cli, tmp_path, monkeypatch):
    (tmp_path / "logs" / "locked").mkdir(parents=True)
    (tmp_path / "logs" / "a.csv").write_bytes(HEADER + rows(3))
    real = os.scandir

    def scandir(path="."):
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    code, out, err = cli("check", "logs")
    assert (code, out) == (2, "")
    assert err == "trafficlint: error: logs/locked: cannot list this folder: Permission denied\n"


def test_a_broken_link_in_a_directory_is_listed_as_ignored(tmp_path):
    (tmp_path / "a.csv").write_bytes(HEADER + rows(3))
    (tmp_path / "gone.csv").symlink_to(tmp_path / "missing.csv")
    report = run_check([tmp_path])
    assert report.inputs.ignored == (f"{(tmp_path / 'gone.csv').as_posix()} (not a readable file)",)


def test_a_failed_run_leaves_no_report_file_and_keeps_the_old_one(cli, tmp_path):
    (tmp_path / "old.html").write_text("previous report")
    (tmp_path / "a.csv").write_bytes(b"")
    code, _, _ = cli("check", "a.csv", "--html", "old.html", "--json", "new.json",
                     "--sarif", "new.sarif")
    assert code == 2
    assert (tmp_path / "old.html").read_text() == "previous report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "old.html"]


# Found by the fuzzing run (fuzz/run.py): a lone CR made the csv module number lines
# differently from every other reader (and crash in the header), and a blank first line left
# a CSV with no columns at all.

def test_a_lone_carriage_return_is_text_not_a_line_end(tmp_path):
    log = tmp_path / "a.csv"
    log.write_bytes(HEADER + rows(2) + b"2026-11-16T10:00:00Z,check\rInventory,acme,x\n"
                    + rows(1, 2) + b"\r\x01\n")
    report = run_check([log], select=("NUV-001",))
    (stats,) = report.inputs.files
    assert (stats.lines, stats.rows, stats.rejected_total, stats.skipped_total) == (6, 4, 1, 1)
    assert [e.line for e in stats.examples] == [6]  # the line with "\r\x01", numbered right


def test_a_csv_with_a_blank_header_line_is_exit_2(tmp_path):
    log = tmp_path / "a.csv"
    log.write_bytes(b"\n\r" + HEADER + rows(2))
    with pytest.raises(InputError, match=r"a.csv:1: the header line is empty"):
        run_check([log])


def test_reports_are_written_all_or_none(cli, tmp_path):
    (tmp_path / "a.csv").write_bytes(HEADER + rows(3))
    (tmp_path / "blocker").write_text("a file where a folder should be")
    code, out, err = cli("check", "a.csv", "--json", "ok.json", "--html", "blocker/report.html")
    assert (code, out) == (2, "")
    assert err.startswith("trafficlint: error: blocker/report.html: cannot write: ")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "blocker"]  # no ok.json


_PARQUET_DAMAGE = """
import io, sys
import polars as pl
from pathlib import Path
from analyzer.errors import InputError
from analyzer.readers import read_parquet
from analyzer.sources import Source

buffer = io.BytesIO()
pl.read_csv(sys.argv[1], infer_schema=False).write_parquet(buffer)
good = buffer.getvalue()
source = Source(Path("a.parquet"), "a.parquet", "parquet", None)
for position in range(max(0, len(good) - 1500), len(good)):
    for value in (0x00, 0x68, 0xFF):
        damaged = bytearray(good)
        damaged[position] = value
        try:
            read_parquet(source, bytes(damaged), lambda found: found)
        except InputError as exc:
            assert str(exc).startswith("a.parquet: not a readable Parquet file"), exc
            if "damaged: the reader failed" in str(exc):
                Path(sys.argv[2]).write_bytes(bytes(damaged))
                print("panic", position, value)
                sys.exit(0)  # a Rust panic can leave Polars' threads unusable: stop here
print("no panic")
"""


def test_a_damaged_parquet_footer_is_exit_2_even_when_the_reader_panics(cli, tmp_path):
    """Found by the fuzzing run: damage to a Parquet footer can make Polars' Rust reader panic,
    which reaches Python as PanicException, a BaseException no `except Exception` catches (a
    traceback, not exit 2). Damage each byte of the footer in turn, in a child process (after
    a panic Polars may not be usable in that process): every case before the first panic is
    rows or a clear InputError, and the CLI reports the panicking file with exit 2."""
    import subprocess
    import sys

    damaged = tmp_path / "a.parquet"
    result = subprocess.run([sys.executable, "-c", _PARQUET_DAMAGE,
                             str(CASES / "NUV-001" / "fail.csv"), str(damaged)],
                            capture_output=True, text=True, timeout=300, cwd=tmp_path,
                            env={**os.environ, "PYTHONPATH": str(Path.cwd()),
                                 "RUST_BACKTRACE": "0"})
    assert result.returncode == 0, result.stderr[-2000:]
    if result.stdout.startswith("panic"):
        code, out, err = cli("check", "a.parquet")
        assert (code, out) == (2, "")
        assert err.startswith("trafficlint: error: a.parquet: not a readable Parquet file")


def test_a_nul_line_inside_an_open_quoted_field_is_counted_once(tmp_path):
    """Found by the fuzzing run: an unusable line inside a quoted field that never closes
    was counted twice (as a reject, and as a continuation of the field)."""
    log = tmp_path / "a.csv"
    log.write_bytes(HEADER + rows(1) + b'2026-11-16T09:00:01.000Z,checkInventory,"acme,x\n'
                    + b"\x00\x00\n" + rows(2, 2))
    stats = stats_of(log)  # asserts lines = rows + rejected + skipped
    assert stats.lines == 6 and dict(stats.rejected)[NUL] == 1
    assert [e.line for e in stats.examples if e.reason == NUL] == [4]


def test_rows_after_an_unusable_line_keep_their_line_numbers(tmp_path):
    log = tmp_path / "a.ndjson"
    log.write_bytes(b'{"timestamp":"2026-11-16T09:00:00Z","operation":"a"}\n\x00\n'
                    b"\x00\x00\n" + b'{"timestamp":"2026-11-16T09:00:01Z","operation":"b"}\n'
                    b"not json\n")
    report = run_check([log])
    (stats,) = report.inputs.files
    assert [(r.line, r.reason) for r in report.rejects] == [
        (2, NUL), (3, NUL), (5, "invalid JSON")]
    assert stats.rows == 2
    from analyzer.loading import LoadOptions, load

    frame = load([str(log)], LoadOptions({}, "default")).frame
    assert frame["source_line"].to_list() == [1, 4]


def test_utf16_text_with_a_byte_order_mark_is_read(tmp_path):
    """UTF-16 (what Windows PowerShell's Out-File writes) would otherwise have a NUL byte in
    every line."""
    text = (HEADER + rows(3)).decode()
    for encoding in ("utf-16", "utf-16-be"):
        log = tmp_path / f"{encoding}.csv"
        log.write_bytes((b"\xfe\xff" if encoding.endswith("be") else b"")
                        + text.encode(encoding))
        stats = stats_of(log)
        assert (stats.rows, stats.rejected) == (3, ())
    access = tmp_path / "access.log"  # the format is told from UTF-16 content too
    access.write_bytes('127.0.0.1 - - [16/Nov/2026:09:00:00 +0000] "GET /a HTTP/1.1" 200 1 "-" '
                       '"c"\n'.encode("utf-16"))
    assert stats_of(access).rows == 1
    (tmp_path / "bad.csv").write_bytes(b"\xff\xfe" + b"a\x00\x00\xd8")
    with pytest.raises(InputError, match=r"bad.csv: starts with a UTF-16 byte-order mark but"):
        run_check([tmp_path / "bad.csv"])


def test_a_lone_surrogate_in_a_har_entry_rejects_that_entry(tmp_path):
    """JSON allows '\\ud800' alone; no UTF-8 text can hold it. Found by a review: the HAR
    reader ended in an internal error (exit 3) instead of rejecting the entry."""
    har = json.loads((Path(__file__).parent / "fixtures/formats/har/chromium.har").read_text())
    har["log"]["entries"][1]["request"]["url"] += "?x=\ud800"
    path = tmp_path / "capture.har"
    path.write_text(json.dumps(har))
    report = run_check([path])
    assert report.inputs.files[0].rejected == (
        ("invalid JSON string: a lone UTF-16 surrogate escape", 1),)
    assert report.inputs.rows == 18

"""Nothing is lost: mixed time zones, unsorted input, overlapping exports, mixed logs,
truncated captures, and every rejected line written out by --rejects."""

from __future__ import annotations

import json
import random
import shutil

import pytest
from conftest import CASES, REPO, run_check

from analyzer.errors import InputError
from analyzer.loading import DUPLICATE, LoadOptions, load
from analyzer.render import render_rejects

FORMATS = REPO / "tests" / "fixtures" / "formats"


def findings(report) -> list[tuple]:
    return sorted((f.rule, f.client_id, f.key, f.count) for f in report.findings)


def test_mixed_offsets_and_unsorted_rows_give_the_same_findings(tmp_path):
    lines = (CASES / "NUV-001" / "fail.csv").read_text().splitlines()
    header, rows = lines[0], lines[1:]
    shifted = []
    for row in rows:  # every other row written in New York time, the same instant
        stamp, rest = row.split(",", 1)
        if len(shifted) % 2:
            hour = int(stamp[11:13]) - 5
            stamp = f"{stamp[:11]}{hour:02d}{stamp[13:19]}-05:00"
        shifted.append(f"{stamp},{rest}")
    random.Random(4).shuffle(shifted)
    mixed = tmp_path / "mixed.csv"
    mixed.write_text("\n".join([header, *shifted]) + "\n")
    assert findings(run_check([mixed])) == findings(run_check([CASES / "NUV-001" / "fail.csv"]))


def test_overlapping_exports_are_deduplicated_by_request_id(tmp_path):
    lines = (FORMATS / "nginx" / "access.json.log").read_text().splitlines(keepends=True)
    (tmp_path / "a.json").write_text("".join(lines[:12]))
    (tmp_path / "b.json").write_text("".join(lines[8:]))  # four records in both exports
    both = run_check([tmp_path])
    whole = run_check([FORMATS / "nginx" / "access.json.log"])
    assert findings(both) == findings(whole)
    a, b = both.inputs.files
    assert (a.rows, b.rows, dict(b.skipped)) == (12, 7, {DUPLICATE: 4})
    assert b.lines == b.rows + b.rejected_total + b.skipped_total


def test_a_retry_that_reuses_its_request_id_is_not_a_duplicate(tmp_path):
    log = tmp_path / "a.csv"
    log.write_text("timestamp,operation,request_id\n2026-11-16T09:00:00Z,x,r1\n"
                   "2026-11-16T09:00:05Z,x,r1\n2026-11-16T09:00:05Z,x,r1\n")
    (stats,) = load([str(log)], LoadOptions({}, "default")).inputs.files
    assert (stats.rows, dict(stats.skipped)) == (2, {"header line": 1, DUPLICATE: 1})


def test_application_messages_in_an_access_log_are_skipped_and_counted(tmp_path):
    log = tmp_path / "mixed.log"
    access = (FORMATS / "nginx" / "access.log").read_text().splitlines()
    log.write_text("\n".join([access[0], "2026/12/04 21:36:42 [notice] 12#12: signal process "
                              "started", "", access[1], "Traceback (most recent call last):"])
                   + "\n")
    (stats,) = run_check([log]).inputs.files
    assert (stats.rows, dict(stats.skipped), stats.rejected) == (
        2, {"blank line": 1, "not a request (another kind of log line)": 2}, ())


def test_a_truncated_har_keeps_the_entries_before_the_cut(tmp_path):
    text = (FORMATS / "har" / "quirks.har").read_text(encoding="utf-8")
    cut = tmp_path / "cut.har"
    cut.write_text(text[: len(text) // 2], encoding="utf-8")
    (stats,) = run_check([cut]).inputs.files
    assert 0 < stats.rows < 19
    (reason,) = dict(stats.rejected)
    assert reason.startswith("invalid JSON") and "truncated HAR" in reason
    assert stats.lines == stats.rows + stats.rejected_total + stats.skipped_total


def test_a_broken_envelope_is_rejected_and_a_lone_response_too(tmp_path):
    log = tmp_path / "dump.log"
    log.write_text("2026-11-16T09:00:00Z request client=a\n<soap:Envelope><oops\n"
                   "2026-11-16T09:00:01Z response status=200\n"
                   '<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope">'
                   "<soap:Body><x:checkInventoryResponse xmlns:x='urn:x'/></soap:Body>"
                   "</soap:Envelope>\n")
    with pytest.raises(InputError) as caught:
        load([str(log)], LoadOptions({}, "default"))
    assert "not a well-formed SOAP envelope: 1" in caught.value.messages[0]
    assert "SOAP response without its request: 1" in caught.value.messages[0]


def test_rejects_lists_every_rejected_line_safely(tmp_path):
    shutil.copy(CASES / "NUV-001" / "fail.csv", tmp_path / "a.csv")
    with (tmp_path / "a.csv").open("a") as handle:
        for i in range(5):  # more than the three examples a report keeps per reason
            handle.write(f"not a time {i}\x1b[31m\u202e,checkInventory,acme,200\n")
    report = run_check([tmp_path / "a.csv"])
    text = render_rejects(report)
    assert text.isascii() and "\x1b" not in text
    rows = [json.loads(line) for line in text.splitlines()]
    assert len(rows) == 5 == report.inputs.files[0].rejected_total
    assert rows[0]["value"] == "not a time 0\x1b[31m\u202e"
    assert {r["reason"] for r in rows} == {
        "timestamp not ISO-8601 with offset or epoch seconds/milliseconds"}

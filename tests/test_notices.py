"""A run that judged little must say so: the notices above the findings, in every output."""

from __future__ import annotations

import json

from conftest import CASES

FAIL_001 = CASES / "NUV-001" / "fail.csv"


def renamed(tmp_path):
    """NUV-001's failing log with columns named as a BI export names them."""
    lines = FAIL_001.read_text().splitlines()
    header = lines[0].split(",")
    names = {"client_id": "customer", "part_number": "item_no", "http_status": "response_code",
             "error_code": "fault_no"}
    path = tmp_path / "export.csv"
    path.write_text("\n".join([",".join(names.get(h, h) for h in header), *lines[1:]]) + "\n")
    return path


def test_unmapped_columns_are_named_with_the_rules_that_read_them(cli, tmp_path):
    code, out, err = cli("check", str(renamed(tmp_path)), "--select", "NUV-001")
    assert (code, err) == (0, "")
    assert "  note: no file has a client_id column: every call counts as one client, " \
           "'default' (map yours under `fields:`)\n" in out
    assert "  note: no file has the columns part_number, http_status, error_code: the rules " \
           "that read them (NUV-001) cannot see what they would show" in out


def test_a_file_mostly_rejected_is_named(cli, tmp_path):
    naive = tmp_path / "naive.csv"
    naive.write_text("timestamp,operation,client_id\n" + "".join(
        f"2026-03-02T09:{m:02d}:00,checkInventory,acme\n" for m in range(20)))
    good = tmp_path / "good.csv"
    good.write_text("timestamp,operation,client_id\n2026-03-02T09:00:00Z,checkInventory,acme\n")
    code, out, err = cli("check", str(naive), str(good), "--format", "json")
    assert (code, err) == (0, "")
    assert json.loads(out)["notices"][0] == (
        f"{naive}: none of its 21 lines analysed; most for: timestamp has no UTC offset "
        f"(name the zone with --timezone) (20)")


def test_a_file_with_a_tenth_of_its_records_rejected_is_named(cli, tmp_path):
    rows = "".join(f"2026-03-02T09:{m:02d}:00Z,checkInventory,acme\n" for m in range(9))
    (tmp_path / "some.csv").write_text("timestamp,operation,client_id\n" + rows
                                       + "yesterday,checkInventory,acme\n\n\n\n")
    (tmp_path / "fewer.csv").write_text("timestamp,operation,client_id\n" + rows * 2
                                        + "yesterday,checkInventory,acme\n")
    code, out, _ = cli("check", "some.csv", "fewer.csv", "--format", "json")
    assert json.loads(out)["notices"][:-1] == [
        "some.csv: 1 of its 10 records rejected, most for: timestamp not ISO-8601 with offset "
        "or epoch seconds/milliseconds (1)"]  # blank lines are not records; 1 in 19 is noise


def test_a_file_with_nothing_but_a_header_is_named(cli, tmp_path):
    (tmp_path / "good.csv").write_text("timestamp,operation\n2026-03-02T09:00:00Z,x\n")
    (tmp_path / "header.csv").write_text("timestamp,operation\n")
    (tmp_path / "empty.csv").write_bytes(b"")
    code, out, _ = cli("check", "good.csv", "header.csv", "empty.csv", "--format", "json")
    assert json.loads(out)["notices"][:2] == [
        "empty.csv: the file is empty",
        "header.csv: none of its 1 line analysed; most for: header line (1)"]


def test_a_selection_says_what_ran(cli):
    code, out, _ = cli("check", str(FAIL_001), "--select", "NUV-001", "--format", "markdown")
    assert code == 1
    assert ("**Before you trust this result:**\n\n- only the selected rules ran (NUV-001): "
            "a client without findings is clean of these rules only\n") in out


def test_a_complete_log_has_no_notices(cli):
    code, out, _ = cli("check", str(FAIL_001), "--format", "json")
    assert (code, json.loads(out)["notices"]) == (1, [])


def test_sarif_carries_the_notices_as_notifications(cli, tmp_path):
    code, out, _ = cli("check", str(renamed(tmp_path)), "--select", "NUV-001", "--format", "sarif")
    notes = json.loads(out)["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert code == 0
    assert [n["message"]["text"][:40] for n in notes] == [
        "no file has a client_id column: every ca", "no file has the columns part_number, htt",
        "only the selected rules ran (NUV-001): a"]

"""The command line, asserting exit code and output together."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from conftest import CASES, REPO

FAIL_001 = str(CASES / "NUV-001" / "fail.csv")
PASS_001 = str(CASES / "NUV-001" / "pass.csv")
KNOWN = ", ".join(sorted(path.stem for path in (REPO / "rules").glob("*.yaml")))


def test_clean_log_exits_0(cli):
    code, out, err = cli("check", PASS_001, "--select", "NUV-001")
    assert (code, err) == (0, "")
    assert "findings: 0 critical, 0 warning, 0 info (fail on warning: PASS)" in out
    assert ("no anti-patterns: burst, busy-shop, every-15-min, many-skus, no-part-number, "
            "other-operation, retrying\n") in out


def test_info_findings_do_not_fail_the_default_gate(cli):
    code, out, err = cli("check", PASS_001)  # an order polled every 8 minutes: NUV-014, info
    assert (code, err) == (0, "")
    assert "INFO     NUV-014 order-status-polling/polling  order_id=SO52315" in out
    assert "findings: 0 critical, 0 warning, 1 info (fail on warning: PASS)" in out
    assert cli("check", PASS_001, "--fail-on", "info")[0] == 1


def test_findings_exit_1_with_the_summary(cli):
    code, out, err = cli("check", FAIL_001)
    assert (code, err) == (1, "")
    assert "CRITICAL NUV-001 inventory-polling/polling  part_number=2200-46162-025" in out
    assert "findings: 1 critical, 1 warning, 0 info (fail on warning: FAIL)" in out
    assert "how to fix: trafficlint explain NUV-001" in out


def test_fail_on_moves_the_gate(cli):
    assert cli("check", FAIL_001, "--fail-on", "never")[0] == 0
    assert cli("check", str(CASES / "NUV-003" / "fail.csv"), "--select", "NUV-003",
               "--fail-on", "critical")[0] == 1
    code, out, _ = cli("check", str(CASES / "NUV-002" / "fail.csv"), "--ignore", "NUV-002",
                       "--fail-on", "info")
    assert code == 0 and "findings: 0 critical" in out


def test_json_on_stdout_and_files_written(cli, tmp_path):
    code, out, err = cli("check", FAIL_001, "--format", "json", "--json", "out/r.json",
                         "--html", "out/r.html")
    assert (code, err) == (1, "")
    data = json.loads(out)
    assert data["summary"]["findings_by_severity"] == {"critical": 1, "warning": 1, "info": 0}
    assert data["generated_at"] == "2026-12-01T12:00:00.000Z"
    assert json.loads((tmp_path / "out" / "r.json").read_text()) == data
    html = (tmp_path / "out" / "r.html").read_text()
    assert html.startswith("<!DOCTYPE html>") and "poller-all-day" in html
    assert not list((tmp_path / "out").glob(".*.tmp")), "no temporary files left behind"


def test_missing_column_exits_2_naming_file_and_columns(cli, tmp_path):
    (tmp_path / "a.csv").write_text("when,operation\n2026-01-01T00:00:00Z,x\n")
    code, out, err = cli("check", "a.csv", "--html", "r.html")
    assert (code, out) == (2, "")
    assert err == ("trafficlint: error: a.csv: missing required column timestamp (columns found: "
                   "when, operation); name yours under `fields:` in trafficlint.yaml, e.g. "
                   "fields: {timestamp: [your_column]}\n")
    assert not (tmp_path / "r.html").exists()


def test_config_in_working_directory_is_used(cli, tmp_path):
    (tmp_path / "a.csv").write_text("when,operation\n2026-01-01T00:00:00Z,x\n")
    (tmp_path / "trafficlint.yaml").write_text("fields:\n  timestamp: [when]\n")
    assert cli("check", "a.csv")[0] == 0


def test_bad_config_exits_2(cli, tmp_path):
    (tmp_path / "trafficlint.yaml").write_text("fail_on: sometimes\n")
    code, out, err = cli("check", FAIL_001)
    assert (code, out) == (2, "")
    assert err == ("trafficlint: error: trafficlint.yaml: fail_on: expected one of: info, warning, "
                   "critical, never, got 'sometimes'\n")


def test_explicit_missing_config_exits_2(cli):
    code, _, err = cli("check", FAIL_001, "--config", "nope.yaml")
    assert (code, err) == (2, "trafficlint: error: nope.yaml: config file not found\n")


def test_bad_rules_dir_exits_2_with_every_problem(cli, tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "MY-001.yaml").write_text("id: MY-001\nname: x\n")
    code, out, err = cli("check", FAIL_001, "--rules", "mine")
    assert (code, out) == (2, "")
    assert "trafficlint: error: mine/MY-001.yaml: title: required key is missing\n" in err
    assert "trafficlint: error: mine/MY-001.yaml: detect: expected a non-empty list of detectors\n" in err


def test_unknown_selected_rule_exits_2(cli):
    code, _, err = cli("check", FAIL_001, "--select", "NUV-001,NUV-404")
    assert (code, err) == (2, "trafficlint: error: --select: select: unknown rule 'NUV-404' "
                              f"(known: {KNOWN})\n")


def test_rule_ids_are_case_insensitive_as_explain_s_are(cli):
    code, out, err = cli("check", FAIL_001, "--select", "nuv-001", "--ignore", "Nuv-002")
    assert (code, err) == (1, "")
    assert "WARNING  NUV-001 inventory-polling/polling  part_number=2200-48820-025" in out


def test_bad_timezone_exits_2(cli):
    code, _, err = cli("check", FAIL_001, "--timezone", "Nowhere/Land")
    assert (code, err) == (2, "trafficlint: error: --timezone: value: unknown time zone "
                              "'Nowhere/Land' (expected an IANA name such as Europe/London or "
                              "UTC)\n")


def test_usage_error_exits_2(cli):
    code, _, err = cli("check")
    assert code == 2 and "Missing argument 'PATHS...'" in err


def test_a_bug_exits_3_not_1(cli, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("analyzer.analysis.run", broken)
    code, out, err = cli("check", FAIL_001)
    assert (code, out) == (3, "")
    assert err.startswith("trafficlint: internal error: RuntimeError: boom\n")


def test_rules_lists_the_pack(cli):
    code, out, err = cli("rules")
    assert (code, err) == (0, "")
    assert out.splitlines()[0].split() == ["ID", "NAME", "SEVERITY", "TITLE"]
    assert "\nNUV-001  inventory-polling " in out and "\nAPI-001  resource-polling " in out
    rows = json.loads(cli("rules", "--format", "json")[1])
    assert [r["id"] for r in rows] == KNOWN.split(", ")


def test_explain_by_id_or_name_with_config_thresholds(cli, tmp_path):
    code, out, err = cli("explain", "nuv-001")
    assert (code, err) == (0, "")
    assert out.startswith("NUV-001 inventory-polling: checkInventory polled at intervals under "
                          "15 minutes\n")
    for heading in ("What it detects", "Why it matters", "Example", "How to fix it", "Thresholds"):
        assert f"\n{heading}" in out
    (tmp_path / "trafficlint.yaml").write_text("rules:\n  NUV-001:\n    params: {min_interval: 20m}\n")
    out = cli("explain", "inventory-polling")[1]
    # Thresholds are shown as the config file takes them, so they can be copied into it.
    assert "min_interval = 20m (default 15m)" in out
    assert "loop_share = 75%  [ratio]" in cli("explain", "NUV-001")[1]
    assert "min_timeout_ms = 180000  [number]" in cli("explain", "NUV-009")[1]
    assert "status_operations = [orderStatus]  [list]" in cli("explain", "NUV-014")[1]


def test_thresholds_as_reports_write_them_are_accepted_too(cli, tmp_path):
    (tmp_path / "trafficlint.yaml").write_text(
        "rules:\n  NUV-001:\n    params: {min_interval: 20 min, continuous_for: 1 h 30 min}\n")
    code, out, err = cli("explain", "NUV-001")
    assert (code, err) == (0, "")
    assert "min_interval = 20 min (default 15m)" in out
    code, out, err = cli("check", PASS_001, "--select", "NUV-001")
    assert (code, err) == (1, "")
    assert "limit: one call every 20 min" in out


def test_baseline_offers_only_the_options_it_uses(cli):
    code, out, err = cli("baseline", "--help")
    assert (code, err) == (0, "")
    out = out.split("Options:")[1]
    for used in ("--select", "--ignore", "--rules", "--config", "--profile", "--output"):
        assert used in out
    for unused in ("--fail-on", "--max-evidence", "--baseline", "--json"):
        assert unused not in out
    code, out, _ = cli("check", "--help")
    assert "--fail-on" in out and "--max-evidence" in out


def test_explain_unknown_rule_exits_2(cli):
    code, _, err = cli("explain", "NUV-999")
    assert (code, err) == (2, f"trafficlint: error: no rule 'NUV-999' (known: {KNOWN}); see "
                              "`trafficlint rules`\n")


def test_module_entry_point_and_version():
    done = subprocess.run([sys.executable, "-m", "analyzer", "--version"], capture_output=True,
                          text=True, cwd=REPO, check=False)
    assert (done.returncode, done.stdout) == (0, "trafficlint, version 0.1.0\n")



ZEEP = str(REPO / "tests" / "fixtures" / "formats" / "zeep" / "zeep-debug.log")


def test_inspect_is_a_dry_run_of_the_mapping(cli):
    code, out, err = cli("inspect", ZEEP, "--timezone", "Europe/Berlin")
    assert (code, err) == (0, "")
    assert "  format   soap\n" in out
    assert "  profile  order-api-soap (detected: 100% of the first 13 records" in out
    assert "  lines    91: 13 rows, 0 rejected, 78 skipped\n" in out
    assert "  time     2026-11-16 09:00:00 to 2026-11-16 09:21:00 UTC, 4 clients\n" in out
    assert "    purchase_order_id  soap purchaseOrderID  (2 of 13 rows)\n" in out
    data = json.loads(cli("inspect", ZEEP, "--timezone", "Europe/Berlin", "--format", "json")[1])
    (file,) = data["files"]
    assert file["fields"]["client_id"] == {"from": "soap Username", "rows": 13}


def test_inspect_shows_rejects_with_examples_and_exits_2_when_nothing_is_readable(cli):
    code, out, err = cli("inspect", ZEEP)  # naive times without --timezone
    assert (code, err) == (2, "trafficlint: error: no rows to analyse\n")
    assert "timestamp has no UTC offset (name the zone with --timezone): 13" in out
    assert "    line 2: timestamp has no UTC offset" in out
    assert cli("inspect", "nope.log")[:2] == (2, "")


def test_rejects_file_and_forced_profile(cli, tmp_path):
    (tmp_path / "a.csv").write_text("timestamp,operation\nsoon,x\n2026-11-16T09:00:00Z,y\n")
    code, out, err = cli("check", "a.csv", "--rejects", "out/rejects.ndjson",
                         "--profile", "canonical")
    assert (code, err) == (0, "")
    assert json.loads((tmp_path / "out" / "rejects.ndjson").read_text()) == {
        "file": "a.csv", "line": 2, "reason": "timestamp not ISO-8601 with offset or epoch "
        "seconds/milliseconds", "value": "soon"}


def test_unknown_profile_exits_2(cli):
    code, out, err = cli("check", FAIL_001, "--profile", "nginx-magic")
    assert (code, out) == (2, "")
    assert err.startswith("trafficlint: error: --profile: unknown profile 'nginx-magic' "
                          "(expected one of: canonical, order-api-soap, hub-rest, generic-rest")


def test_profile_in_the_config_file(cli, tmp_path):
    (tmp_path / "trafficlint.yaml").write_text("profile: mine.yaml\n")
    code, _, err = cli("check", FAIL_001)
    assert code == 2 and "trafficlint.yaml: profile: unknown profile 'mine.yaml'" in err
    (tmp_path / "mine.yaml").write_text("name: mine\ntitle: t\nsummary: s\n")
    assert cli("check", FAIL_001)[0] == 1


def test_profiles_lists_them_in_detection_order(cli):
    code, out, err = cli("profiles")
    assert (code, err) == (0, "")
    assert [line.split()[0] for line in out.splitlines()] == [
        "canonical", "order-api-soap", "hub-rest", "generic-rest"]


def test_every_output_flag_writes_its_format(cli, tmp_path):
    flags = {"--json": "r.json", "--html": "r.html", "--md": "r.md", "--sarif": "r.sarif",
             "--junit": "r.xml"}
    args = [part for flag, name in flags.items() for part in (flag, f"out/{name}")]
    code, out, err = cli("check", FAIL_001, *args)
    assert (code, err) == (1, "")
    assert "findings: 1 critical, 1 warning, 0 info (fail on warning: FAIL)" in out
    written = {p.name: p.read_text() for p in (tmp_path / "out").iterdir()}
    assert sorted(written) == sorted(flags.values())  # and no temporary files
    assert json.loads(written["r.json"])["summary"]["findings"] == 2
    assert written["r.html"].startswith("<!DOCTYPE html>")
    assert written["r.md"].startswith("## trafficlint: FAIL\n")
    assert json.loads(written["r.sarif"])["version"] == "2.1.0"
    assert written["r.xml"].startswith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites')


def test_a_report_through_a_symlink_is_written_to_its_target(cli, tmp_path):
    (tmp_path / "reports").mkdir()
    (tmp_path / "latest.json").symlink_to(tmp_path / "reports" / "2026-12-01.json")
    code, _, err = cli("check", FAIL_001, "--json", "latest.json")
    assert (code, err) == (1, "")
    assert (tmp_path / "latest.json").is_symlink()
    assert json.loads((tmp_path / "reports" / "2026-12-01.json").read_text())["summary"][
        "findings"] == 2


def test_a_report_to_a_fifo_is_written_into_it_not_replacing_it(cli, tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()), daemon=True)
    reader.start()
    code, _, err = cli("check", FAIL_001, "--json", "pipe")
    reader.join(timeout=30)
    assert (code, err) == (1, "")
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert json.loads(received[0])["summary"]["findings"] == 2


@pytest.mark.skipif(not Path("/proc/self/fd/1").exists(), reason="needs /proc")
def test_a_report_to_a_link_to_standard_output_reaches_it(tmp_path):
    (tmp_path / "so").symlink_to("/proc/self/fd/1")
    result = subprocess.run(
        [sys.executable, "-m", "analyzer", "check", FAIL_001, "--json", "so",
         "--format", "markdown"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert (result.returncode, result.stderr) == (1, "")
    assert (tmp_path / "so").is_symlink()
    assert '"schema_version": 1' in result.stdout


def test_dash_writes_a_report_to_standard_output_instead_of_the_summary(cli):
    code, out, err = cli("check", FAIL_001, "--json", "-")
    assert (code, err) == (1, "")
    assert json.loads(out)["summary"]["findings"] == 2
    code, out, err = cli("check", FAIL_001, "--json", "-", "--format", "text")
    assert (code, out) == (2, "")
    assert err == ("trafficlint: error: standard output is given for both --json - and "
                   "--format text; write one of them to a file\n")
    code, out, err = cli("check", FAIL_001, "--json", "-", "--md", "-")
    assert (code, out) == (2, "")
    assert err == ("trafficlint: error: standard output is given for both --json - and "
                   "--md -; write one of them to a file\n")


def test_github_actions_gets_annotations_by_default(cli, monkeypatch):
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    code, out, err = cli("check", FAIL_001)
    assert (code, err) == (1, "")
    first, *_ = out.splitlines()
    assert first.startswith("::error file=")
    assert f"{FAIL_001},line=" in first
    assert out.endswith("how to fix: trafficlint explain NUV-001\n")
    code, out, _ = cli("check", FAIL_001, "--format", "text")
    assert code == 1 and not out.startswith("::")


def test_format_github_and_sarif_on_stdout(cli):
    code, out, _ = cli("check", FAIL_001, "--format", "github")
    assert code == 1 and out.startswith("::error file=") and "\n::warning file=" in out
    code, out, _ = cli("check", FAIL_001, "--format", "sarif")
    assert code == 1 and len(json.loads(out)["runs"][0]["results"]) == 2


def test_one_file_for_two_outputs_exits_2_before_reading(cli, tmp_path):
    code, out, err = cli("check", "missing.csv", "--json", "r.out", "--sarif", "./r.out")
    assert (code, out) == (2, "")
    assert err == ("trafficlint: error: r.out: given for both --json and --sarif; name a file "
                   "for each output\n")
    assert not (tmp_path / "r.out").exists()


def test_one_early_call_is_not_plural(cli, tmp_path):
    lines = (CASES / "API-004" / "fail.csv").read_text().splitlines(keepends=True)
    (tmp_path / "once.csv").write_text("".join(lines[:3]))
    code, out, err = cli("check", "once.csv", "--select", "API-004")
    assert (code, err) == (1, "")
    assert "1 calls" not in out
    assert "sooner than the server asked (early calls: 1;" in out


def test_a_semicolon_separated_csv_is_named_as_such(cli, tmp_path):
    (tmp_path / "excel.csv").write_text("timestamp;operation;client_id\n"
                                        "2026-11-16T09:00:00Z;checkInventory;acme\n")
    code, out, err = cli("check", "excel.csv")
    assert (code, out) == (2, "")
    assert err == ("trafficlint: error: excel.csv: one column found, "
                   "'timestamp;operation;client_id': the file looks separated by ';'; "
                   "trafficlint reads CSV separated by ',' and TSV by tabs: export it with "
                   "commas, or convert it first\n")


def test_an_empty_log_file_is_named_empty(cli, tmp_path):
    (tmp_path / "app.log").write_bytes(b"")
    assert cli("check", "app.log") == (
        2, "", "trafficlint: error: app.log: the file is empty: no rows to analyse\n")


def test_a_missing_rules_dir_names_the_config_key(cli, tmp_path):
    (tmp_path / "trafficlint.yaml").write_text("rules_dirs: [lint-rules]\n")
    code, out, err = cli("check", FAIL_001)
    assert (code, out) == (2, "")
    assert err.startswith("trafficlint: error: trafficlint.yaml: rules_dirs[0]: ")
    assert err.endswith("lint-rules: not a directory (paths are relative to the config file)\n")


def test_a_forced_format_skips_a_folders_non_logs(cli):
    code, out, err = cli("inspect", str(REPO / "sample_logs"), "--input-format", "ndjson")
    assert (code, err) == (0, "")
    assert "generate.py" in out and "price-book.txt" in out  # listed as not logs, ignored
    assert "invalid JSON" not in out


def test_a_terminated_run_exits_143_and_leaves_no_spilled_rows(tmp_path):
    """`timeout`, `docker stop` and cancelled CI jobs send SIGTERM: the run unwinds, removing
    its spilled rows (unredacted log values), and says it was stopped (128 + 15)."""
    spill = tmp_path / "tmp"
    spill.mkdir()
    script = (
        "import os, signal, sys\n"
        "from analyzer import cli, rowstore\n"
        "rowstore.SPILL_ROWS = 0\n"
        "add = rowstore.RowStore.add\n"
        "def add_then_stop(self, *args, **kwargs):\n"
        "    add(self, *args, **kwargs)\n"
        "    if self.spilled:\n"
        "        os.kill(os.getpid(), signal.SIGTERM)\n"
        "rowstore.RowStore.add = add_then_stop\n"
        f"sys.argv = ['trafficlint', 'check', {FAIL_001!r}]\n"
        "cli.main()\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env={**os.environ, "TMPDIR": str(spill)}, cwd=tmp_path, timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (143, "", "")
    assert list(spill.iterdir()) == []


def test_a_checking_loop_is_measured_in_re_checks_an_hour(cli):
    code, out, _ = cli("check", str(CASES / "NUV-001" / "fail-loop.csv"), "--select", "NUV-001")
    assert code == 1
    assert "16 calls 2026-11-17 10:15:00 to 2026-11-17 11:00:00; measured 16 (limit: at most " \
           "11 per 1 h)" in out


def test_a_forced_format_reads_rotated_logs_of_any_name(cli, tmp_path):
    logs = tmp_path / "rot"
    logs.mkdir()
    for name in ("access.log-20261116", "api-access.2026-11-16"):
        (logs / name).write_bytes((REPO / "tests/fixtures/formats/nginx/access.log").read_bytes())
    (logs / "rotate.sh").write_text("logrotate /etc/logrotate.conf\n")
    code, out, err = cli("inspect", str(logs), "--input-format", "access-log")
    assert (code, err) == (0, "")
    assert out.count("profile  hub-rest") == 2 and "not logs, ignored: " in out


def test_rule_folders_may_hold_yml_files(cli, tmp_path):
    (tmp_path / "lint-rules").mkdir()
    rule = (REPO / "rules" / "NUV-001.yaml").read_text().replace("NUV-001", "ACME-001")
    (tmp_path / "lint-rules" / "ACME-001.yml").write_text(rule)
    (tmp_path / "trafficlint.yaml").write_text("rules_dirs: [lint-rules]\n")
    code, out, err = cli("rules")
    assert (code, err) == (0, "") and "ACME-001" in out


def test_a_signal_the_caller_ignores_stays_ignored(tmp_path):
    """nohup ignores SIGHUP: a run started that way must not die of one."""
    script = (
        "import os, signal, sys\n"
        "signal.signal(signal.SIGHUP, signal.SIG_IGN)\n"
        "from analyzer import cli, rowstore\n"
        "add = rowstore.RowStore.add\n"
        "def add_then_hang_up(self, *args, **kwargs):\n"
        "    add(self, *args, **kwargs)\n"
        "    os.kill(os.getpid(), signal.SIGHUP)\n"
        "rowstore.RowStore.add = add_then_hang_up\n"
        f"sys.argv = ['trafficlint', 'check', {FAIL_001!r}]\n"
        "cli.main()\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=tmp_path, timeout=60)
    assert (done.returncode, done.stderr) == (1, "")  # the run went on to its findings
    assert "findings: " in done.stdout

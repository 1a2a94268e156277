"""The command line, asserting exit code and output together."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import CASES, REPO

FAIL_001 = str(CASES / "NUV-001" / "fail.csv")
PASS_001 = str(CASES / "NUV-001" / "pass.csv")
KNOWN = ", ".join(sorted(path.stem for path in (REPO / "rules").glob("*.yaml")))


def test_clean_log_exits_0(cli):
    code, out, err = cli("check", PASS_001, "--select", "NUV-001")
    assert (code, err) == (0, "")
    assert "findings: 0 critical, 0 warning, 0 info (fail on warning: PASS)" in out
    assert "no anti-patterns: burst, every-15-min, many-skus, other-operation, retrying\n" in out


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

    monkeypatch.setattr("analyzer.check.run", broken)
    code, out, err = cli("check", FAIL_001)
    assert (code, out) == (3, "")
    assert err.startswith("trafficlint: internal error: RuntimeError: boom\n")


def test_rules_lists_the_pack(cli):
    code, out, err = cli("rules")
    assert (code, err) == (0, "")
    assert out.splitlines()[0].split() == ["ID", "NAME", "SEVERITY", "TITLE"]
    assert out.splitlines()[1].startswith("NUV-001  inventory-polling")
    rows = json.loads(cli("rules", "--format", "json")[1])
    assert [r["id"] for r in rows][:3] == ["NUV-001", "NUV-002", "NUV-003"]


def test_explain_by_id_or_name_with_config_thresholds(cli, tmp_path):
    code, out, err = cli("explain", "nuv-001")
    assert (code, err) == (0, "")
    assert out.startswith("NUV-001 inventory-polling: checkInventory polled at intervals under "
                          "15 minutes\n")
    for heading in ("What it detects", "Why it matters", "Example", "How to fix it", "Thresholds"):
        assert f"\n{heading}" in out
    (tmp_path / "trafficlint.yaml").write_text("rules:\n  NUV-001:\n    params: {min_interval: 20m}\n")
    assert "min_interval = 20 min (default 15 min)" in cli("explain", "inventory-polling")[1]


def test_explain_unknown_rule_exits_2(cli):
    code, _, err = cli("explain", "NUV-999")
    assert (code, err) == (2, f"trafficlint: error: no rule 'NUV-999' (known: {KNOWN}); see "
                              "`trafficlint rules`\n")


def test_module_entry_point_and_version():
    done = subprocess.run([sys.executable, "-m", "analyzer", "--version"], capture_output=True,
                          text=True, cwd=REPO, check=False)
    assert (done.returncode, done.stdout) == (0, "trafficlint, version 0.1.0\n")


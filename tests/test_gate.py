"""A CI gate teams can live with, through the command line (exit code and output together):
suppressions with reasons and expiry, baselines, the config that describes the traffic, and
short staging runs. The clock is pinned at 2026-12-01 12:00 UTC (conftest.FIXED_NOW)."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import jsonschema
import pytest
from conftest import CASES, REPO

FAIL_001 = str(CASES / "NUV-001" / "fail.csv")
PASS_001 = str(CASES / "NUV-001" / "pass.csv")
STAGING = str(REPO / "tests" / "fixtures" / "staging-20min.csv")
ALL_DAY = "part_number: 2200-46162-025"


def config(tmp_path, text: str) -> None:
    (tmp_path / "trafficlint.yaml").write_text(text)


def suppress(expires: str, client: str = "poller-all-day", key: str = ALL_DAY) -> str:
    """One entry of a `suppressions:` list."""
    return (f"  - rule: NUV-001\n"
            f"    client: {client}\n"
            f"    key: {{{key}}}\n"
            f"    reason: the vendor's health check, replaced in release 4.2 (OPS-1234)\n"
            f"    expires: {expires}\n"
            f"    owner: platform-team\n")


# --- suppressions ---------------------------------------------------------------------------

def test_suppressed_findings_are_listed_but_do_not_fail(cli, tmp_path):
    config(tmp_path, "suppressions:\n" + suppress("2027-01-31")
           + suppress("2027-01-31", "poller-hour", "part_number: 2200-48820-025"))
    code, out, err = cli("check", FAIL_001, "--select", "NUV-001")
    assert (code, err) == (0, "")
    assert ("           suppressed until 2027-01-31 by platform-team: the vendor's health "
            "check, replaced in release 4.2 (OPS-1234)\n") in out
    assert "CRITICAL NUV-001 inventory-polling/polling  part_number=2200-46162-025\n" in out
    assert "findings: 0 critical, 0 warning, 0 info; 2 suppressed (fail on warning: PASS)\n" in out
    assert "gate: 0 findings at or above warning (2 suppressed not counted)\n" in out


def test_suppression_covers_only_its_key(cli, tmp_path):
    config(tmp_path, "suppressions:\n" + suppress("2027-01-31"))
    code, out, _ = cli("check", FAIL_001, "--select", "NUV-001", "--format", "json")
    assert code == 1  # poller-hour's polling is not suppressed
    report = json.loads(out)
    by_client = {f["client_id"]: f for f in report["findings"]}
    assert by_client["poller-all-day"]["suppressed"] == {
        "reason": "the vendor's health check, replaced in release 4.2 (OPS-1234)",
        "expires": "2027-01-31", "owner": "platform-team"}
    assert (by_client["poller-all-day"]["gating"], by_client["poller-hour"]["gating"]) == (
        False, True)
    assert by_client["poller-hour"]["suppressed"] is None
    assert report["summary"]["findings_by_severity"] == {"critical": 0, "warning": 1, "info": 0}
    assert report["summary"]["suppressed"] == 1
    assert report["suppressions"][0]["state"] == "active"


def test_a_suppression_lasts_through_its_expiry_day(cli, tmp_path):
    config(tmp_path, "suppressions:\n" + suppress("2026-12-01"))
    code, out, _ = cli("check", FAIL_001, "--select", "NUV-001", "--fail-on", "critical")
    assert code == 0 and "1 suppressed" in out


def test_an_expired_suppression_is_reported_and_stops_suppressing(cli, tmp_path):
    config(tmp_path, "suppressions:\n" + suppress("2026-11-30"))
    code, out, err = cli("check", FAIL_001, "--select", "NUV-001", "--fail-on", "critical")
    assert (code, err) == (1, "")
    assert ("suppression expired 2026-11-30, no longer suppressing: NUV-001 poller-all-day "
            "part_number=2200-46162-025 (trafficlint.yaml: suppressions[0])\n") in out
    assert "findings: 1 critical, 1 warning, 0 info (fail on critical: FAIL)\n" in out
    assert "suppressed until" not in out


@pytest.mark.parametrize(("client", "select", "state"), [
    ("gone-client", "NUV-001", "matched no finding (remove it?)"),
    ("poller-all-day", "NUV-002", "not applied, its rule did not run"),
])
def test_a_suppression_that_suppresses_nothing_says_why(cli, tmp_path, client, select, state):
    config(tmp_path, "suppressions:\n" + suppress("2027-01-31", client))
    code, out, _ = cli("check", FAIL_001, "--select", select)
    assert code == (1 if select == "NUV-001" else 0)
    assert (f"suppression {state}: NUV-001 {client} part_number=2200-46162-025 "
            f"(trafficlint.yaml: suppressions[0])\n") in out


def test_suppressions_are_shown_in_html(cli, tmp_path):
    config(tmp_path, "suppressions:\n" + suppress("2027-01-31")
           + suppress("2026-11-01", "poller-hour", "part_number: 2200-48820-025"))
    code, _, _ = cli("check", FAIL_001, "--select", "NUV-001", "--html", "r.html")
    html = (tmp_path / "r.html").read_text()
    assert code == 1  # the expired one no longer covers poller-hour
    assert '<span class="badge status">suppressed</span>' in html
    assert ("Suppressed until 2027-01-31 by platform-team: the vendor&#39;s health check, "
            "replaced in release 4.2 (OPS-1234)") in html
    assert "1 active, 1 expired, 0 unused" in html


def test_a_suppression_without_reason_or_expiry_is_exit_2(cli, tmp_path):
    config(tmp_path, "suppressions:\n  - {rule: NUV-001, client: poller-all-day}\n")
    code, out, err = cli("check", FAIL_001)
    assert (code, out) == (2, "")
    assert err == (
        "trafficlint: error: trafficlint.yaml: suppressions[0].reason: required: why this is "
        "accepted for now; a suppression needs a reason\n"
        "trafficlint: error: trafficlint.yaml: suppressions[0].expires: required: the date "
        "after which the suppression stops, e.g. 2027-01-31; suppressions do not last for ever\n")


@pytest.mark.parametrize(("text", "message"), [
    ("suppressions:\n  - {rule: NUV-001, client: a, reason: r, expires: 2027-02-30}\n",
     "trafficlint.yaml:2: '2027-02-30' is not a real date or time: day is out of range for "
     "month"),
    ("maintenance:\n  - name: upgrade\n    start: 2026-13-18T02:00:00Z\n"
     "    end: 2026-11-18T04:00:00Z\n",
     "trafficlint.yaml:3: '2026-13-18T02:00:00Z' is not a real date or time: month must be in "
     "1..12"),
    # Dates in messages read as dates, not as Python's reprs.
    ("suppressions:\n  - {rule: NUV-001, client: a, reason: r, "
     "expires: 2027-02-03T00:00:00Z}\n",
     "trafficlint.yaml: suppressions[0].expires: expected a date such as 2027-01-31, got the "
     "date and time 2027-02-03T00:00:00+00:00"),
    ("maintenance:\n  - {name: upgrade, start: 2026-11-18T02:00:00, end: 2026-11-18T04:00:00Z}\n",
     "trafficlint.yaml: maintenance[0].start: needs a time and a UTC offset, e.g. "
     "2026-11-18T02:00:00Z, got 2026-11-18T02:00:00 (no offset)"),
    ("maintenance:\n  - {name: upgrade, start: 2026-11-18, end: 2026-11-18T04:00:00Z}\n",
     "trafficlint.yaml: maintenance[0].start: needs a time and a UTC offset, e.g. "
     "2026-11-18T02:00:00Z, got 2026-11-18 (a date)"),
])
def test_a_bad_date_is_named_with_its_place(cli, tmp_path, text, message):
    config(tmp_path, text)
    code, out, err = cli("check", FAIL_001)
    assert (code, out, err) == (2, "", f"trafficlint: error: {message}\n")


def test_a_client_whose_findings_are_all_suppressed_is_not_called_ok(cli, tmp_path):
    config(tmp_path, "suppressions:\n" + suppress("2027-01-31")
           + suppress("2027-01-31", "poller-hour", "part_number: 2200-48820-025"))
    code, out, err = cli("check", FAIL_001, "--select", "NUV-001", "--md", "m.md")
    assert (code, err) == (0, "")
    assert ("poller-all-day  18 calls, 0 errors  suppressed: step 2 of 4: a call from the "
            "provider's technical team\n") in out
    assert " ok: " not in out
    markdown = (tmp_path / "m.md").read_text()
    assert "| `poller-all-day` | SUPPRESSED | step 2 of 4" in markdown
    assert "| OK |" not in markdown


# --- every format honours the gate ---------------------------------------------------------

SARIF_SCHEMA = json.loads((REPO / "tests" / "data" / "sarif-schema-2.1.0.json").read_text())
CI_OUTPUTS = ("--junit", "j.xml", "--sarif", "s.sarif", "--md", "m.md", "--format", "github")


def ci_outputs(tmp_path) -> dict:
    junit = ET.fromstring((tmp_path / "j.xml").read_text())
    sarif = json.loads((tmp_path / "s.sarif").read_text())
    jsonschema.validate(sarif, SARIF_SCHEMA)
    return {"junit": junit, "results": sarif["runs"][0]["results"], "sarif": sarif,
            "md": (tmp_path / "m.md").read_text()}


def against_a_baseline_of(cli, tmp_path, recorded: str) -> tuple[int, str, dict]:
    """FAIL_001 checked, with every CI output, against a baseline recorded from `recorded`."""
    cli("baseline", recorded, "--select", "NUV-001", "-o", "base.json")
    code, out, err = cli("check", FAIL_001, "--select", "NUV-001", "--baseline", "base.json",
                         *CI_OUTPUTS)
    assert err == ""
    return code, out, ci_outputs(tmp_path)


def test_unchanged_findings_fail_no_ci_format(cli, tmp_path):
    code, out, written = against_a_baseline_of(cli, tmp_path, FAIL_001)
    assert code == 0
    assert written["junit"].get("failures") == "0"
    assert "Unchanged since the baseline" in ET.tostring(written["junit"], encoding="unicode")
    assert [r["baselineState"] for r in written["results"]] == ["unchanged", "unchanged"]
    assert written["sarif"]["runs"][0]["properties"]["summary"]["baseline"]["unchanged"] == 2
    annotations = [line for line in out.splitlines() if line.startswith("::")]
    assert len(annotations) == 2
    assert all(line.startswith("::notice ") and "unchanged since the baseline" in line
               for line in annotations)
    assert ("Baseline `base.json`: 0 new, 0 worsened, 2 unchanged, 0 fixed (of 2 recorded)."
            in written["md"])
    assert "| Status |" in written["md"] and written["md"].count("| unchanged |") == 2


def test_a_new_finding_fails_every_ci_format(cli, tmp_path):
    code, out, written = against_a_baseline_of(cli, tmp_path, PASS_001)
    assert code == 1
    assert written["junit"].get("failures") == "2"
    assert [r["baselineState"] for r in written["results"]] == ["new", "new"]
    assert [line.split(" ", 1)[0] for line in out.splitlines() if line.startswith("::")] == [
        "::error", "::warning"]
    assert written["md"].count("| new |") == 2


def test_suppressed_findings_fail_no_ci_format(cli, tmp_path):
    config(tmp_path, "suppressions:\n" + suppress("2027-01-31")
           + suppress("2027-01-31", "poller-hour", "part_number: 2200-48820-025"))
    code, out, err = cli("check", FAIL_001, "--select", "NUV-001", *CI_OUTPUTS)
    assert (code, err) == (0, "")
    written = ci_outputs(tmp_path)
    assert written["junit"].get("failures") == "0"
    assert "Suppressed until 2027-01-31 by platform-team: the vendor's health check" in \
        ET.tostring(written["junit"], encoding="unicode")
    reason = "the vendor's health check, replaced in release 4.2 (OPS-1234)"
    assert [r["suppressions"] for r in written["results"]] == [
        [{"kind": "external", "status": "accepted", "justification": reason}]] * 2
    assert all(line.startswith("::notice ") and "suppressed" in line
               for line in out.splitlines() if line.startswith("::"))
    assert "2 findings (0 critical, 0 warning, 0 info; 2 suppressed)" in written["md"]
    assert written["md"].count("| suppressed |") == 2


# --- baselines ------------------------------------------------------------------------------

def test_baseline_records_the_findings(cli, tmp_path):
    code, out, err = cli("baseline", FAIL_001, "-o", "ci/baseline.json")
    assert (code, out, err) == (0, "", "baseline: 2 findings recorded in ci/baseline.json\n")
    recorded = json.loads((tmp_path / "ci" / "baseline.json").read_text())
    assert recorded["trafficlint_baseline"] == 2
    entries = [(f["rule"], f["client_id"], f["severity"], f["count"])
               for f in recorded["findings"]]
    assert entries == [("NUV-001", "poller-all-day", "critical", 18),
                       ("NUV-001", "poller-hour", "warning", 6)]


def test_unchanged_findings_do_not_fail_against_the_baseline(cli, tmp_path):
    cli("baseline", FAIL_001, "-o", "base.json")
    code, out, err = cli("check", FAIL_001, "--baseline", "base.json")
    assert (code, err) == (0, "")
    assert "baseline base.json: 0 new, 0 worsened, 2 unchanged, 0 fixed (of 2 recorded)\n" in out
    assert "  CRITICAL NUV-001 inventory-polling/polling [unchanged]  part_number=" in out
    assert "gate: 0 findings at or above warning that are new or worse than the baseline\n" in out


FAIL_006 = str(CASES / "NUV-006" / "fail.csv")  # findings keyed on four fields
BASELINE_V1 = REPO / "tests" / "fixtures" / "baseline-v1-nuv006.json"  # written by version 1


def resaved_with_sorted_keys(source, target) -> None:
    """As `jq -S` or pre-commit's pretty-format-json would re-save it."""
    target.write_text(json.dumps(json.loads(source.read_text()), sort_keys=True, indent=2))


def test_a_baseline_re_saved_with_sorted_keys_still_matches(cli, tmp_path):
    cli("baseline", FAIL_006, "--select", "NUV-006", "-o", "base.json")
    resaved_with_sorted_keys(tmp_path / "base.json", tmp_path / "sorted.json")
    code, out, err = cli("check", FAIL_006, "--select", "NUV-006", "--baseline", "sorted.json")
    assert (code, err) == (0, "")
    assert "baseline sorted.json: 0 new, 0 worsened, 3 unchanged, 0 fixed (of 3 recorded)\n" in out


@pytest.mark.parametrize("resave", [False, True])
def test_a_version_1_baseline_is_still_read(cli, tmp_path, resave):
    if resave:
        resaved_with_sorted_keys(BASELINE_V1, tmp_path / "v1.json")
    else:
        (tmp_path / "v1.json").write_text(BASELINE_V1.read_text())
    code, out, err = cli("check", FAIL_006, "--select", "NUV-006", "--baseline", "v1.json")
    assert (code, err) == (0, "")
    assert "baseline v1.json: 0 new, 0 worsened, 3 unchanged, 0 fixed (of 3 recorded)\n" in out


def test_a_version_1_entry_edited_by_hand_is_still_refused(cli, tmp_path):
    document = json.loads(BASELINE_V1.read_text())
    document["findings"][0]["key"]["subject"] = "SO99999"
    (tmp_path / "v1.json").write_text(json.dumps(document))
    code, out, err = cli("check", FAIL_006, "--select", "NUV-006", "--baseline", "v1.json")
    assert (code, out) == (2, "")
    assert err == ("trafficlint: error: v1.json: findings[0].fingerprint: does not match its "
                   "rule, client_id and key (edited by hand? record the baseline again with "
                   "`trafficlint baseline`)\n")


def test_the_baseline_is_stable_across_input_order_and_files(cli, tmp_path):
    lines = (CASES / "NUV-001" / "fail.csv").read_text().splitlines(keepends=True)
    (tmp_path / "b.csv").write_text(lines[0] + "".join(reversed(lines[12:])))
    (tmp_path / "a.csv").write_text(lines[0] + "".join(lines[1:12]))
    cli("baseline", FAIL_001, "-o", "base.json")
    code, out, _ = cli("check", "b.csv", "a.csv", "--baseline", "base.json")
    assert code == 0 and "0 new, 0 worsened, 2 unchanged" in out
    cli("baseline", "b.csv", "a.csv", "-o", "again.json")
    assert (tmp_path / "again.json").read_bytes() == (tmp_path / "base.json").read_bytes()


def test_the_readme_shows_the_baseline_line_as_it_is_printed(cli, tmp_path):
    cli("baseline", FAIL_001, "-o", "base.json")
    printed = re.search(r"^baseline base\.json: (.*)$", cli("check", FAIL_001, "--baseline",
                                                             "base.json")[1], re.M).group(1)
    documented = re.search(r"`baseline FILE: (.*?)`", (REPO / "README.md").read_text())
    assert re.sub(r"\d+", "N", documented.group(1)) == re.sub(r"\d+", "N", printed)


def test_new_findings_fail_against_the_baseline(cli, tmp_path):
    cli("baseline", PASS_001, "--select", "NUV-001", "-o", "base.json")
    code, out, _ = cli("check", FAIL_001, "--baseline", "base.json")
    assert code == 1
    assert "baseline base.json: 2 new, 0 worsened, 0 unchanged, 0 fixed (of 0 recorded)\n" in out
    assert "  WARNING  NUV-001 inventory-polling/polling [new]  part_number=2200-48820-025\n" in out


def test_worsened_findings_fail_against_the_baseline(cli, tmp_path):
    lines = (CASES / "NUV-001" / "fail.csv").read_text().splitlines(keepends=True)
    (tmp_path / "early.csv").write_text("".join(lines[:7]))  # the first hour: a warning
    cli("baseline", "early.csv", "-o", "base.json")
    code, out, _ = cli("check", FAIL_001, "--baseline", "base.json")
    assert code == 1
    assert "1 new, 1 worsened, 0 unchanged" in out
    assert ("  CRITICAL NUV-001 inventory-polling/polling [worsened]  "
            "part_number=2200-46162-025") in out


def test_growth_within_the_tolerance_is_unchanged(cli, tmp_path):
    lines = (CASES / "NUV-001" / "fail.csv").read_text().splitlines(keepends=True)
    (tmp_path / "most.csv").write_text("".join(lines[:19] + lines[19:24]))  # poller-hour: 5 of 6
    cli("baseline", "most.csv", "-o", "base.json")
    code, out, _ = cli("check", FAIL_001, "--baseline", "base.json")
    assert code == 0 and "0 new, 0 worsened, 2 unchanged" in out
    config(tmp_path, "baseline_tolerance: 0.1\n")
    code, out, _ = cli("check", FAIL_001, "--baseline", "base.json")
    assert code == 1 and "0 new, 1 worsened, 1 unchanged" in out


def test_fixed_findings_are_reported(cli, tmp_path):
    cli("baseline", FAIL_001, "-o", "base.json")
    code, out, _ = cli("check", PASS_001, "--select", "NUV-001", "--baseline", "base.json",
                       "--json", "r.json")
    assert code == 0
    assert "baseline base.json: 0 new, 0 worsened, 0 unchanged, 2 fixed (of 2 recorded)\n" in out
    assert "  fixed: NUV-001 poller-all-day part_number=2200-46162-025\n" in out
    fixed = json.loads((tmp_path / "r.json").read_text())["baseline"]["fixed"]
    assert [(f["client_id"], f["count"]) for f in fixed] == [("poller-all-day", 18),
                                                             ("poller-hour", 6)]


def test_findings_of_rules_that_did_not_run_are_not_fixed(cli, tmp_path):
    cli("baseline", FAIL_001, "-o", "base.json")
    code, out, _ = cli("check", FAIL_001, "--baseline", "base.json", "--select", "NUV-002")
    assert code == 0 and "0 fixed (of 2 recorded)" in out


def test_the_config_names_the_baseline(cli, tmp_path):
    (tmp_path / "ci").mkdir()
    config(tmp_path, "baseline: ci/base.json\n")
    # Recording ignores the config's baseline (it may not exist yet).
    assert cli("baseline", FAIL_001, "-o", "ci/base.json")[0] == 0
    code, out, _ = cli("check", FAIL_001)
    assert code == 0 and "baseline ci/base.json: 0 new" in out.replace(str(tmp_path) + "/", "")


def test_suppressed_findings_are_not_recorded(cli, tmp_path):
    config(tmp_path, "suppressions:\n" + suppress("2027-01-31"))
    code, _, err = cli("baseline", FAIL_001, "-o", "base.json")
    assert (code, err) == (0, "baseline: 1 finding recorded in base.json (1 suppressed, not "
                              "recorded)\n")


@pytest.mark.parametrize("content, message", [
    ("{not json", "base.json:1: not valid JSON: Expecting property name enclosed in double "
                  "quotes"),
    ('{"findings": []}', "base.json: trafficlint_baseline: expected 1 or 2; not a trafficlint "
                         "baseline file (write one with `trafficlint baseline`)"),
    ('{"trafficlint_baseline": 2, "findings": {}}', "base.json: findings: expected a list"),
    ('{"trafficlint_baseline": 2, "findings": [{"fingerprint": "0000000000000000", '
     '"rule": "NUV-001", "client_id": "a", "key": {}, "severity": "warning"}]}',
     "base.json: findings[0].count: missing"),
    ('{"trafficlint_baseline": 2, "findings": [{"fingerprint": "0000000000000000", '
     '"rule": "NUV-001", "client_id": "a", "key": {}, "severity": "loud", "count": 0}]}',
     "base.json: findings[0].severity: expected info, warning or critical, got 'loud'\n"
     "trafficlint: error: base.json: findings[0].count: expected a whole number of 1 or more, "
     "got 0"),
    ('{"trafficlint_baseline": 2, "findings": [{"fingerprint": "0000000000000000", '
     '"rule": "NUV-001", "client_id": "a", "key": {}, "severity": "warning", "count": 3}]}',
     "base.json: findings[0].fingerprint: does not match its rule, client_id and key (edited "
     "by hand? record the baseline again with `trafficlint baseline`)"),
])
def test_a_bad_baseline_is_exit_2_naming_the_field(cli, tmp_path, content, message):
    (tmp_path / "base.json").write_text(content)
    code, out, err = cli("check", FAIL_001, "--baseline", "base.json")
    assert (code, out, err) == (2, "", f"trafficlint: error: {message}\n")


def test_a_missing_baseline_is_exit_2(cli):
    code, _, err = cli("check", FAIL_001, "--baseline", "nope.json")
    assert (code, err) == (2, "trafficlint: error: nope.json: baseline file not found (write "
                              "one with `trafficlint baseline LOGS -o nope.json`)\n")


# --- the config that describes the traffic ---------------------------------------------------

def test_maintenance_windows_from_the_config(cli):
    case = CASES / "NUV-010"
    code, out, _ = cli("check", str(case / "fail.csv"), "--config", str(case / "trafficlint.yaml"))
    assert code == 1
    assert "WARNING  NUV-010 maintenance-storm/storm  maintenance_window=gateway patching\n" in out
    code, out, _ = cli("check", str(case / "fail.csv"))  # no windows declared: nothing to see
    assert "NUV-010" not in out


def test_a_bad_maintenance_window_is_exit_2(cli, tmp_path):
    config(tmp_path, "maintenance:\n  - {name: patching, days: [sun], from: 23:00, to: '01:00'}\n")
    code, out, err = cli("check", FAIL_001)
    assert (code, out) == (2, "")
    assert err == ("trafficlint: error: trafficlint.yaml: maintenance[0].from: write the time in "
                   "quotes, e.g. '02:00' (YAML read it as the number 1380)\n")


def test_the_price_book_from_a_file(cli, tmp_path):
    (tmp_path / "skus.txt").write_text("2200-46162-025\n2200-48820-025\n")
    config(tmp_path, "known_skus: skus.txt\n")
    code, out, _ = cli("check", str(CASES / "NUV-016" / "fail.csv"))
    assert code == 1
    assert "WARNING  NUV-016 unlisted-products/unlisted-sku  part_number=2200-99001-010\n" in out


def test_which_environment_is_live(cli, tmp_path):
    (tmp_path / "prd.csv").write_text(
        "timestamp,client_id,environment,operation,purchase_order_id,part_number\n"
        "2026-11-18T09:00:00Z,kestrel,prd,submitOrder,TESTORDER0001,2200-46162-025\n")
    assert cli("check", "prd.csv")[0] == 0  # "prd" is not a live name by default
    config(tmp_path, "live_environments: [prd]\n")
    code, out, _ = cli("check", "prd.csv")
    assert code == 1
    assert "NUV-015 test-traffic-on-live/test-po  purchase_order_id=TESTORDER0001" in out


# --- short staging runs ---------------------------------------------------------------------

def test_a_20_minute_staging_run(cli):
    code, out, err = cli("check", STAGING, "--format", "json")
    assert (code, err) == (1, "")
    report = json.loads(out)
    flagged = {(f["client_id"], f["rule"]) for f in report["findings"]}
    # The 60-second poller is caught; so are rates that would be too high by the hour.
    assert flagged == {("poller-60s", "NUV-001"), ("erroring", "NUV-007"), ("ghost", "NUV-002")}
    spike = next(f for f in report["findings"] if f["rule"] == "NUV-007")
    assert (spike["metrics"]["count"], spike["metrics"]["rate"]) == (8, 24.0)
    assert spike["measured"] == {"value": 24.0, "text": "24", "limit": "at most 19 per 1 h"}
    clients = {c["client_id"]: c for c in report["clients"]}
    # A healthy client with an error, and a quiet one with two in three calls, are not flagged.
    assert {clients[name]["escalation"]["name"] for name in ("healthy", "quiet")} == {"none"}
    assert clients["healthy"]["projected"] and clients["healthy"]["calls_per_day"] == 576.0
    assert report["summary"]["observed_seconds"] == 1200.0


def test_a_20_minute_run_shows_its_per_day_figures_as_projected(cli):
    code, out, _ = cli("check", STAGING)
    assert code == 1
    assert ("  per day (projected): 1,512 calls, 0 errors; avoidable: 21 calls (100.0%), "
            "0 errors\n") in out


# --- the JSON contract and the provider's view -----------------------------------------------

def test_a_gated_report_matches_the_documented_schema(cli, tmp_path):
    schema = json.loads((REPO / "docs" / "report.schema.json").read_text())
    cli("baseline", PASS_001, "--select", "NUV-001", "-o", "base.json")
    config(tmp_path, "suppressions:\n" + suppress("2027-01-31") + suppress("2026-01-01", "x"))
    code, out, _ = cli("check", FAIL_001, "--baseline", "base.json", "--format", "json")
    report = json.loads(out)
    jsonschema.validate(report, schema)
    assert code == 1
    assert report["summary"]["baseline"] == {"file": "base.json", "recorded": 0, "new": 1,
                                             "worsened": 0, "unchanged": 0, "fixed": 0}
    assert report["summary"]["suppressions"] == {"active": 1, "unused": 0, "expired": 1,
                                                 "rule-not-run": 0}
    assert [f["baseline"] for f in report["findings"]] == [None, "new"]  # suppressed: no status


def test_the_escalation_config_moves_the_ladder(cli, tmp_path):
    # poller-all-day polls critically from 09:00 to 12:58: 3 h 58 min without a free hour.
    code, out, _ = cli("check", FAIL_001, "--format", "json")
    steps = {c["client_id"]: c["escalation"]["name"] for c in json.loads(out)["clients"]}
    assert steps == {"poller-all-day": "contact", "poller-hour": "query"}
    config(tmp_path, "escalation: {restriction_after: 3h, withdrawal_after: 4h}\n")
    code, out, _ = cli("check", FAIL_001)
    assert ("poller-all-day  18 calls, 0 errors  critical: step 3 of 4: a short-term "
            "blacklist\n") in out
    config(tmp_path, "escalation: {restriction_after: 3h, withdrawal_after: 3h50m}\n")
    code, out, _ = cli("check", FAIL_001)
    assert ("poller-all-day  18 calls, 0 errors  critical: step 4 of 4: loss of API "
            "access\n") in out

"""trafficlint.yaml: every key checked with a message naming file and key; overrides work."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from conftest import CASES, fixed_clock, run_check

from analyzer.check import check
from analyzer.config import KEYS, RuleOverride, load_config
from analyzer.durations import parse_duration
from analyzer.errors import ConfigError
from analyzer.rulepack import bind_for_run, builtin_rules_dir, load_rules
from analyzer.rules import FIELD_KINDS
from analyzer.schema import FIELDS_BY_NAME
from analyzer.severity import Severity

RULES = load_rules([builtin_rules_dir()])


def config_problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "trafficlint.yaml"
    path.write_text(textwrap.dedent(text))
    with pytest.raises(ConfigError) as caught:
        bind_for_run(RULES, load_config(path))
    return [m.removeprefix(f"{path}: ") for m in caught.value.messages]


@pytest.mark.parametrize("text, expected", [
    # The lists of keys and fields come from their tables, so adding one does not break this.
    ("colour: red\n", f"colour: unknown key (expected one of: {', '.join(KEYS)})"),
    ("fields: {account: [acct]}\n", "fields.account: unknown field (expected one of: "
     f"{', '.join(FIELDS_BY_NAME)})"),
    ("fields: {client_id: 3}\n", "fields.client_id: expected a column name or a list of column names"),
    ("fail_on: error\n", "fail_on: expected one of: info, warning, critical, never, got 'error'"),
    ("timezone: Mars/Olympus\n", "timezone: unknown time zone 'Mars/Olympus' (expected an IANA "
     "name such as Europe/London or UTC)"),
    ("max_evidence: 0\n", "max_evidence: expected a whole number of 1 or more, got 0"),
    ("select: [NUV-999]\n", "select: unknown rule 'NUV-999' (known: "
     f"{', '.join(sorted(r.stem for r in builtin_rules_dir().glob('*.yaml')))})"),
    ("rules: {NUV-001: {severity: loud}}\n",
     "rules.NUV-001.severity: expected one of: info, warning, critical, got 'loud'"),
    ("rules: {NUV-001: {threshold: 3}}\n",
     "rules.NUV-001.threshold: unknown key (expected one of: severity, params)"),
    ("rules: {NUV-001: {params: {min_gap: 10m}}}\n", "rules.NUV-001.params.min_gap: unknown "
     "parameter (expected one of: min_interval, min_streak, loop_rechecks, loop_share, "
     "continuous_for)"),
    ("rules: {NUV-001: {params: {min_interval: soon}}}\n", "rules.NUV-001.params.min_interval: "
     "expected a duration such as 90s, 15m, 1h30m or 7d (units ms, s, m, h, d, w), got 'soon'"),
    ("errors: {not_found_pattern: '(?=x)'}\n",
     "errors.not_found_pattern: invalid regular expression '(?=x)': look-around, "
     "including look-ahead and look-behind, is not supported"),
    ("errors: {not_found_statuses: [404, '410']}\n",
     "errors.not_found_statuses: expected a list of HTTP statuses (100-599) such as [404], got "
     "[404, '410']"),
    ("errors: {duplicate_codes: 101}\n",
     "errors.duplicate_codes: expected a list of fault codes such as [\"101\"], got 101"),
    ("errors: {not_found: [104]}\n",
     "errors.not_found: unknown key (expected one of: not_found_codes, not_found_statuses, "
     "not_found_pattern, duplicate_codes, retry_code_pattern, retry_statuses)"),
    ("rules: {NUV-002: {params: {not_found_codes: ['104']}}}\n",
     "rules.NUV-002.params.not_found_codes: unknown parameter (expected one of: repeat_count, "
     "repeat_window, stream_count, stream_window, stream_min_sample, continuous_for)"),
    ("rules: {NUV-001: {params: {min_streak: 0}}}\n",
     "rules.NUV-001.params.min_streak: expected a whole number of 1 or more, got 0"),
])
def test_config_problem_is_named(tmp_path, text, expected):
    assert config_problems(tmp_path, text) == [expected]


def test_hostile_config_yaml_is_refused(tmp_path):
    path = tmp_path / "trafficlint.yaml"
    path.write_text("fail_on: warning\nfail_on: never\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.messages == [f"{path}:2: duplicate key 'fail_on'"]


def test_threshold_override_changes_what_fires():
    near_miss = CASES / "NUV-001" / "pass.csv"
    assert run_check([near_miss], select=("NUV-001",)).findings == ()
    stricter = {"NUV-001": RuleOverride(params={"min_interval": "16m"})}
    report = run_check([near_miss], select=("NUV-001",), rules=stricter)
    assert [f.client_id for f in report.findings] == ["every-15-min"]
    assert report.findings[0].limit_text == "one call every 16 min"


def test_severity_override_pins_the_level():
    report = run_check([CASES / "NUV-001" / "fail.csv"],
                       rules={"NUV-001": RuleOverride(severity=Severity.INFO)})
    assert {f.severity.label for f in report.findings} == {"info"}
    assert report.failed is False


def test_select_and_ignore():
    fixture = CASES.parent / "fixtures" / "mixed.csv"
    assert {f.rule for f in run_check([fixture], ignore=("NUV-002",)).findings} == {
        "NUV-001", "NUV-003"}
    assert {f.rule for f in run_check([fixture], select=("NUV-002",)).findings} == {"NUV-002"}


@pytest.mark.parametrize("text, expected", [
    ("maintenance: {name: x}\n", "maintenance: expected a list of windows, each {name, start, "
     "end} or {name, days, from, to, timezone}"),
    ("maintenance: [{start: 2026-11-18T02:00:00Z, end: 2026-11-18T02:30:00Z}]\n",
     "maintenance[0].name: every window needs a name (e.g. the provider's announcement)"),
    ("maintenance: [{name: x, start: 2026-11-18T02:00:00, end: 2026-11-18T02:30:00Z}]\n",
     "maintenance[0].start: needs a time and a UTC offset, e.g. 2026-11-18T02:00:00Z, got "
     "2026-11-18T02:00:00 (no offset)"),
    ("maintenance: [{name: x, start: '2026-11-18T03:00Z', end: 2026-11-18T02:30:00Z}]\n",
     "maintenance[0].end: must be later than start"),
    ("maintenance: [{name: x, start: soon, end: 2026-11-18T02:30:00Z}]\n",
     "maintenance[0].start: expected an ISO-8601 instant with an offset, e.g. "
     "2026-11-18T02:00:00Z, got 'soon'"),
    ("maintenance: [{name: x, start: 2026-11-18T02:00:00Z, end: 2026-11-18T02:30:00Z, "
     "days: [sun]}]\n", "maintenance[0]: give either start and end (one window) or days, from "
     "and to (a recurring window), not both"),
    ("maintenance: [{name: x, days: [sunday, funday], from: '01:00', to: '02:00'}]\n",
     "maintenance[0].days: expected a list of mon, tue, wed, thu, fri, sat, sun, or one of "
     "daily, weekdays, weekends, got ['sunday', 'funday']"),
    ("maintenance: [{name: x, days: daily, from: 23:00, to: '02:00'}]\n",
     "maintenance[0].from: write the time in quotes, e.g. '02:00' (YAML read it as the number "
     "1380)"),
    ("maintenance: [{name: x, days: daily, from: '25:00', to: '02:00'}]\n",
     "maintenance[0].from: expected a time of day such as '02:00', got '25:00'"),
    ("maintenance: [{name: x, days: daily, from: '02:00', to: '02:00'}]\n",
     "maintenance[0].to: must differ from `from` (a window of no length, or of a whole day)"),
    ("maintenance: [{name: x, days: daily, from: '01:00', to: '02:00', timezone: Mars}]\n",
     "maintenance[0].timezone: unknown time zone 'Mars' (expected an IANA name such as "
     "Europe/London or UTC)"),
    ("maintenance: [{name: x, days: daily, from: '01:00', to: '02:00', every: week}]\n",
     "maintenance[0].every: unknown key (expected one of: name, start, end, days, from, to, "
     "timezone)"),
    ("known_skus: []\n", "known_skus: expected a non-empty list of part numbers, or the path of "
     "a file with one part number per line"),
    ("known_skus: price-book.txt\n", "known_skus: cannot read the SKU list {dir}/price-book.txt: "
     "No such file or directory"),
    ("live_environments: [live, 3]\n", "live_environments: expected an environment name or a "
     "list of them, e.g. [live, prod]"),
    ("baseline_tolerance: -1\n", "baseline_tolerance: expected a number of 0 or more (0.5: a "
     "finding is worsened when its count grew by more than half), got -1"),
    ("baseline: 7\n", "baseline: expected the path of a file, relative to this config file"),
    ("escalation: {restriction_after: 2d, withdrawal_after: 1d}\n",
     "escalation.withdrawal_after: must be longer than restriction_after"),
    ("escalation: {blacklist_after: 2d}\n", "escalation.blacklist_after: unknown key (expected "
     "one of: restriction_after, withdrawal_after)"),
    ("suppressions: [{rule: NUV-001, client: a, expires: 2027-01-31}]\n",
     "suppressions[0].reason: required: why this is accepted for now; a suppression needs a "
     "reason"),
    ("suppressions: [{rule: NUV-001, client: a, reason: known}]\n",
     "suppressions[0].expires: required: the date after which the suppression stops, e.g. "
     "2027-01-31; suppressions do not last for ever"),
    ("suppressions: [{rule: NUV-001, client: a, reason: known, expires: never}]\n",
     "suppressions[0].expires: expected a date such as 2027-01-31, got 'never'"),
    ("suppressions: [{rule: NUV-001, client: a, reason: known, expires: 2027-01-31, "
     "key: {sku: x}}]\n", "suppressions[0].key: unknown field 'sku' (expected one of: {fields})"),
    ("suppressions: [{rule: NUV-999, client: a, reason: known, expires: 2027-01-31}]\n",
     "suppressions[0].rule: unknown rule 'NUV-999' (known: {known})"),
    ("suppressions: [{rule: NUV-001, client: a, reason: known, expires: 2027-01-31, "
     "key: {order_id: SO52315}}]\n", "suppressions[0].key: NUV-001 findings are keyed by "
     "part_number, or by the client alone; a key of order_id matches none of them"),
    ("suppressions: [{rule: NUV-002, client: a, reason: known, expires: 2027-01-31, "
     "key: {order_id: SO1, part_number: P1}}]\n", "suppressions[0].key: NUV-002 findings are "
     "keyed by order_id, or by part_number, or by the client alone; a key of order_id and "
     "part_number matches none of them"),
    ("suppressions: [{rule: NUV-007, client: a, reason: known, expires: 2027-01-31, "
     "key: {part_number: P1}}]\n", "suppressions[0].key: NUV-007 findings are keyed by the "
     "client alone; a key of part_number matches none of them"),
    ("rules: {NUV-999: {severity: info}}\n", "rules.NUV-999: unknown rule 'NUV-999' (known: "
     "{known})"),
    ("suppressions: [{rule: NUV-001, client: a, reason: ' ', expires: 2027-01-31}]\n",
     "suppressions[0].reason: expected why this is accepted for now; a suppression needs a "
     "reason, got ' '"),
])
def test_gate_config_problem_is_named(tmp_path, text, expected):
    known = ", ".join(rule.id for rule in RULES)
    fields = ", ".join(name for name in FIELD_KINDS if name != "client_id")
    expected = (expected.replace("{dir}", str(tmp_path)).replace("{known}", known)
                .replace("{fields}", fields))
    assert config_problems(tmp_path, text) == [expected]


def test_gate_config_is_read(tmp_path):
    (tmp_path / "skus.txt").write_text("# price book\n2200-46162-025\n\n2200-48820-025  # PSU\n")
    path = tmp_path / "trafficlint.yaml"
    path.write_text(textwrap.dedent("""\
        maintenance:
          - {name: upgrade, start: 2026-11-18T02:00:00Z, end: '2026-11-18T04:30:00+02:00'}
          - {name: patching, days: weekends, from: '23:00', to: '01:30', timezone: Europe/London}
        known_skus: skus.txt
        live_environments: prd
        baseline: base/baseline.json
        baseline_tolerance: 1
        escalation: {restriction_after: 12h}
        suppressions:
          - {rule: NUV-001, client: a, key: {part_number: 2200-46162-025}, reason: fixed in 4.2,
             expires: 2027-01-31, owner: ops}
        """))
    config = load_config(path)
    upgrade, patching = config.maintenance
    assert upgrade.describe() == "2026-11-18 02:00 to 2026-11-18 02:30 UTC"
    assert patching.describe() == "sat, sun 23:00-01:30 Europe/London"
    assert config.known_skus == {"2200-46162-025", "2200-48820-025"}
    assert config.live_environments == ("prd",)
    assert config.baseline == tmp_path / "base" / "baseline.json"
    assert config.baseline_tolerance == 1.0
    assert (config.escalation.restriction_after, config.escalation.withdrawal_after) == (
        12 * 3600, 3 * 86400)
    entry, = config.suppressions
    assert (entry.rule, entry.client_id, entry.key, entry.owner, str(entry.expires)) == (
        "NUV-001", "a", (("part_number", "2200-46162-025"),), "ops", "2027-01-31")
    assert entry.where == f"{path}: suppressions[0]"


def test_a_share_may_be_written_as_a_percentage(tmp_path):
    path = tmp_path / "trafficlint.yaml"
    path.write_text("rules: {NUV-007: {params: {min_share: 35%, min_errors: 30}}}\n")
    bound = {b.rule.id: b for b in bind_for_run(RULES, load_config(path))}
    assert bound["NUV-007"].params["min_share"] == 0.35
    assert bound["NUV-007"].param_text("min_share") == "35%"
    path.write_text("rules: {NUV-007: {params: {min_share: 135%}}}\n")
    with pytest.raises(ConfigError) as caught:
        bind_for_run(RULES, load_config(path))
    assert caught.value.messages == [f"{path}: rules.NUV-007.params.min_share: expected a share "
                                     f"from 0 to 1 (or a percentage such as 20%), got '135%'"]


def test_what_not_found_means_is_declared_once_for_every_rule(tmp_path):
    """With code 104 declared as "not found", NUV-002 reports the repeated lookups and NUV-006,
    which leaves not-found answers to NUV-002, does not report them again."""
    log = tmp_path / "ghost.csv"
    log.write_text("timestamp,client_id,operation,http_status,error_code,error_message,order_id\n"
                   + "".join(f"2026-11-16T09:0{m}:00Z,ghost,orderStatus,500,104,Reference "
                             f"rejected,SO5231\n" for m in (0, 5, 9)))
    config = tmp_path / "trafficlint.yaml"
    config.write_text("errors: {not_found_codes: ['104']}\n")
    report = check([str(log)], load_config(config), clock=fixed_clock)
    assert {f.rule for f in report.findings} == {"NUV-002"}


def test_rule_ids_are_case_insensitive_in_the_config(tmp_path):
    path = tmp_path / "trafficlint.yaml"
    path.write_text("select: [nuv-001]\nignore: [nuv-002]\nrules: {nuv-001: {severity: info}}\n"
                    "suppressions: [{rule: nuv-001, client: a, reason: known, "
                    "expires: 2027-01-31}]\n")
    config = load_config(path)
    [bound] = bind_for_run(RULES, config)
    assert (bound.rule.id, bound.severity.label) == ("NUV-001", "info")
    assert config.ignore == ("NUV-002",) and config.suppressions[0].rule == "NUV-001"


@pytest.mark.parametrize(("text", "seconds"), [
    ("15m", 900), ("1h30m", 5400), ("90s", 90), ("250ms", 0.25), ("7d", 604800),
    ("15 min", 900), ("15 minutes", 900), ("1 minute", 60), ("1 h 30 min", 5400),
    ("2 hours", 7200), ("3 d", 259200), ("10 s", 10), ("1 week", 604800), ("1.5h", 5400),
])
def test_durations_as_written_and_as_reports_show_them(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["15", "soon", "15 mins ago", "m15", "", "15 lightyears", "-5m"])
def test_durations_that_are_not(text):
    with pytest.raises(ValueError, match="expected a duration such as 90s, 15m, 1h30m or 7d"):
        parse_duration(text)

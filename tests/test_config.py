"""trafficlint.yaml: every key checked with a message naming file and key; overrides work."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from analyzer.config import RuleOverride, load_config
from analyzer.errors import ConfigError
from analyzer.rulepack import bind_for_run, builtin_rules_dir, load_rules
from analyzer.severity import Severity
from conftest import CASES, run_check

RULES = load_rules([builtin_rules_dir()])


def config_problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "trafficlint.yaml"
    path.write_text(textwrap.dedent(text))
    with pytest.raises(ConfigError) as caught:
        bind_for_run(RULES, load_config(path))
    return [m.removeprefix(f"{path}: ") for m in caught.value.messages]


@pytest.mark.parametrize("text, expected", [
    ("colour: red\n", "colour: unknown key (expected one of: fields, timezone, default_client, "
     "fail_on, max_evidence, rules_dirs, select, ignore, rules)"),
    ("fields: {account: [acct]}\n", "fields.account: unknown field (expected one of: timestamp, "
     "operation, client_id, environment, http_status, error_code, error_message, part_number, "
     "order_id, purchase_order_id, latency_ms, request_id, order_status, outcome, "
     "client_timeout_ms, quantity, payload_hash)"),
    ("fields: {client_id: 3}\n", "fields.client_id: expected a column name or a list of column names"),
    ("fail_on: error\n", "fail_on: expected one of: info, warning, critical, never, got 'error'"),
    ("timezone: Mars/Olympus\n", "timezone: unknown time zone 'Mars/Olympus' (expected an IANA "
     "name such as Europe/London or UTC)"),
    ("max_evidence: 0\n", "max_evidence: expected a whole number of 1 or more, got 0"),
    ("select: [NUV-999]\n", "select: unknown rule 'NUV-999' (known: NUV-001, NUV-002, NUV-003)"),
    ("rules: {NUV-001: {severity: loud}}\n",
     "rules.NUV-001.severity: expected one of: info, warning, critical, got 'loud'"),
    ("rules: {NUV-001: {threshold: 3}}\n",
     "rules.NUV-001.threshold: unknown key (expected one of: severity, params)"),
    ("rules: {NUV-001: {params: {min_gap: 10m}}}\n", "rules.NUV-001.params.min_gap: unknown "
     "parameter (expected one of: min_interval, min_streak, continuous_for)"),
    ("rules: {NUV-001: {params: {min_interval: soon}}}\n", "rules.NUV-001.params.min_interval: "
     "expected a duration such as 90s, 15m, 1h30m or 7d (units ms, s, m, h, d, w), got 'soon'"),
    ("rules: {NUV-002: {params: {not_found_pattern: '(?=x)'}}}\n",
     "rules.NUV-002.params.not_found_pattern: invalid regular expression '(?=x)': look-around, "
     "including look-ahead and look-behind, is not supported"),
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

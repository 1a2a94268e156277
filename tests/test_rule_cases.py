"""Every rule has a case folder: `fail.*` must give exactly the findings in `expected.json`
(compared on stable fields, not wording), and `pass.*`, a near miss, must give none. A rule
with a second anti-pattern may show it in its own log, `fail-NAME.*` with `expected-NAME.json`,
so that the main fail log, which other tests use, stays as it is. A case folder may carry a
`trafficlint.yaml` for rules that read the config (maintenance windows, the price book); every
log runs with it."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import CASES, REPO, fixed_clock

from analyzer.check import check
from analyzer.config import load_config

RULE_IDS = sorted(p.stem for p in (REPO / "rules").glob("*.yaml"))
# (rule, stem of a fail log): fail, and any fail-NAME.
FAIL_LOGS = sorted({(rule_id, log.name.split(".")[0]) for rule_id in RULE_IDS
                    for log in (CASES / rule_id).glob("fail*.*")})
STABLE = ("rule", "check", "severity", "client_id", "key", "count", "first_seen", "last_seen")


def _log(rule_id: str, stem: str) -> Path:
    found = sorted(p for p in (CASES / rule_id).glob(f"{stem}.*"))
    assert found, f"tests/cases/{rule_id}/ needs a {stem}.* log"
    return found[0]


def run_case(rule_id: str, stem: str, only_its_rule: bool = True) -> dict:
    config_file = CASES / rule_id / "trafficlint.yaml"
    config = load_config(config_file if config_file.exists() else None)
    if only_its_rule:
        config = replace(config, select=(rule_id,))
    return check([str(_log(rule_id, stem))], config, clock=fixed_clock).to_dict()


def _stable(finding: dict) -> dict:
    picked = {name: finding[name] for name in STABLE}
    picked["evidence_lines"] = [e["line"] for e in finding["evidence"]]
    return picked


@pytest.mark.parametrize(("rule_id", "stem"), FAIL_LOGS)
def test_fail_log_gives_expected_findings(rule_id, stem):
    report = run_case(rule_id, stem)
    assert report["summary"]["rows_rejected"] == 0, "case logs must be fully analysed"
    actual = [_stable(f) for f in report["findings"]]
    expected_path = CASES / rule_id / (stem.replace("fail", "expected", 1) + ".json")
    if os.environ.get("UPDATE_GOLDEN") == "1":
        expected_path.write_text(json.dumps(actual, indent=2) + "\n")
    assert actual, f"{rule_id} did not fire on its fail log"
    assert actual == json.loads(expected_path.read_text())


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_near_miss_gives_nothing(rule_id):
    report = run_case(rule_id, "pass")
    assert report["summary"]["rows_rejected"] == 0
    assert report["findings"] == []


@pytest.mark.parametrize(("rule_id", "stem"), FAIL_LOGS)
def test_fail_log_fires_only_its_own_rule(rule_id, stem):
    """A case log shows one anti-pattern, so the rule it is for is the only one to fire."""
    report = run_case(rule_id, stem, only_its_rule=False)
    assert {f["rule"] for f in report["findings"]} == {rule_id}

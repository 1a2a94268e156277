"""Every rule has a case folder: `fail.*` must give exactly the findings in `expected.json`
(compared on stable fields, not wording), and `pass.*`, a near miss, must give none."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from conftest import CASES, REPO, run_check

RULE_IDS = sorted(p.stem for p in (REPO / "rules").glob("*.yaml"))
STABLE = ("rule", "check", "severity", "client_id", "key", "count", "first_seen", "last_seen")


def _log(rule_id: str, stem: str) -> Path:
    found = sorted((CASES / rule_id).glob(f"{stem}.*"))
    assert found, f"tests/cases/{rule_id}/ needs a {stem}.* log"
    return found[0]


def _stable(finding: dict) -> dict:
    picked = {name: finding[name] for name in STABLE}
    picked["evidence_lines"] = [e["line"] for e in finding["evidence"]]
    return picked


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_fail_log_gives_expected_findings(rule_id):
    report = run_check([_log(rule_id, "fail")], select=(rule_id,)).to_dict()
    assert report["summary"]["rows_rejected"] == 0, "case logs must be fully analysed"
    actual = [_stable(f) for f in report["findings"]]
    expected_path = CASES / rule_id / "expected.json"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        expected_path.write_text(json.dumps(actual, indent=2) + "\n")
    assert actual, f"{rule_id} did not fire on its fail log"
    assert actual == json.loads(expected_path.read_text())


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_near_miss_gives_nothing(rule_id):
    report = run_check([_log(rule_id, "pass")], select=(rule_id,)).to_dict()
    assert report["summary"]["rows_rejected"] == 0
    assert report["findings"] == []


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_fail_log_fires_only_its_own_rule(rule_id):
    """A case log shows one anti-pattern, so the rule it is for is the only one to fire."""
    report = run_check([_log(rule_id, "fail")]).to_dict()
    assert {f["rule"] for f in report["findings"]} == {rule_id}

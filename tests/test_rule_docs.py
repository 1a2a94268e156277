"""Every rule documents itself: what, why (in the provider's words), example, fix, and a doc line
for every threshold. `trafficlint explain` and the HTML report are built from these fields."""

from __future__ import annotations

import pytest

from analyzer.rulepack import builtin_rules_dir, load_rules

RULES = load_rules([builtin_rules_dir()])


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_rule_is_documented(rule):
    for section in (rule.title, rule.summary, rule.rationale, rule.example, rule.fix):
        assert len(section.split()) >= 3
    assert '"' in rule.rationale, "quote the provider's own words"
    assert rule.references and all(r.startswith("https://") for r in rule.references)
    for param in rule.params:
        assert param.doc, f"{param.name} needs a doc line"


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_every_rule_has_a_case_folder(rule):
    from conftest import CASES

    folder = CASES / rule.id
    assert any(folder.glob("fail.*")) and any(folder.glob("pass.*")), f"tests/cases/{rule.id}/"
    assert (folder / "expected.json").exists()

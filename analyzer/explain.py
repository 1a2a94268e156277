"""`trafficlint rules` and `trafficlint explain`: the rule pack's own documentation, built from
the rule files themselves so it cannot drift from what runs."""

from __future__ import annotations

import json
import textwrap
from typing import Any

from analyzer.config import Config
from analyzer.errors import TrafficlintError
from analyzer.rulepack import bind_for_run
from analyzer.rules import Rule


def rules_table(rules: list[Rule], fmt: str) -> str:
    if fmt == "json":
        rows = [{"id": r.id, "name": r.name, "severity": r.severity.label, "title": r.title,
                 "tags": list(r.tags)} for r in rules]
        return json.dumps(rows, indent=2) + "\n"
    width = max(len(r.name) for r in rules)
    lines = [f"{'ID':<8} {'NAME':<{width}} {'SEVERITY':<8} TITLE"]
    lines += [f"{r.id:<8} {r.name:<{width}} {r.severity.label:<8} {r.title}" for r in rules]
    return "\n".join(lines) + "\n"


def explain_text(rules: list[Rule], wanted: str, config: Config) -> str:
    rule = next((r for r in rules if wanted.upper() == r.id or wanted == r.name), None)
    if rule is None:
        known = ", ".join(r.id for r in rules)
        raise TrafficlintError(f"no rule {wanted!r} (known: {known}); see `trafficlint rules`")
    bound = bind_for_run(rules, Config(rules=config.rules, origin=config.origin,
                                       source=config.source))
    current = next(b for b in bound if b.rule.id == rule.id)
    sections = [
        f"{rule.id} {rule.name}: {rule.title}",
        f"Default severity: {rule.severity.label}"
        + (f" (this config: {current.severity.label})" if current.severity != rule.severity else ""),
        _section("What it detects", rule.summary),
        _section("Why it matters", rule.rationale),
        _section("Example", rule.example, wrap=False),
        _section("How to fix it", rule.fix, wrap=False),
    ]
    if rule.params:
        sections.append("Thresholds (override under rules." + rule.id + ".params in trafficlint.yaml)")
        for param in rule.params:
            value = config_value(param.type, current.params[param.name])
            default = config_value(param.type, param.default)
            note = "" if value == default else f" (default {default})"
            sections.append(f"  {param.name} = {value}{note}  [{param.type}]\n"
                            + textwrap.indent(textwrap.fill(param.doc, 84), "      "))
    if rule.references:
        sections.append(_section("References", "\n".join(rule.references), wrap=False))
    return "\n\n".join(sections) + "\n"


def config_value(kind: str, value: Any) -> str:
    """A parameter value as the config file takes it, so that it can be copied there:
    durations as written (15m), shares as percentages, lists in YAML's brackets."""
    if kind == "list":
        return "[" + ", ".join(str(v) for v in value) + "]"
    if kind == "ratio":
        return f"{value * 100:g}%"
    if kind == "number":
        return str(int(value)) if float(value).is_integer() else str(value)
    return str(value)


def _section(title: str, body: str, wrap: bool = True) -> str:
    text = textwrap.fill(body, 88) if wrap else body.rstrip()
    return f"{title}\n{textwrap.indent(text, '  ')}"

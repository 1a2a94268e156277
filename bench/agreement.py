"""What the reference is given, and the check that trafficlint and the reference found the same.

Findings are compared on rule, check, client, key, count, severity, first and last call exactly,
and on every measurement to a millionth (medians of the same gaps may differ in the last bit
between Polars and DuckDB). Evidence lines are not compared: the reference has no line numbers.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from analyzer.durations import parse_duration
from analyzer.error_meanings import ErrorMeanings
from analyzer.rulepack import builtin_rules_dir, load_rules

POLICY_RULES = ("NUV-001", "NUV-002", "NUV-003")
EXACT = ("count", "severity", "first_seen", "last_seen")
SHOWN = 10  # differences listed when the two disagree


class Disagreement(Exception):
    """trafficlint and the reference did not find the same; the message says where."""


def reference_parameters() -> dict[str, Any]:
    """The rule pack's default parameters, and the default meanings of the provider's answers
    (the config's `errors:`), as bench/reference.sql's variables."""
    rules = {rule.id: rule for rule in load_rules([builtin_rules_dir()])}
    missing = [rule_id for rule_id in POLICY_RULES if rule_id not in rules]
    if missing:
        raise Disagreement(f"the rule pack has no {', '.join(missing)}; the reference models "
                           f"exactly {', '.join(POLICY_RULES)}")
    polling, missing_ids, duplicates = (rules[i].param_defaults() for i in POLICY_RULES)
    answers = ErrorMeanings()
    return {
        "variables": {
            "polling_short_gap_ms": _ms(polling["min_interval"]),
            "polling_min_streak": polling["min_streak"],
            "polling_critical_span_s": parse_duration(polling["continuous_for"]),
            "loop_rechecks": polling["loop_rechecks"],
            "loop_share": polling["loop_share"],
            "not_found_codes": list(answers.not_found_codes),
            "not_found_statuses": list(answers.not_found_statuses),
            "not_found_pattern": answers.not_found_pattern,
            "repeat_count": missing_ids["repeat_count"],
            "repeat_window_ms": _ms(missing_ids["repeat_window"]),
            "stream_count": missing_ids["stream_count"],
            "stream_window_ms": _ms(missing_ids["stream_window"]),
            "missing_critical_sustained_s": parse_duration(missing_ids["continuous_for"]),
            "duplicate_codes": list(answers.duplicate_codes),
            "loop_count": duplicates["loop_count"],
            "min_repeats": duplicates["min_repeats"],
        },
        "severity": {rule_id: rules[rule_id].severity.label for rule_id in POLICY_RULES},
    }


def _ms(duration: str) -> int:
    return round(parse_duration(duration) * 1000)


def from_report(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    """trafficlint's JSON findings in the reference's shape."""
    return [
        {"rule": f["rule"], "check": f["check"], "client_id": f["client_id"], "key": f["key"],
         "count": f["count"], "severity": f["severity"], "first_seen": f["first_seen"],
         "last_seen": f["last_seen"], "metrics": f["metrics"]}
        for f in report["findings"]
    ]


def identity(finding: Mapping[str, Any]) -> tuple:
    return (finding["rule"], finding["check"], finding["client_id"],
            tuple(sorted((k, v or "") for k, v in finding["key"].items())))


def compare(ours: Iterable[Mapping], reference: Iterable[Mapping],
            labels: tuple[str, str] = ("trafficlint", "reference")) -> int:
    """Raise Disagreement listing the differences; return the number of findings that agree."""
    mine, theirs = _by_identity(ours, labels[0]), _by_identity(reference, labels[1])
    problems = [f"only {labels[0]} found {_show(k)}" for k in sorted(mine.keys() - theirs.keys())]
    problems += [f"only {labels[1]} found {_show(k)}" for k in sorted(theirs.keys() - mine.keys())]
    for key in sorted(mine.keys() & theirs.keys()):
        problems += [f"{_show(key)}: {d}" for d in _differences(mine[key], theirs[key], labels)]
    if problems:
        listed = "\n  ".join(problems[:SHOWN])
        more = f"\n  ... and {len(problems) - SHOWN} more" if len(problems) > SHOWN else ""
        raise Disagreement(f"{labels[0]} and {labels[1]} disagree ({len(problems)} "
                           f"differences, {len(mine)} vs {len(theirs)} findings):\n  "
                           f"{listed}{more}")
    return len(mine)


def _by_identity(findings: Iterable[Mapping], label: str) -> dict[tuple, Mapping]:
    indexed: dict[tuple, Mapping] = {}
    for finding in findings:
        key = identity(finding)
        if key in indexed:
            raise Disagreement(f"{label} reported {_show(key)} twice")
        indexed[key] = finding
    return indexed


def _differences(a: Mapping, b: Mapping, labels: tuple[str, str]) -> list[str]:
    found = [f"{name} {a[name]!r} ({labels[0]}) vs {b[name]!r} ({labels[1]})"
             for name in EXACT if a[name] != b[name]]
    for name in sorted(a["metrics"].keys() | b["metrics"].keys()):
        x, y = a["metrics"].get(name), b["metrics"].get(name)
        if not _close(x, y):
            found.append(f"metric {name} {x!r} ({labels[0]}) vs {y!r} ({labels[1]})")
    return found


def _close(x: Any, y: Any) -> bool:
    if x is None or y is None:
        return x is None and y is None
    return math.isclose(float(x), float(y), rel_tol=1e-6, abs_tol=1e-6)


def _show(key: tuple) -> str:
    rule, check, client, fields = key
    shown = ", ".join(f"{k}={v}" for k, v in fields) or "the client"
    return f"{rule}/{check} {client} {shown}"

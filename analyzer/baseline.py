"""Baselines: the findings a team has today, recorded so that a CI gate fails only on new or
worsened findings, and reports the ones that have been fixed.

A finding is recognised across runs by its fingerprint (rule, client and key; stable across
runs, input order and the order of the key's fields). It is worsened when its severity rose,
or its count grew by more than `baseline_tolerance` of the recorded count. Suppressed findings
are not recorded: their suppression accounts for them until it expires.

Version 1 files hashed the key in the order the rule lists its fields, so re-saving one with
sorted keys (jq -S) broke it; they are still read, checked against that order, and their
entries carry the current fingerprint from then on.

    {"trafficlint_baseline": 2,
     "findings": [{"fingerprint": "…", "rule": "NUV-001", "client_id": "…",
                   "key": {"part_number": "…"}, "severity": "warning", "count": 18}]}
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from analyzer.engine import fingerprint
from analyzer.errors import InputError
from analyzer.model import BaselineComparison, BaselineEntry, Finding
from analyzer.render import json_text
from analyzer.severity import Severity

FORMAT = "trafficlint_baseline"
VERSION = 2
READABLE = (1, 2)
# Per rule, the orders of key fields its detectors list (besides client_id): version 1 hashed
# keys in that order.
KeyOrders = Mapping[str, list[tuple[str, ...]]]
ENTRY_FIELDS = ("fingerprint", "rule", "client_id", "key", "severity", "count")


def entry_of(finding: Finding) -> BaselineEntry:
    return BaselineEntry(finding.fingerprint, finding.rule, finding.client_id, finding.key,
                         finding.severity, finding.count)


def baseline_text(findings: Iterable[Finding]) -> str:
    """The baseline file for these findings: sorted, so re-recording unchanged traffic gives
    the same bytes and a reviewable diff otherwise."""
    entries = sorted((entry_of(f) for f in findings if f.suppressed is None),
                     key=lambda e: (e.rule, e.client_id, json.dumps(e.key), e.fingerprint))
    document = {FORMAT: VERSION, "findings": [e.to_dict() for e in entries]}
    return json_text(document)


def read_baseline(path: Path, key_orders: KeyOrders | None = None) -> tuple[BaselineEntry, ...]:
    """Read and check a baseline file; any problem is exit 2 naming the file and the field.
    `key_orders` lets version 1 files whose keys were re-sorted be checked."""
    where = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{where}: baseline file not found (write one with `trafficlint "
                         f"baseline LOGS -o {where}`)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{where}: cannot read the baseline: {exc}") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{where}:{exc.lineno}: not valid JSON: {exc.msg}") from None
    except RecursionError:
        raise InputError(f"{where}: not a trafficlint baseline: JSON nested too deeply") from None
    version = document.get(FORMAT) if isinstance(document, dict) else None
    if version not in READABLE or isinstance(version, bool):
        raise InputError(f"{where}: {FORMAT}: expected {' or '.join(map(str, sorted(READABLE)))}; "
                         f"not a trafficlint baseline "
                         f"file (write one with `trafficlint baseline`)")
    findings = document.get("findings")
    if not isinstance(findings, list):
        raise InputError(f"{where}: findings: expected a list")
    problems: list[str] = []
    orders = key_orders or {}
    entries = [_entry(item, f"{where}: findings[{i}]", problems, version, orders)
               for i, item in enumerate(findings)]
    if problems:
        raise InputError(problems)
    return tuple(e for e in entries if e is not None)


def _entry(item: Any, where: str, problems: list[str], version: int,
           key_orders: KeyOrders) -> BaselineEntry | None:
    if not isinstance(item, dict):
        problems.append(f"{where}: expected an object with {', '.join(ENTRY_FIELDS)}")
        return None
    before = len(problems)
    for name in item:
        if name not in ENTRY_FIELDS:
            problems.append(f"{where}.{name}: unknown field (expected: {', '.join(ENTRY_FIELDS)})")
    for name in ENTRY_FIELDS:
        if name not in item:
            problems.append(f"{where}.{name}: missing")
    if len(problems) > before:
        return None
    checks = (
        ("rule", isinstance(item["rule"], str) and item["rule"], "a rule id"),
        ("client_id", isinstance(item["client_id"], str), "a client id"),
        ("key", isinstance(item["key"], dict) and all(
            isinstance(v, str) or v is None for v in item["key"].values()),
         "an object of field -> text or null"),
        ("severity", item["severity"] in [s.label for s in Severity], "info, warning or critical"),
        ("count", isinstance(item["count"], int) and not isinstance(item["count"], bool)
         and item["count"] >= 1, "a whole number of 1 or more"),
    )
    for name, ok, expected in checks:
        if not ok:
            problems.append(f"{where}.{name}: expected {expected}, got {item[name]!r}")
    if len(problems) > before:
        return None
    key = tuple(item["key"].items())
    if not _recorded_as(item, key, version, key_orders):
        problems.append(f"{where}.fingerprint: does not match its rule, client_id and key "
                        f"(edited by hand? record the baseline again with `trafficlint baseline`)")
        return None
    return BaselineEntry(fingerprint(item["rule"], item["client_id"], key), item["rule"],
                         item["client_id"], key, Severity.parse(item["severity"]), item["count"])


def _recorded_as(item: dict, key: tuple, version: int, key_orders: KeyOrders) -> bool:
    """Whether the entry's fingerprint is the one its rule, client and key give."""
    if version == VERSION:
        return item["fingerprint"] == fingerprint(item["rule"], item["client_id"], key)
    values = dict(key)
    orders = [tuple(values), *(order for order in key_orders.get(item["rule"], ())
                               if sorted(order) == sorted(values))]
    return any(item["fingerprint"] == _fingerprint_v1(item["rule"], item["client_id"],
                                                      [(name, values[name]) for name in order])
               for order in orders)


def _fingerprint_v1(rule: str, client_id: str, key: list[tuple[str, str | None]]) -> str:
    """Version 1's fingerprint: the key's fields in the order the rule lists them."""
    text = json.dumps([rule, client_id, [list(pair) for pair in key]], separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def compare(findings: list[Finding], entries: tuple[BaselineEntry, ...], tolerance: float,
            rules_run: set[str], file: str) -> tuple[list[Finding], BaselineComparison]:
    """Mark each unsuppressed finding new, worsened or unchanged; list the recorded findings
    of rules that ran and are gone."""
    recorded = {entry.fingerprint: entry for entry in entries}
    marked, counts = [], {"new": 0, "worsened": 0, "unchanged": 0}
    for finding in findings:
        if finding.suppressed is None:
            status = _status(finding, recorded.get(finding.fingerprint), tolerance)
            counts[status] += 1
            finding = replace(finding, baseline=status)
        marked.append(finding)
    present = {f.fingerprint for f in findings}
    fixed = tuple(e for e in entries if e.fingerprint not in present and e.rule in rules_run)
    return marked, BaselineComparison(file, len(entries), fixed=fixed, **counts)


def _status(finding: Finding, recorded: BaselineEntry | None, tolerance: float) -> str:
    if recorded is None:
        return "new"
    if finding.severity > recorded.severity or finding.count > recorded.count * (1 + tolerance):
        return "worsened"
    return "unchanged"

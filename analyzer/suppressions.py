"""Suppressions: findings a team accepts for now, each naming a rule, a client and optionally a
key, with a reason and an expiry date. A suppressed finding is still reported (as suppressed)
but does not fail the run; once its expiry date has passed the entry is reported as expired
and stops suppressing. Expiry is judged against the report's clock, never the wall clock, so
the same input and clock give the same report.

    suppressions:
      - rule: NUV-001
        client: deltaware-poller
        key: {part_number: 2200-46162-025}   # optional: without it, every key of the client
        reason: vendor health check, fixed in release 4.2 (OPS-1234)
        expires: 2027-01-31                  # suppresses through this day (UTC)
        owner: platform-team                 # optional
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from analyzer.model import Finding, SuppressionEntry, SuppressionStatus
from analyzer.rules import FIELD_KINDS

KEYS = ("rule", "client", "key", "reason", "expires", "owner")

Fail = Callable[[str, str], None]


def matches(entry: SuppressionEntry, finding: Finding) -> bool:
    values = dict(finding.key)
    return (finding.rule == entry.rule and finding.client_id == entry.client_id
            and all(values.get(name) == value for name, value in entry.key))


def expired(entry: SuppressionEntry, now: datetime) -> bool:
    return now.date() > entry.expires


def parse_suppressions(value: Any, key: str, source: str,
                       fail: Fail) -> tuple[SuppressionEntry, ...]:
    if not isinstance(value, list):
        fail(key, "expected a list of {rule, client, key, reason, expires}")
        return ()
    entries = []
    for index, spec in enumerate(value):
        entry = _entry(spec, f"{key}[{index}]", source, fail)
        if entry is not None:
            entries.append(entry)
    return tuple(entries)


def _entry(spec: Any, key: str, source: str, fail: Fail) -> SuppressionEntry | None:
    if not isinstance(spec, Mapping):
        fail(key, "expected a mapping with rule, client, reason and expires")
        return None
    problems: list[str] = []

    def problem(sub: str, message: str) -> None:
        problems.append(sub)
        fail(f"{key}.{sub}", message)

    for extra in spec:
        if extra not in KEYS:
            problem(str(extra), f"unknown key (expected one of: {', '.join(KEYS)})")
    text = {}
    for name, why in (("rule", "a rule id such as NUV-001"),
                      ("client", "the client_id the finding is about"),
                      ("reason", "why this is accepted for now; a suppression needs a reason")):
        text[name] = spec.get(name)
        if not isinstance(text[name], str) or not text[name].strip():
            problem(name, f"required: {why}" if name not in spec else f"expected {why}, got "
                                                                      f"{text[name]!r}")
    owner = spec.get("owner")
    if owner is not None and (not isinstance(owner, str) or not owner.strip()):
        problem("owner", f"expected the name of a person or team, got {owner!r}")
    expires = _expiry(spec.get("expires"), "expires" in spec, lambda m: problem("expires", m))
    pairs = _key(spec.get("key", {}), lambda m: problem("key", m))
    if problems or expires is None:
        return None
    rule = text["rule"].strip().upper()  # rule ids are case-insensitive, as in explain
    return SuppressionEntry(rule, text["client"], pairs, text["reason"].strip(), expires,
                            owner.strip() if owner else None, f"{source}: {key}")


def _expiry(value: Any, given: bool, fail: Callable[[str], None]) -> date | None:
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            pass
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not given:
        fail("required: the date after which the suppression stops, e.g. 2027-01-31; "
             "suppressions do not last for ever")
    elif isinstance(value, datetime):
        fail(f"expected a date such as 2027-01-31, got the date and time {value.isoformat()}")
    else:
        fail(f"expected a date such as 2027-01-31, got {value!r}")
    return None


def _key(value: Any, fail: Callable[[str], None]) -> tuple[tuple[str, str], ...]:
    fields = [name for name in FIELD_KINDS if name != "client_id"]
    if not isinstance(value, Mapping):
        fail(f"expected a mapping of field -> value, e.g. {{part_number: 2200-46162-025}}, "
             f"got {value!r}")
        return ()
    pairs = []
    for name, raw in value.items():
        if name not in fields:
            fail(f"unknown field {name!r} (expected one of: {', '.join(fields)})")
        elif isinstance(raw, bool) or not isinstance(raw, str | int):
            fail(f"{name}: expected the key's value as text, got {raw!r}")
        else:
            pairs.append((str(name), str(raw)))
    return tuple(sorted(pairs))


def apply(findings: Iterable[Finding], entries: tuple[SuppressionEntry, ...], now: datetime,
          rules_run: set[str]) -> tuple[list[Finding], tuple[SuppressionStatus, ...]]:
    """Mark the findings each live entry suppresses; say what became of every entry."""
    matched = [0] * len(entries)
    marked = []
    for finding in findings:
        hits = [i for i, entry in enumerate(entries) if matches(entry, finding)]
        for i in hits:
            matched[i] += 1
        live = next((entries[i] for i in hits if not expired(entries[i], now)), None)
        marked.append(replace(finding, suppressed=live) if live is not None else finding)
    statuses = tuple(_status(entry, matched[i], now, rules_run) for i, entry in enumerate(entries))
    return marked, statuses


def _status(entry: SuppressionEntry, matched: int, now: datetime,
            rules_run: set[str]) -> SuppressionStatus:
    if expired(entry, now):
        state = "expired"
    elif entry.rule not in rules_run:
        state = "rule-not-run"
    else:
        state = "active" if matched else "unused"
    return SuppressionStatus(entry, state, matched)

"""Rule files: one YAML document per rule under `rules/`, validated completely when loaded.

Every problem in every file is collected and reported together, each naming the file and the
key path (`rules/NUV-002.yaml: detect[0].where.operation.eq: ...`). A rule's parameters are
declared in the rule with a type, a default and a doc line; detector options refer to them as
`$name`, and the config file may override them, so a threshold lives in exactly one place.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from analyzer.conditions import BOOLEAN, INTEGER, NUMBER, RATIO, TEXT, check_regex, coerce_scalar
from analyzer.detectors import KINDS
from analyzer.durations import format_duration, parse_duration
from analyzer.model import NO_VALUE
from analyzer.safe_yaml import load_yaml_file
from analyzer.schema import DERIVED, FIELDS
from analyzer.severity import LEVELS, Severity

ID_PATTERN = re.compile(r"^[A-Z][A-Z0-9]*-\d{3}$")
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
PARAM_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")

# Rule file keys: name -> (required, doc). Drives validation and `trafficlint explain`.
RULE_KEYS: dict[str, tuple[bool, str]] = {
    "id": (True, "stable code, also the file name (NUV-001)"),
    "name": (True, "kebab-case slug shown next to the code"),
    "title": (True, "one line: the anti-pattern"),
    "severity": (True, f"default level: {', '.join(LEVELS)}"),
    "tags": (False, "list of words for grouping"),
    "summary": (True, "what it detects"),
    "rationale": (True, "why it matters, in the provider's words"),
    "example": (True, "the traffic that triggers it"),
    "fix": (True, "what to change in the client"),
    "references": (False, "links to the provider's documentation"),
    "params": (False, "tunable thresholds: name -> {type, default, doc}"),
    "where": (False, "condition every detector's rows must also meet"),
    "detect": (True, "list of detectors"),
}
DETECTOR_KEYS: dict[str, tuple[bool, str]] = {
    "name": (True, "kebab-case name of the detector, unique in the rule"),
    "kind": (True, f"one of: {', '.join(KINDS)}"),
    "where": (False, "condition selecting the rows this detector looks at"),
    "key": (True, "fields a finding is about; must include client_id"),
    "message": (True, "finding text; {placeholders} name key fields, metrics and params"),
    "critical_if": (False, "condition on the metrics that raises the finding to critical"),
    "only_if": (False, "condition on the metrics a group must meet to be a finding at all"),
    "measure": (False, "the metric a finding shows as measured against its limit (default: "
                       "the kind's)"),
}
PARAM_KEYS = ("type", "default", "doc")
PARAM_TYPES = ("duration", "count", "number", "ratio", "text", "regex", "list")

_KIND_OF_DTYPE = {pl.Int32: INTEGER, pl.Float64: NUMBER, pl.Boolean: BOOLEAN}
FIELD_KINDS = {
    f.name: _KIND_OF_DTYPE.get(f.dtype, TEXT)  # type: ignore[call-overload]
    for f in (*FIELDS, *DERIVED) if f.name != "timestamp"
}


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    default: Any
    doc: str


@dataclass(frozen=True)
class Rule:
    """A rule as written: documentation, parameters, and unbound detector specs."""

    id: str
    name: str
    title: str
    severity: Severity
    summary: str
    rationale: str
    example: str
    fix: str
    path: str
    tags: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    params: tuple[Param, ...] = ()
    where: Any = None
    detect: tuple[Mapping[str, Any], ...] = ()

    def param_defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}

    def finding_keys(self) -> list[tuple[str, ...]]:
        """The key fields of its findings besides the client, one tuple per detector."""
        keys = [tuple(k for k in spec.get("key") or () if k != "client_id") for spec in self.detect]
        return list(dict.fromkeys(keys))


@dataclass(frozen=True)
class Detector:
    """A detector with every `$param` resolved and every condition compiled."""

    name: str
    kind: str
    keys: tuple[str, ...]
    where: pl.Expr | None
    options: Mapping[str, Any]
    critical_if: pl.Expr | None
    message: str
    value_metric: str
    limit_text: str
    only_if: pl.Expr | None = None


@dataclass(frozen=True)
class BoundRule:
    """A rule with its parameters fixed (defaults plus config overrides): ready to run."""

    rule: Rule
    severity: Severity
    params: Mapping[str, Any]
    detectors: tuple[Detector, ...] = ()
    pinned: bool = False  # severity set by the user: critical_if no longer raises it

    def param_text(self, name: str) -> str:
        """A parameter value as a reader expects it: durations in words, lists joined."""
        param = next(p for p in self.rule.params if p.name == name)
        return display_value(param.type, self.params[name])


def rule_files(directory: Path) -> list[Path]:
    """The rule files of a directory, in name order."""
    return sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")])


def display_value(kind: str, value: Any) -> str:
    if kind == "duration":
        return format_duration(parse_duration(value))
    if kind == "list":
        return ", ".join(str(v) for v in value) or NO_VALUE
    if kind == "ratio":
        return f"{value * 100:g}%"
    if kind == "number" and float(value).is_integer():
        return f"{int(value):,}"
    return str(value)


class _Problems:
    """Collects `file: key: message` lines for one file."""

    def __init__(self, source: str):
        self.source = source
        self.lines: list[str] = []

    def add(self, key: str, message: str) -> None:
        self.lines.append(f"{self.source}: {key}: {message}" if key else f"{self.source}: {message}")


def parse_rule(path: Path) -> tuple[Rule | None, list[str]]:
    """Parse one rule file and check its keys, docs and parameters (detectors are checked when
    the rule is bound). Returns the rule, as far as it could be read, and every problem."""
    try:
        data = load_yaml_file(path)
    except ValueError as exc:
        return None, [str(exc)]
    problems = _Problems(str(path))
    rule = _parse_rule(data, path, problems)
    return rule, problems.lines


def _parse_rule(data: Any, path: Path, problems: _Problems) -> Rule | None:
    if not isinstance(data, Mapping):
        problems.add("", "expected a mapping of rule keys")
        return None
    _check_keys(data, RULE_KEYS, "", problems)
    text = {k: _text(data, k, problems) for k in ("id", "name", "title", "summary",
                                                   "rationale", "example", "fix")}
    if text["id"] and not ID_PATTERN.match(text["id"]):
        problems.add("id", f"expected a code like NUV-001, got {text['id']!r}")
    elif text["id"] and path.stem != text["id"]:
        problems.add("id", f"{text['id']} must be in a file named {text['id']}.yaml")
    if text["name"] and not NAME_PATTERN.match(text["name"]):
        problems.add("name", f"expected kebab-case such as inventory-polling, got {text['name']!r}")
    severity = _severity(data.get("severity"), problems)
    params = _parse_params(data.get("params", {}), problems)
    detect = data.get("detect")
    if not isinstance(detect, list) or not detect or not all(isinstance(d, Mapping) for d in detect):
        problems.add("detect", "expected a non-empty list of detectors")
        detect = []
    return Rule(
        id=text["id"], name=text["name"], title=text["title"], severity=severity,
        summary=text["summary"], rationale=text["rationale"], example=text["example"],
        fix=text["fix"], path=str(path), tags=_strings(data, "tags", problems),
        references=_strings(data, "references", problems), params=tuple(params),
        where=data.get("where"), detect=tuple(detect),
    )


def _check_keys(data: Mapping, table: Mapping[str, tuple[bool, str]], prefix: str,
                problems: _Problems, extra: tuple[str, ...] = ()) -> None:
    allowed = (*table, *extra)
    for key in data:
        if key not in allowed:
            problems.add(f"{prefix}{key}", f"unknown key (expected one of: {', '.join(allowed)})")
    for key, (required, _) in table.items():
        if required and key not in data:
            problems.add(f"{prefix}{key}", "required key is missing")


def _text(data: Mapping, key: str, problems: _Problems) -> str:
    value = data.get(key)
    if key in data and (not isinstance(value, str) or not value.strip()):
        problems.add(key, f"expected non-empty text, got {value!r}")
        return ""
    return value.strip() if isinstance(value, str) else ""


def _strings(data: Mapping, key: str, problems: _Problems) -> tuple[str, ...]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.add(key, f"expected a list of strings, got {value!r}")
        return ()
    return tuple(value)


def _severity(value: Any, problems: _Problems) -> Severity:
    try:
        return Severity.parse(value)
    except ValueError as exc:
        if value is not None:
            problems.add("severity", str(exc))
        return Severity.WARNING


def _parse_params(data: Any, problems: _Problems) -> list[Param]:
    if not isinstance(data, Mapping):
        problems.add("params", "expected a mapping of parameter name -> {type, default, doc}")
        return []
    params = []
    for name, spec in data.items():
        key = f"params.{name}"
        if not isinstance(name, str) or not PARAM_PATTERN.match(name):
            problems.add(key, "parameter names are lower_snake_case")
            continue
        if not isinstance(spec, Mapping):
            problems.add(key, "expected a mapping with type, default and doc")
            continue
        for extra in spec:
            if extra not in PARAM_KEYS:
                problems.add(f"{key}.{extra}", f"unknown key (expected one of: {', '.join(PARAM_KEYS)})")
        kind, doc = spec.get("type"), spec.get("doc")
        if kind not in PARAM_TYPES:
            problems.add(f"{key}.type", f"expected one of: {', '.join(PARAM_TYPES)}, got {kind!r}")
            continue
        if not isinstance(doc, str) or not doc.strip():
            problems.add(f"{key}.doc", "every parameter needs a doc line")
        try:
            default = check_param_value(kind, spec.get("default"))
        except ValueError as exc:
            problems.add(f"{key}.default", str(exc))
            continue
        params.append(Param(name, kind, default, (doc or "").strip()))
    return params


def check_param_value(kind: str, value: Any) -> Any:
    """Validate a parameter value of a declared type; return it in canonical form."""
    if kind == "duration":
        parse_duration(value)
        return value
    if kind == "count":
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"expected a whole number of 1 or more, got {value!r}")
        return value
    if kind == "ratio":
        return coerce_scalar(value, RATIO)  # 0.2 or "20%"
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"expected a number, got {value!r}")
        return float(value)
    if kind == "regex":
        return check_regex(value)
    if kind == "list":
        if not isinstance(value, list) or not all(
            isinstance(v, str | int) and not isinstance(v, bool) for v in value
        ):
            raise ValueError(f"expected a list of strings or numbers, got {value!r}")
        return value
    if not isinstance(value, str) or not value:
        raise ValueError(f"expected text, got {value!r}")
    return value

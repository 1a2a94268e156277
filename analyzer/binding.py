"""Bind a rule to its parameter values: resolve `$param` references, compile conditions,
check detector options. Loading a rule binds it with its defaults, so a rule that loads is a
rule that runs; the engine binds again with the config file's overrides."""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Any

import polars as pl

from analyzer.conditions import (
    DURATION,
    INTEGER,
    NUMBER,
    RATIO,
    ConditionError,
    coerce_scalar,
    compile_condition,
)
from analyzer.detectors import COMMON_METRICS, KINDS, Kind
from analyzer.durations import format_duration, parse_duration
from analyzer.errors import RuleError
from analyzer.rules import DETECTOR_KEYS, FIELD_KINDS, NAME_PATTERN, BoundRule, Detector, Rule
from analyzer.severity import Severity


def bind(rule: Rule, params: Mapping[str, Any], severity: Severity | None) -> BoundRule:
    """Bind `rule` with parameter overrides (already type-checked) and an optional severity."""
    values = {**rule.param_defaults(), **params}
    problems: list[str] = []
    rule_where = _rule_where(rule, values, problems)
    detectors = []
    seen_names: set[str] = set()
    seen_keys: set[tuple[str, ...]] = set()
    for index, spec in enumerate(rule.detect):
        prefix = f"detect[{index}]"
        detector = _bind_detector(rule, spec, values, rule_where, prefix, problems)
        if detector is None:
            continue
        if detector.name in seen_names:
            problems.append(f"{rule.path}: {prefix}.name: {detector.name!r} is used twice")
        if detector.keys in seen_keys:
            problems.append(f"{rule.path}: {prefix}.key: another detector already groups by "
                            f"{list(detector.keys)}; findings would collide")
        seen_names.add(detector.name)
        seen_keys.add(detector.keys)
        detectors.append(detector)
    if problems:
        raise RuleError(problems)
    return BoundRule(rule, severity or rule.severity, values, tuple(detectors),
                     pinned=severity is not None)


def _rule_where(rule: Rule, values: Mapping[str, Any], problems: list[str]) -> pl.Expr | None:
    if rule.where is None:
        return None
    try:
        return compile_condition(rule.where, FIELD_KINDS, _resolver(values))
    except ConditionError as exc:
        problems.append(f"{rule.path}: where.{exc.key}".rstrip(".") + f": {exc}")
        return None


def _bind_detector(rule: Rule, spec: Mapping[str, Any], values: Mapping[str, Any],
                   rule_where: pl.Expr | None, prefix: str,
                   problems: list[str]) -> Detector | None:
    def fail(key: str, message: str) -> None:
        problems.append(f"{rule.path}: {prefix}.{key}: {message}")

    kind = _kind(spec, fail)
    if kind is None:
        return None
    before = len(problems)
    resolve = _resolver(values)
    _check_detector_keys(spec, kind, fail)
    name, keys = _name(spec.get("name"), fail), _keys(spec.get("key"), fail)
    where = _condition(spec, "where", FIELD_KINDS, resolve, fail)
    if rule_where is not None:
        where = rule_where if where is None else rule_where & where
    options = _options(kind, spec, resolve, fail)
    if len(problems) == before:
        for option, message in kind.check(options):
            fail(option, message)
    metrics = {**kind.metrics, **COMMON_METRICS}
    metric_kinds = {m: k for m, (k, _) in metrics.items()}
    critical_if = _condition(spec, "critical_if", metric_kinds, resolve, fail)
    only_if = _condition(spec, "only_if", metric_kinds, resolve, fail)
    _check_message(spec.get("message"), keys, metrics, values, fail)
    if len(problems) > before:
        return None
    measured = _measure(spec, kind, options, metric_kinds, resolve, fail)
    if measured is None:
        return None
    return Detector(name, spec["kind"], keys, where, options, critical_if, spec["message"],
                    *measured, only_if)


def _kind(spec: Mapping[str, Any], fail) -> Kind | None:
    kind = KINDS.get(spec.get("kind"))  # type: ignore[arg-type]
    if kind is None:
        fail("kind", f"expected one of: {', '.join(KINDS)}, got {spec.get('kind')!r}")
    return kind


def _check_detector_keys(spec: Mapping[str, Any], kind: Kind, fail) -> None:
    allowed = (*DETECTOR_KEYS, *kind.options)
    for key in spec:
        if key not in allowed:
            fail(str(key), f"unknown key (expected one of: {', '.join(allowed)})")
    for key, (required, _) in DETECTOR_KEYS.items():
        if required and key not in spec:
            fail(key, "required key is missing")


def _name(name: Any, fail) -> str:
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        fail("name", f"expected a kebab-case name, got {name!r}")
    return name  # type: ignore[return-value]


def _measure(spec: Mapping[str, Any], kind: Kind, options: Mapping[str, Any],
             metric_kinds: Mapping[str, str], resolve, fail) -> tuple[str, str] | None:
    """The metric a finding shows and its limit in words: the rule's `measure`, else the one
    threshold of its `only_if`, else the kind's own."""
    default = kind.measure(options)
    if "measure" in spec:
        if default is not None and spec["measure"] == default[0]:
            return default  # the kind's own, where `only_if` would otherwise pick another
        if spec["measure"] not in kind.limits:
            allowed = dict.fromkeys([*kind.limits, *([default[0]] if default else [])])
            fail("measure", f"expected one of: {', '.join(allowed) or 'none'} "
                            f"(got {spec['measure']!r})")
            return None
        return spec["measure"], kind.limits[spec["measure"]](options)
    if "only_if" in spec:
        return _gate_measure(spec["only_if"], metric_kinds, resolve, default)
    return default


_LIMIT_WORDS = {"gte": "less than", "gt": "at most"}


def _gate_measure(spec: Any, metric_kinds: Mapping[str, str], resolve,
                  default: tuple[str, str]) -> tuple[str, str]:
    """When `only_if` is one threshold on one metric, that metric is what the finding
    measures, and the threshold (read as what is allowed) its limit."""
    if not isinstance(spec, Mapping) or len(spec) != 1:
        return default
    (metric, ops), = spec.items()
    if metric not in metric_kinds or not isinstance(ops, Mapping) or len(ops) != 1:
        return default
    (op, raw), = ops.items()
    if op not in _LIMIT_WORDS:
        return default
    value = coerce_scalar(resolve(raw), metric_kinds[metric])
    shown = format_duration(value) if metric_kinds[metric] == DURATION else f"{value:g}"
    return metric, f"{_LIMIT_WORDS[op]} {shown}"


def _resolver(values: Mapping[str, Any]):
    """Substitute a `$name` reference with the parameter's value; raise ValueError if unknown."""
    def resolve(raw: Any, key: str = "") -> Any:
        if isinstance(raw, str) and raw.startswith("$"):
            if raw[1:] not in values:
                raise ValueError(f"unknown parameter {raw!r} "
                                 f"(declared: {', '.join(sorted(values)) or 'none'})")
            return values[raw[1:]]
        return raw
    return resolve


def _keys(raw: Any, fail) -> tuple[str, ...]:
    if not isinstance(raw, list) or not raw or not all(isinstance(k, str) for k in raw):
        fail("key", f"expected a list of field names, got {raw!r}")
        return ()
    for name in raw:
        if name not in FIELD_KINDS:
            fail("key", f"unknown field {name!r} (expected one of: {', '.join(FIELD_KINDS)})")
    if "client_id" not in raw:
        fail("key", "must include client_id: findings are per client")
    if len(set(raw)) != len(raw):
        fail("key", "lists a field twice")
    return tuple(raw)


def _compile(spec: Any, fields: Mapping[str, str], resolve, label: str, fail) -> pl.Expr | None:
    try:
        return compile_condition(spec, fields, resolve)
    except ConditionError as exc:
        fail(f"{label}.{exc.key}".rstrip("."), str(exc))
        return None


def _condition(spec: Mapping[str, Any], key: str, fields: Mapping[str, str], resolve,
               fail) -> pl.Expr | None:
    if key not in spec:
        return None
    return _compile(spec[key], fields, resolve, key, fail)


def _options(kind: Kind, spec: Mapping[str, Any], resolve, fail) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for name, option in kind.options.items():
        if name not in spec:
            if option.required:
                fail(name, "required key is missing")
            options[name] = option.default
            continue
        if option.type == "condition":
            options[name] = _compile(spec[name], FIELD_KINDS, resolve, name, fail)
            continue
        if option.type == "numeric_field":
            options[name] = _numeric_field(resolve(spec[name]), name, fail)
            continue
        try:
            options[name] = _option_value(option.type, resolve(spec[name]))
        except ValueError as exc:
            fail(name, str(exc))
    return options


def _numeric_field(value: Any, key: str, fail) -> str | None:
    numeric = sorted(n for n, kind in FIELD_KINDS.items() if kind in (INTEGER, NUMBER))
    if value not in numeric:
        fail(key, f"expected a numeric field, one of: {', '.join(numeric)}; got {value!r}")
        return None
    return value


def _option_value(kind: str, value: Any) -> Any:
    if kind == "duration":
        return parse_duration(value)
    if kind == "ratio":
        return coerce_scalar(value, RATIO)
    if kind == "flag":
        if not isinstance(value, bool):
            raise ValueError(f"expected true or false, got {value!r}")
        return value
    if kind == "field":
        if value not in FIELD_KINDS:
            raise ValueError(f"unknown field {value!r} (expected one of: "
                             f"{', '.join(FIELD_KINDS)})")
        return value
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"expected a whole number of 1 or more, got {value!r}")
    return value


def _check_message(message: Any, keys: tuple[str, ...], metrics: Mapping, values: Mapping,
                   fail) -> None:
    if not isinstance(message, str) or not message.strip():
        fail("message", "expected non-empty text")
        return
    allowed = {*keys, *metrics, *values}
    try:
        fields = [f for _, f, spec, conv in string.Formatter().parse(message) if f is not None]
        specs = [(spec, conv) for _, f, spec, conv in string.Formatter().parse(message)
                 if f is not None]
    except ValueError as exc:
        fail("message", f"invalid template: {exc}")
        return
    for name in fields:
        if name not in allowed:
            fail("message", f"unknown placeholder {{{name}}} (expected one of: "
                            f"{', '.join(sorted(allowed))})")
    if any(spec or conv for spec, conv in specs):
        fail("message", "placeholders take no format spec or conversion; values are formatted "
                        "for you")


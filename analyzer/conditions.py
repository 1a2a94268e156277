"""The condition grammar shared by every rule key that selects rows or groups (`where`,
`first`, `then`, `critical_if`): one operator table, compiled to Polars expressions.

    {field: {op: value, ...}, ..., any_of: [cond, ...], all_of: [cond, ...], not: cond}

Fields in one mapping are ANDed; a bare scalar means `eq`. Values are checked against the
field's type when the rule is loaded, and regexes are compiled by Polars' own (linear-time)
regex engine, so a rule cannot hang the run with catastrophic backtracking.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl

from analyzer.durations import parse_duration

# Field kinds a condition can compare against.
TEXT, INTEGER, NUMBER, DURATION, TIME = "text", "integer", "number", "duration", "time"
BOOLEAN, RATIO = "boolean", "ratio"

_ORDERED = (INTEGER, NUMBER, RATIO, DURATION, TIME)
_LOGICAL = ("any_of", "all_of", "not")


@dataclass(frozen=True)
class Operator:
    build: Callable[[pl.Expr, Any], pl.Expr]
    takes: str  # "scalar", "list", "regex", "bool"
    kinds: tuple[str, ...]  # field kinds it applies to
    doc: str


def _eq(col: pl.Expr, value: Any) -> pl.Expr:
    return col.eq_missing(value)


OPERATORS: dict[str, Operator] = {
    "eq": Operator(_eq, "scalar", (TEXT, BOOLEAN, *_ORDERED), "equal to"),
    "ne": Operator(lambda c, v: ~c.eq_missing(v), "scalar", (TEXT, BOOLEAN, *_ORDERED),
                   "not equal to"),
    "in": Operator(lambda c, v: c.is_in(v), "list", (TEXT, INTEGER, NUMBER), "one of a list"),
    "not_in": Operator(lambda c, v: c.is_not_null() & ~c.is_in(v), "list", (TEXT, INTEGER, NUMBER),
                       "present and not one of a list"),
    "gt": Operator(lambda c, v: c > v, "scalar", _ORDERED, "greater than"),
    "gte": Operator(lambda c, v: c >= v, "scalar", _ORDERED, "greater than or equal to"),
    "lt": Operator(lambda c, v: c < v, "scalar", _ORDERED, "less than"),
    "lte": Operator(lambda c, v: c <= v, "scalar", _ORDERED, "less than or equal to"),
    "regex": Operator(lambda c, v: c.str.contains(v).fill_null(False), "regex", (TEXT,),
                      "matches a regular expression (search, not full match)"),
    "not_regex": Operator(lambda c, v: c.is_not_null() & ~c.str.contains(v).fill_null(False),
                          "regex", (TEXT,), "present and does not match a regular expression"),
    "contains": Operator(lambda c, v: c.str.contains(v, literal=True).fill_null(False), "scalar",
                         (TEXT,), "contains a substring (case-sensitive)"),
    "startswith": Operator(lambda c, v: c.str.starts_with(v).fill_null(False), "scalar", (TEXT,),
                           "starts with"),
    "exists": Operator(lambda c, v: c.is_not_null() if v else c.is_null(), "bool",
                       (TEXT, BOOLEAN, *_ORDERED), "has a value (true) or has none (false)"),
}


class ConditionError(ValueError):
    """A condition is malformed; `key` is the dotted path below the condition's own key."""

    def __init__(self, key: str, message: str):
        self.key = key
        super().__init__(message)


def compile_condition(
    spec: Any, fields: Mapping[str, str], resolve: Callable[[Any, str], Any] = lambda v, k: v
) -> pl.Expr:
    """Compile a condition mapping to a boolean expression over `fields` (name -> kind).

    `resolve` substitutes `$param` references; it receives the raw value and its key path.
    """
    if not isinstance(spec, Mapping) or not spec:
        raise ConditionError("", "expected a mapping of field: {operator: value}")
    parts = [_compile_entry(str(name), value, fields, resolve) for name, value in spec.items()]
    return pl.all_horizontal(parts) if len(parts) > 1 else parts[0]


def _compile_entry(name: str, value: Any, fields: Mapping[str, str], resolve) -> pl.Expr:
    if name in ("any_of", "all_of"):
        if not isinstance(value, list) or not value:
            raise ConditionError(name, "expected a non-empty list of conditions")
        subs = [_nested(f"{name}[{i}]", item, fields, resolve) for i, item in enumerate(value)]
        return pl.any_horizontal(subs) if name == "any_of" else pl.all_horizontal(subs)
    if name == "not":
        return ~_nested(name, value, fields, resolve)
    if name not in fields:
        raise ConditionError(name, f"unknown field {name!r} (expected one of: "
                                   f"{', '.join([*sorted(fields), *_LOGICAL])})")
    ops = value if isinstance(value, Mapping) else {"eq": value}
    if not ops:
        raise ConditionError(name, "expected at least one operator")
    exprs = [_compile_op(name, str(op), arg, fields[name], resolve) for op, arg in ops.items()]
    return pl.all_horizontal(exprs) if len(exprs) > 1 else exprs[0]


def _nested(key: str, spec: Any, fields, resolve) -> pl.Expr:
    try:
        return compile_condition(spec, fields, resolve)
    except ConditionError as exc:
        raise ConditionError(f"{key}.{exc.key}".rstrip("."), str(exc)) from None


def _compile_op(name: str, op: str, raw: Any, kind: str, resolve) -> pl.Expr:
    key = f"{name}.{op}"
    operator = OPERATORS.get(op)
    if operator is None:
        raise ConditionError(key, f"unknown operator {op!r} (expected one of: "
                                  f"{', '.join(OPERATORS)})")
    if kind not in operator.kinds:
        raise ConditionError(key, f"operator {op!r} does not apply to {kind} field {name!r}")
    try:
        checked = _check_value(operator.takes, resolve(raw, key), kind)
    except ValueError as exc:
        raise ConditionError(key, str(exc)) from None
    # Missing values never satisfy a comparison, so `not` of one is true: a call with no
    # http_status is "not an error status", as a reader of the rule would expect.
    return operator.build(pl.col(name), checked).fill_null(False)


def _check_value(takes: str, value: Any, kind: str) -> Any:
    if takes == "bool":
        if not isinstance(value, bool):
            raise ValueError(f"expected true or false, got {value!r}")
        return value
    if takes == "list":
        if not isinstance(value, list):
            raise ValueError(f"expected a list, got {value!r}")
        return [coerce_scalar(item, kind) for item in value]
    if takes == "regex":
        return check_regex(value)
    return coerce_scalar(value, kind)


def coerce_scalar(value: Any, kind: str) -> Any:
    """Check one comparison value against a field kind; return it in the column's type."""
    if kind == BOOLEAN:
        if not isinstance(value, bool):
            raise ValueError(f"expected true or false, got {value!r}")
        return value
    if isinstance(value, bool) or value is None or isinstance(value, list | dict):
        raise ValueError(f"expected a single {kind} value, got {value!r}")
    if kind == TEXT:
        return str(value)
    if kind == DURATION:
        return float(value) if isinstance(value, int | float) else parse_duration(value)
    if kind == INTEGER and isinstance(value, int):
        return value
    if kind == NUMBER and isinstance(value, int | float):
        return float(value)
    if kind == RATIO:
        return _ratio(value)
    article = "an" if kind[0] in "aeiou" else "a"
    raise ValueError(f"expected {article} {kind} value, got {value!r}")


def _ratio(given: Any) -> float:
    """A share as a number from 0 to 1, or as a percentage written `20%`."""
    value = given
    if isinstance(given, str) and given.strip().endswith("%"):
        try:
            value = float(given.strip()[:-1]) / 100
        except ValueError:
            pass
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 1:
        return float(value)
    raise ValueError(f"expected a share from 0 to 1 (or a percentage such as 20%), got {given!r}")


MAX_REGEX_LENGTH = 1000


def check_regex(pattern: Any) -> str:
    """Compile a regex with Polars' engine (the one that will run it); raise ValueError if bad."""
    if not isinstance(pattern, str) or not pattern:
        raise ValueError(f"expected a regular expression string, got {pattern!r}")
    if len(pattern) > MAX_REGEX_LENGTH:
        raise ValueError(f"regular expression longer than {MAX_REGEX_LENGTH} characters")
    try:
        pl.select(pl.lit("").str.contains(pattern)).item()
    except pl.exceptions.PolarsError as exc:
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
        errors = [line.removeprefix("error:").strip() for line in lines if line.startswith("error:")]
        detail = errors[-1] if errors else (lines[0] if lines else "invalid")
        raise ValueError(f"invalid regular expression {pattern!r}: {detail}") from None
    return pattern


def regex_groups(pattern: str) -> int:
    """How many capture groups a (checked) regex has, counted by the engine that runs it:
    Python's `re` rejects syntax Polars accepts (`\\pL`, `[[:alpha:]]`)."""
    return len(pl.select(pl.lit("").str.extract_groups(pattern)).to_series().dtype.fields)

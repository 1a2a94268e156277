"""What the provider's answers mean, declared once for every rule: which answers say "no such
order or product", which say "this PO reference is not unique", and which say "wait and retry".

The config file's `errors:` section sets them (the provider's code table is not public, so a
team adds the codes it learns); the engine turns them into the derived fields `not_found`,
`duplicate_po` and `wait_and_retry` before any rule runs. NUV-002 looks at not-found answers,
NUV-006 leaves them (and duplicate POs) to NUV-002 and NUV-003: because all three read the same
fields, no override can make two rules report the same answers.

    errors:
      not_found_codes: ["104"]          # codes that mean "no such order or product"
      not_found_statuses: [404]
      not_found_pattern: "(?i)not found|does not exist"
      duplicate_codes: ["101"]          # "PurchaseOrderID is not unique"
      retry_code_pattern: "^[35][0-9]{2}$"
      retry_statuses: [502, 503, 504]   # a gateway's "try later", when there is no fault code
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

import polars as pl

from analyzer.conditions import check_regex

Fail = Callable[[str, str], None]


def _meaning(default: Any, kind: str, doc: str) -> Any:
    return field(default=default, metadata={"kind": kind, "doc": doc})


@dataclass(frozen=True)
class ErrorMeanings:
    """Each setting with its kind (codes: fault codes as text; statuses: HTTP statuses; regex)
    and the line its documentation is built from."""

    not_found_codes: tuple[str, ...] = _meaning(
        (), "codes", "fault codes that mean \"no such order or product\" (the provider's table "
                     "is not public: none assumed)")
    not_found_statuses: tuple[int, ...] = _meaning((404,), "statuses", "HTTP statuses that mean it")
    not_found_pattern: str = _meaning(
        "(?i)not found|does not exist|unknown|invalid order|invalid part", "regex",
        "fault messages that mean it")
    duplicate_codes: tuple[str, ...] = _meaning(
        ("101",), "codes", "fault codes that mean \"PurchaseOrderID is not unique\"")
    retry_code_pattern: str = _meaning(
        "^[35][0-9]{2}$", "regex", "fault codes whose action is \"wait and retry\" (the 300 "
                                   "series: downstream systems; the 500 series: the API)")
    retry_statuses: tuple[int, ...] = _meaning(
        (502, 503, 504), "statuses", "HTTP statuses that mean \"try later\" when the answer "
                                     "has no fault code")

    def derived(self) -> dict[str, pl.Expr]:
        """The derived fields, by name."""
        code, status = pl.col("error_code"), pl.col("http_status")
        not_found = (status.is_in(list(self.not_found_statuses))
                     | code.is_in(list(self.not_found_codes))
                     | pl.col("error_message").str.contains(self.not_found_pattern))
        retry = (code.str.contains(self.retry_code_pattern)
                 | (code.is_null() & status.is_in(list(self.retry_statuses))))
        return {"not_found": not_found.fill_null(False),
                "duplicate_po": code.is_in(list(self.duplicate_codes)).fill_null(False),
                "wait_and_retry": retry.fill_null(False)}


SETTINGS = {f.name: f.metadata for f in fields(ErrorMeanings)}


def parse_error_meanings(value: Any, key: str, fail: Fail) -> ErrorMeanings | None:
    if not isinstance(value, Mapping):
        fail(key, f"expected a mapping with any of: {', '.join(SETTINGS)}")
        return None
    given: dict[str, Any] = {}
    for name, raw in value.items():
        if name not in SETTINGS:
            fail(f"{key}.{name}", f"unknown key (expected one of: {', '.join(SETTINGS)})")
            continue
        try:
            given[str(name)] = _PARSERS[SETTINGS[name]["kind"]](raw)
        except ValueError as exc:
            fail(f"{key}.{name}", str(exc))
    if len(given) != len(value):
        return None
    return replace(ErrorMeanings(), **given)


def _codes(raw: Any) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(
        isinstance(v, str | int) and not isinstance(v, bool) and str(v).strip() for v in raw
    ):
        raise ValueError(f"expected a list of fault codes such as [\"101\"], got {raw!r}")
    return tuple(str(v).strip() for v in raw)


def _statuses(raw: Any) -> tuple[int, ...]:
    if not isinstance(raw, list) or not all(
        isinstance(v, int) and not isinstance(v, bool) and 100 <= v <= 599 for v in raw
    ):
        raise ValueError(f"expected a list of HTTP statuses (100-599) such as [404], got {raw!r}")
    return tuple(raw)


_PARSERS: dict[str, Callable[[Any], Any]] = {"codes": _codes, "statuses": _statuses,
                                             "regex": check_regex}

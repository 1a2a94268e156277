"""The condition grammar: each operator on a tiny frame, and the exact errors."""

from __future__ import annotations

import polars as pl
import pytest

from analyzer.conditions import ConditionError, compile_condition

FIELDS = {"operation": "text", "http_status": "integer", "error_message": "text",
          "latency_ms": "number", "span": "duration"}
FRAME = pl.DataFrame(
    {"operation": ["submitOrder", "orderStatus", None],
     "http_status": [200, 404, None],
     "error_message": [None, "Order SO1 not found", "x"],
     "latency_ms": [10.0, 2500.0, None],
     "span": [60.0, 7200.0, None]},
    schema_overrides={"http_status": pl.Int32},
)


def matches(condition) -> list[bool]:
    return FRAME.select(compile_condition(condition, FIELDS).alias("m"))["m"].to_list()


@pytest.mark.parametrize("condition, expected", [
    ({"operation": "submitOrder"}, [True, False, False]),
    ({"operation": {"eq": "submitOrder"}}, [True, False, False]),
    ({"operation": {"ne": "submitOrder"}}, [False, True, True]),
    ({"operation": {"in": ["orderStatus", "cancel"]}}, [False, True, False]),
    ({"operation": {"not_in": ["orderStatus"]}}, [True, False, False]),
    ({"http_status": {"gte": 400}}, [False, True, False]),
    ({"http_status": {"lt": 300}}, [True, False, False]),
    ({"latency_ms": {"gt": 2000}}, [False, True, False]),
    ({"span": {"gte": "1h"}}, [False, True, False]),
    ({"error_message": {"regex": "(?i)NOT FOUND"}}, [False, True, False]),
    ({"error_message": {"not_regex": "found"}}, [False, False, True]),
    ({"error_message": {"contains": "SO1"}}, [False, True, False]),
    ({"operation": {"startswith": "order"}}, [False, True, False]),
    ({"error_message": {"exists": False}}, [True, False, False]),
    ({"operation": {"in": []}}, [False, False, False]),
    ({"any_of": [{"http_status": 404}, {"error_message": {"regex": "^x$"}}]}, [False, True, True]),
    ({"all_of": [{"http_status": {"gte": 100}}, {"latency_ms": {"lt": 100}}]}, [True, False, False]),
    ({"not": {"http_status": {"gte": 300}}}, [True, False, True]),
    ({"operation": "submitOrder", "http_status": 200}, [True, False, False]),
])
def test_operator(condition, expected):
    assert matches(condition) == expected


@pytest.mark.parametrize("condition, key, message", [
    ({"opration": "x"}, "opration", "unknown field 'opration' (expected one of: error_message, "
     "http_status, latency_ms, operation, span, any_of, all_of, not)"),
    ({"operation": {"like": "x"}}, "operation.like", "unknown operator 'like' (expected one of: "
     "eq, ne, in, not_in, gt, gte, lt, lte, regex, not_regex, contains, startswith, exists)"),
    ({"operation": {"gt": "a"}}, "operation.gt", "operator 'gt' does not apply to text field "
     "'operation'"),
    ({"http_status": {"eq": "ok"}}, "http_status.eq", "expected an integer value, got 'ok'"),
    ({"span": {"gte": "an hour"}}, "span.gte", "expected a duration such as 90s, 15m, 1h30m or 7d "
     "(units ms, s, m, h, d, w), got 'an hour'"),
    ({"error_message": {"regex": "(unclosed"}}, "error_message.regex",
     "invalid regular expression '(unclosed': unclosed group"),
    ({"error_message": {"regex": "(?<=x)y"}}, "error_message.regex",
     "invalid regular expression '(?<=x)y': look-around, including look-ahead and look-behind, "
     "is not supported"),
    ({"any_of": []}, "any_of", "expected a non-empty list of conditions"),
    ({"any_of": [{"nope": 1}]}, "any_of[0].nope", "unknown field 'nope' (expected one of: "
     "error_message, http_status, latency_ms, operation, span, any_of, all_of, not)"),
    ({"operation": {"in": "submitOrder"}}, "operation.in", "expected a list, got 'submitOrder'"),
    ({"operation": {"exists": "yes"}}, "operation.exists", "expected true or false, got 'yes'"),
    ([], "", "expected a mapping of field: {operator: value}"),
])
def test_condition_errors_name_the_key(condition, key, message):
    with pytest.raises(ConditionError) as caught:
        compile_condition(condition, FIELDS)
    assert (caught.value.key, str(caught.value)) == (key, message)


def test_huge_regex_is_refused_not_run():
    with pytest.raises(ConditionError, match="exceeds size limit"):
        compile_condition({"error_message": {"regex": "a{1000}{1000}"}}, FIELDS)

"""A bad rule file is exit 2 with every problem named by file and key; exact wording pinned."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from analyzer.errors import RuleError
from analyzer.rulepack import builtin_rules_dir, load_rules
from analyzer.rules import FIELD_KINDS

VALID = """\
id: TST-001
name: test-rule
title: A test rule
severity: warning
summary: s
rationale: r
example: e
fix: f
params:
  gap: {type: duration, default: 15m, doc: the gap}
detect:
  - name: polling
    kind: cadence
    where:
      operation: {eq: checkInventory}
    key: [client_id, part_number]
    short_gap: $gap
    message: "{part_number} every {median_gap}"
"""


def problems(tmp_path: Path, text: str, name: str = "TST-001.yaml") -> list[str]:
    (tmp_path / name).write_text(textwrap.dedent(text))
    with pytest.raises(RuleError) as caught:
        load_rules([tmp_path])
    prefix = f"{tmp_path / name}: "
    return [m.removeprefix(prefix) for m in caught.value.messages]


def test_the_valid_rule_loads(tmp_path):
    (tmp_path / "TST-001.yaml").write_text(VALID)
    assert [r.id for r in load_rules([tmp_path])] == ["TST-001"]


def test_builtin_pack_loads():
    ids = [r.id for r in load_rules([builtin_rules_dir()])]
    assert {"NUV-001", "NUV-002", "NUV-003", "API-001", "API-005"} <= set(ids)
    assert ids == sorted(ids)


@pytest.mark.parametrize("old, new, expected", [
    ("severity: warning", "severity: warning\ncolour: red",
     "colour: unknown key (expected one of: id, name, title, severity, tags, summary, rationale, "
     "example, fix, references, params, where, detect)"),
    ("severity: warning", "severity: severe",
     "severity: expected one of: info, warning, critical, got 'severe'"),
    ("default: 15m", "default: a quarter hour",
     "params.gap.default: expected a duration such as 90s, 15m, 1h30m or 7d "
     "(units ms, s, m, h, d, w), got 'a quarter hour'"),
    ("short_gap: $gap", "short_gap: 0s",
     "detect[0].short_gap: expected a duration above zero, got '0s'"),
    ("short_gap: $gap", "short_gap: $gapp",
     "detect[0].short_gap: unknown parameter '$gapp' (declared: gap)"),
    ("    short_gap: $gap", "    short_gap: $gap\n    min_streak: -1",
     "detect[0].min_streak: expected a whole number of 1 or more, got -1"),
    ("operation: {eq: checkInventory}", "opration: {eq: checkInventory}",
     "detect[0].where.opration: unknown field 'opration' (expected one of: "
     f"{', '.join(sorted(FIELD_KINDS))}, any_of, all_of, not)"),
    ("operation: {eq: checkInventory}", "error_message: {regex: '(oops'}",
     "detect[0].where.error_message.regex: invalid regular expression '(oops': unclosed group"),
    ("key: [client_id, part_number]", "key: [part_number]",
     "detect[0].key: must include client_id: findings are per client"),
    ("kind: cadence", "kind: gaps",
     "detect[0].kind: expected one of: cadence, count, sequence, streak, got 'gaps'"),
    ('message: "{part_number} every {median_gap}"', 'message: "{part_number} every {median}"',
     "detect[0].message: unknown placeholder {median} (expected one of: calls, client_id, gap, "
     "median_gap, part_number, span, streak, streak_span, sustained)"),
    ('message: "{part_number} every {median_gap}"', 'message: "{part_number.__class__}"',
     "detect[0].message: unknown placeholder {part_number.__class__} (expected one of: calls, "
     "client_id, gap, median_gap, part_number, span, streak, streak_span, sustained)"),
    ("    short_gap: $gap", "    short_gap: $gap\n    window: 1h",
     "detect[0].window: unknown key (expected one of: name, kind, where, key, message, "
     "critical_if, only_if, measure, short_gap, min_streak, gap_after)"),
])
def test_rule_problem_is_named(tmp_path, old, new, expected):
    assert old in VALID
    assert problems(tmp_path, VALID.replace(old, new)) == [expected]


def test_every_problem_in_a_file_is_reported_together(tmp_path):
    text = VALID.replace("severity: warning", "severity: bad").replace("kind: cadence", "kind: x")
    assert problems(tmp_path, text) == [
        "severity: expected one of: info, warning, critical, got 'bad'",
        "detect[0].kind: expected one of: cadence, count, sequence, streak, got 'x'",
    ]


def test_id_must_match_the_file_name(tmp_path):
    assert problems(tmp_path, VALID, "TST-002.yaml") == [
        "id: TST-001 must be in a file named TST-001.yaml"]


@pytest.mark.parametrize("text, expected", [
    ("id: A\nid: B\n", "2: duplicate key 'id'"),
    ("a: &x [1]\nb: *x\n", "2: anchors and aliases are not allowed"),
    ("!!python/object/apply:os.system [echo hi]\n",
     "1: could not determine a constructor for the tag "
     "'tag:yaml.org,2002:python/object/apply:os.system'"),
    ("- just\n- a list\n", "expected a mapping of rule keys"),
])
def test_hostile_or_malformed_yaml(tmp_path, text, expected):
    path = tmp_path / "TST-001.yaml"
    path.write_text(text)
    with pytest.raises(RuleError) as caught:
        load_rules([tmp_path])
    message = caught.value.messages[0]
    assert message in (f"{path}:{expected}", f"{path}: {expected}")


def test_duplicate_ids_across_directories(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    for sub in ("a", "b"):
        (tmp_path / sub / "TST-001.yaml").write_text(VALID)
    with pytest.raises(RuleError) as caught:
        load_rules([tmp_path / "a", tmp_path / "b"])
    assert caught.value.messages == [
        f"{tmp_path / 'b' / 'TST-001.yaml'}: id: TST-001 is also defined in "
        f"{tmp_path / 'a' / 'TST-001.yaml'}"]


def detector_problems(tmp_path: Path, detector: str) -> list[str]:
    """Problems of VALID with its detector replaced by `detector` (YAML, indented 4)."""
    head = VALID.split("detect:\n")[0]
    return problems(tmp_path, head + "detect:\n  - name: d\n" + textwrap.indent(
        textwrap.dedent(detector), "    "))


@pytest.mark.parametrize("detector, expected", [
    ("""\
     kind: streak
     key: [client_id]
     while: {http_status: {gte: 500}}
     message: "{length} failures"
     """, "detect[0].max_length: give max_length, max_span or both: a run longer than either "
          "offends"),
    ("""\
     kind: count
     key: [client_id]
     min_count: 3
     normalise: true
     message: "{count}"
     """, "detect[0].normalise: needs a window: it applies to the calls in one window"),
    ("""\
     kind: count
     key: [client_id]
     min_count: 3
     repeat_of: part_number
     message: "{count}"
     """, "detect[0].repeat_of: needs a window: it applies to the calls in one window"),
    ("""\
     kind: count
     key: [client_id]
     window: 1h
     min_count: 3
     or_count: 10
     message: "{count}"
     """, "detect[0].or_count: only means something beside min_share"),
    ("""\
     kind: count
     key: [client_id]
     window: 1h
     min_count: 3
     min_share: 1.5
     message: "{count}"
     """, "detect[0].min_share: expected a share from 0 to 1 (or a percentage such as 20%), "
          "got 1.5"),
    ("""\
     kind: count
     key: [client_id]
     min_count: 3
     normalise: yes please
     message: "{count}"
     """, "detect[0].normalise: expected true or false, got 'yes please'"),
    ("""\
     kind: sequence
     key: [client_id, order_id]
     first: {order_status: {eq: Billed}}
     then: {operation: {eq: cancel}}
     state: order_state
     message: "{count}"
     """, "detect[0].state: unknown field 'order_state' (expected one of: "
          f"{', '.join(FIELD_KINDS)})"),
    ("""\
     kind: count
     key: [client_id]
     min_count: 3
     only_if: {sustained: {gte: soon}}
     message: "{count}"
     """, "detect[0].only_if.sustained.gte: expected a duration such as 90s, 15m, 1h30m or 7d "
          "(units ms, s, m, h, d, w), got 'soon'"),
    ("""\
     kind: cadence
     key: [client_id]
     short_gap: 1m
     measure: count
     message: "{streak}"
     """, "detect[0].measure: expected one of: median_gap (got 'count')"),
    ("""\
     kind: sequence
     key: [client_id]
     first: {http_status: {gte: 500}}
     then: {operation: {exists: true}}
     measure: min_delay
     message: "{count}"
     """, "detect[0].measure: expected one of: count (got 'min_delay')"),
    ("""\
     kind: count
     key: [client_id]
     where: {is_live: {eq: "yes"}}
     min_count: 3
     message: "{count}"
     """, "detect[0].where.is_live.eq: expected true or false, got 'yes'"),
])
def test_detector_option_problem_is_named(tmp_path, detector, expected):
    assert detector_problems(tmp_path, detector) == [expected]


def test_only_if_and_boolean_fields_load(tmp_path):
    head = VALID.split("detect:\n")[0]
    (tmp_path / "TST-001.yaml").write_text(head + textwrap.dedent("""\
        detect:
          - name: d
            kind: count
            key: [client_id]
            where: {is_live: true, maintenance_window: {exists: false}}
            of: {http_status: {gte: 500}}
            window: 1h
            min_count: 3
            min_share: 20%
            only_if: {sustained: {gte: 3h}, share: {gte: 0.5}}
            message: "{count} of {sample} ({share})"
        """))
    assert [r.id for r in load_rules([tmp_path])] == ["TST-001"]


def test_a_date_that_does_not_exist_in_a_rule_file_is_named_with_its_line(tmp_path):
    found = problems(tmp_path, VALID.replace("fix: f\n", "fix: f\nreferences: [2026-02-30]\n"))
    assert found == [f"{tmp_path / 'TST-001.yaml'}:9: '2026-02-30' is not a real date or time: "
                     "day is out of range for month"]

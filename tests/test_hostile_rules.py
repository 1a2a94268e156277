"""Hostile rules, config and profiles: every YAML document trafficlint reads is refused with
its file and line when it carries Python object tags, an alias bomb, duplicate keys, absurd
nesting or size; regexes run on a linear-time engine with bounded size; nothing in a rule or a
config is ever evaluated as code, and message templates take plain placeholders only."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import polars as pl
import pytest
from conftest import REPO, run_check
from test_rule_errors import VALID

from analyzer.conditions import MAX_REGEX_LENGTH, check_regex, regex_groups
from analyzer.config import load_config
from analyzer.errors import TrafficlintError
from analyzer.profiles import find_profile
from analyzer.rulepack import load_rules
from analyzer.safe_yaml import MAX_DEPTH, MAX_YAML_BYTES

# The valid test rule, its message replaced by each template under test.
RULE = VALID.replace('"{part_number} every {median_gap}"', '"MESSAGE"')
assert "MESSAGE" in RULE

BILLION_LAUGHS = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(8))

HOSTILE_YAML = {
    "python tag": ("fail_on: !!python/object/apply:os.system ['touch pwned']\n",
                   "1: could not determine a constructor for the tag "
                   "'tag:yaml.org,2002:python/object/apply:os.system'"),
    "python name": ("x: !!python/name:os.system\n",
                    "1: could not determine a constructor for the tag "
                    "'tag:yaml.org,2002:python/name:os.system'"),
    "alias bomb": (BILLION_LAUGHS, "2: anchors and aliases are not allowed"),
    "merge key": ("base: &b {x: 1}\nother:\n  <<: *b\n", "3: anchors and aliases are not allowed"),
    "duplicate key": ("title: a\ntitle: b\n", "2: duplicate key 'title'"),
    "deep nesting": ("x: " + "[" * 2000 + "]" * 2000 + "\n",
                     f"1: nested deeper than {MAX_DEPTH} levels"),
    "complex key": ("? [a, b]\n: c\n", "1: mapping keys must be plain scalars"),
}


def _yaml_error(kind: str, path: Path) -> str:
    """The first message of loading `path` as a rule, a config or a profile."""
    with pytest.raises(TrafficlintError) as caught:
        if kind == "rule":
            load_rules([path.parent])
        elif kind == "config":
            load_config(path)
        else:
            find_profile(str(path), "--profile")
    return caught.value.messages[0]


@pytest.mark.parametrize("kind", ["rule", "config", "profile"])
@pytest.mark.parametrize("case", sorted(HOSTILE_YAML))
def test_hostile_yaml_is_refused_with_file_and_line(tmp_path, monkeypatch, kind, case):
    monkeypatch.chdir(tmp_path)
    text, expected = HOSTILE_YAML[case]
    path = tmp_path / ("TST-001.yaml" if kind == "rule" else f"{kind}.yaml")
    path.write_text(text)
    message = _yaml_error(kind, path)
    assert message.startswith(f"{path}:{expected}") or message == f"{path}: {expected}", message
    assert not (tmp_path / "pwned").exists()


@pytest.mark.parametrize("kind", ["rule", "config", "profile"])
@pytest.mark.parametrize(("content", "expected"), [
    (b"# pad\n" * (MAX_YAML_BYTES // 6 + 1), f"file is larger than {MAX_YAML_BYTES} bytes"),
    (b"title: caf\xe9\n", "not valid UTF-8"),
])
def test_huge_or_binary_yaml_is_refused(tmp_path, kind, content, expected):
    path = tmp_path / ("TST-001.yaml" if kind == "rule" else f"{kind}.yaml")
    path.write_bytes(content)
    assert _yaml_error(kind, path) == f"{path}: {expected}"


def rule_problems(tmp_path: Path, message: str) -> list[str]:
    (tmp_path / "TST-001.yaml").write_text(RULE.replace("MESSAGE", message))
    with pytest.raises(TrafficlintError) as caught:
        load_rules([tmp_path])
    return caught.value.messages


@pytest.mark.parametrize("message", [
    "{part_number.__class__}", "{part_number.__class__.__mro__}", "{part_number[0]}",
    "{0}", "{}", "{__import__}",
])
def test_message_templates_refuse_attribute_index_and_positional_access(tmp_path, message):
    (problem,) = rule_problems(tmp_path, message)
    assert f"detect[0].message: unknown placeholder {{{message[1:-1]}}}" in problem


@pytest.mark.parametrize("message", ["{part_number!r}", "{part_number:>{calls}}"])
def test_message_templates_refuse_conversions_and_format_specs(tmp_path, message):
    (problem,) = rule_problems(tmp_path, message)
    assert "placeholders take no format spec or conversion" in problem


def test_nothing_in_a_rule_or_a_log_is_evaluated(tmp_path, monkeypatch):
    """Template syntax of other engines, and placeholders inside log values, stay text."""
    monkeypatch.chdir(tmp_path)
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "TST-001.yaml").write_text(RULE.replace(
        "MESSAGE", "{{7*7}} ${{7*7}} {{{{config}}}} {part_number} __import__('os').system('x')"))
    log = tmp_path / "a.csv"
    part = "{client_id} {calls.__class__} {{7*7}} ${IFS}$(touch pwned)"
    log.write_text("timestamp,operation,client_id,part_number\n" + "".join(
        f"2026-11-16T09:{m:02d}:00Z,checkInventory,acme,\"{part}\"\n" for m in range(6)))
    report = run_check([log], rules_dirs=(rules,), select=("TST-001",))
    (finding,) = report.findings
    assert finding.message == (f"{{7*7}} ${{7*7}} {{{{config}}}} {part} "
                               "__import__('os').system('x')")
    assert not (tmp_path / "pwned").exists()


def test_catastrophic_regexes_run_in_linear_time():
    """Polars' regex engine has no backtracking: patterns that take Python's `re` longer
    than the age of the universe on this input finish at once. Run in a subprocess with a
    generous timeout, so a backtracking engine fails the test instead of hanging the suite."""
    script = textwrap.dedent("""
        import polars as pl
        text = "a" * 200_000 + "!"
        hostile = [r"(a+)+$", r"^(a|a)*$", r"(a|aa)+$", r"(.*a){20}$", r"^(a?){50}a{50}$"]
        frame = pl.DataFrame({"v": [text] * 4})
        for pattern in hostile:
            assert not frame.select(pl.col("v").str.contains(pattern)).to_series().any()
        print("ok")
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=120, cwd=REPO)
    assert result.stdout.strip() == "ok", result.stderr


@pytest.mark.parametrize(("pattern", "problem"), [
    ("a" * (MAX_REGEX_LENGTH + 1), f"regular expression longer than {MAX_REGEX_LENGTH} "
                                   "characters"),
    (r"(\w{1000}){1000}", "exceeds size limit"),  # the compiled program is bounded too
    (r"(?<=a)b", "invalid regular expression"),  # no look-around: nothing that backtracks
    (r"(a)\1", "invalid regular expression"),  # no back-references either
])
def test_regexes_are_bounded(pattern, problem):
    with pytest.raises(ValueError, match=problem.replace("(", r"\(")):
        check_regex(pattern)


def test_profile_regexes_are_judged_by_the_engine_that_runs_them():
    # Python's `re` refuses \pL and [[:alpha:]]; Polars runs them, so profiles accept them.
    assert regex_groups(r"\pL+") == 0
    assert regex_groups(r"([[:alpha:]]+)-(\d+)") == 2
    assert pl.select(pl.lit("é-12").str.extract(r"(\pL+)", 1)).item() == "é"


def test_a_profile_with_a_unicode_class_regex_loads(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text("name: mine\ntitle: t\nsummary: s\nfields:\n  operation:\n"
                    "    - column: op\n      regex: '(\\pL+)'\n")
    assert find_profile(str(path), "--profile").name == "mine"


def test_explain_shows_a_rules_control_characters_as_escapes(cli, tmp_path):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "TST-001.yaml").write_text(VALID.replace("summary: s", 'summary: "s\\e]0;x\\a\\e[2J"'))
    code, out, _ = cli("explain", "TST-001", "--config", str(_config(tmp_path, rules)))
    assert code == 0 and "\x1b" not in out and "\\x1b]0;x\\x07\\x1b[2J" in out


def _config(tmp_path: Path, rules: Path) -> Path:
    config = tmp_path / "trafficlint.yaml"
    config.write_text(f"rules_dirs: [{rules}]\n")
    return config


@pytest.mark.parametrize(("content", "message"), [
    ("[" * 100_000 + "]" * 100_000, "not a trafficlint baseline: JSON nested too deeply"),
    ('{"trafficlint_baseline": 1, "findings": [{"fingerprint": {"$ne": 1}, "rule": "NUV-001", '
     '"client_id": "a", "key": {"part_number": {"$gt": ""}}, "severity": "warning", '
     '"count": 1}]}', "findings[0].key: expected an object of field -> text or null"),
])
def test_a_hostile_baseline_is_exit_2(cli, tmp_path, content, message):
    (tmp_path / "a.csv").write_text((REPO / "tests" / "cases" / "NUV-001" / "fail.csv")
                                    .read_text())
    (tmp_path / "baseline.json").write_text(content)
    code, out, err = cli("check", "a.csv", "--baseline", "baseline.json")
    assert (code, out) == (2, "")
    assert f"trafficlint: error: baseline.json: {message}" in err

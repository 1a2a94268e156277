"""GitHub Actions annotations: one workflow command per finding at its log file and line, with
the runner's escaping, so that no log value can end a command or start one of its own."""

from __future__ import annotations

import re

import pytest
from conftest import golden

from analyzer import annotations
from analyzer.annotations import annotation, escape_data, escape_property, render_annotations

COMMAND = re.compile(r"^::(error|warning|notice)( [a-z]+=[^,:]*(,[a-z]+=[^,:]*)*)?::[^\r\n]*$")


def test_golden_github(report):
    golden("report.github.txt", render_annotations(report))


def test_one_annotation_per_finding_at_its_first_location(report):
    lines = render_annotations(report).splitlines()
    findings = report.to_dict()["findings"]
    assert len(lines) == len(findings)
    for line, finding in zip(lines, findings, strict=True):
        assert COMMAND.match(line), line
        first = finding["evidence"][0]
        assert f" file={escape_property(first['file'])},line={first['line']}," in line
    assert lines[0].startswith("::error file=tests/fixtures/mixed.csv,line=4,title=NUV-001 ")
    assert [line.split(" ")[0] for line in lines] == ["::error"] * 3 + ["::warning"] * 5


@pytest.mark.parametrize(("value", "data", "prop"), [
    ("100%", "100%25", "100%25"),
    ("a\r\nb", "a%0D%0Ab", "a%0D%0Ab"),
    ("x%0A::error::y", "x%250A::error::y", "x%250A%3A%3Aerror%3A%3Ay"),
    ("a:b,c", "a:b,c", "a%3Ab%2Cc"),
])
def test_workflow_command_escaping(value, data, prop):
    assert escape_data(value) == data
    assert escape_property(value) == prop


def test_hostile_values_cannot_inject_commands(hostile_report):
    lines = render_annotations(hostile_report).splitlines()
    assert len(lines) == len(hostile_report.findings)  # no value added a line of its own
    line = lines[0]
    assert COMMAND.match(line), line
    properties, message = line.split("::")[1], "::".join(line.split("::")[2:])
    assert "%250A%3A%3Aerror file=x%3A%3Apwned%2C%3A%25" in properties  # the client, in title
    assert "one%0Atwo\\x0d%0Athree" in properties  # line breaks encoded, CR made visible
    assert "\x1b" not in line and "\\x1b[31mred" in properties
    assert "abc\\x202edcba" in message and "\u202e" not in line
    assert "file=/" in properties and "hostile%2C 100%25%3A x.ndjson,line=1," in properties


def test_annotations_are_capped_with_a_note(report, monkeypatch):
    monkeypatch.setattr(annotations, "MAX_ANNOTATIONS", 3)
    lines = render_annotations(report).splitlines()
    assert len(lines) == 4
    assert lines[-1] == ("::notice title=trafficlint::5 more of 8 findings are not annotated; "
                         "see the HTML, JSON or SARIF report")


def test_annotation_without_location():
    assert annotation("notice", "hello", file=None, line=None) == "::notice::hello"

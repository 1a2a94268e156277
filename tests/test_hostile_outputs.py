"""Hostile log values through EVERY output: one fixture whose client ids, part numbers, rejected
lines and file name carry what breaks out of each format, rendered by the real CLI into every
report file, every standard-output format, `inspect` and a baseline; each output is then read
back with a real parser for its format and must hold only inert text."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import every_output

from analyzer.render import html_assets

# One value per way out of a format; all of them go into the client id and the part number.
PAYLOADS = {
    "script": "<script>alert(1)</script>",
    "attribute": '"><img src=x onerror=alert(1)>',
    "link": "[click](javascript:alert(1)) <a href='javascript:alert(2)'>a</a>",
    "markdown": "| cell | @octocat *bold* # heading",
    "backticks": "``x` ```",
    "ansi": "\x1b[31mred\x1b]0;title\x07\x1b]8;;http://evil\x1b\\link\x9b2J",
    "bidi": "abc\u202edcba\u2066iso\u2069",
    "xml": "]]><x a='1'/>&amp;<!--",
    "workflow": "%0A::error file=x::pwned\n::warning::two",
    "newline": "one\ntwo\r\nthree\u2028four",
}
CLIENT = "acme " + "".join(PAYLOADS.values())
PART = "SKU-1 " + "".join(PAYLOADS[k] for k in ("attribute", "bidi", "xml", "backticks"))
FILE_NAME = "calls <b>, 100%: x.ndjson"
# Characters no output may carry raw: they act on the terminal or the viewer.
ACTIVE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _log(directory: Path) -> Path:
    rows = [{"timestamp": f"2026-11-16T09:{i:02d}:00Z", "operation": "checkInventory",
             "client_id": CLIENT, "part_number": PART} for i in range(8)]
    lines = [json.dumps(row) for row in rows]
    lines.append(json.dumps({"timestamp": "not a time " + CLIENT, "operation": "x"}))
    lines.append("{broken " + CLIENT)
    path = directory / FILE_NAME
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> dict[str, str]:
    """Every output of the hostile log, by name."""
    work = tmp_path_factory.mktemp("hostile")
    return every_output(work, [_log(work).name])


class _Elements(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.meta_csp: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "meta" and dict(attrs).get("http-equiv") == "Content-Security-Policy":
            self.meta_csp.append(dict(attrs)["content"])

    def handle_data(self, data):
        self.text.append(data)


def check_html(text: str) -> None:
    parser = _Elements()
    parser.feed(text)
    names = [tag for tag, _ in parser.tags]
    assert names.count("script") == 1 and "img" not in names and "x" not in names
    assert "a" not in names or all(not (attrs.get("href") or "").lower().startswith("javascript")
                                   for tag, attrs in parser.tags if tag == "a")
    assert not [name for _, attrs in parser.tags for name in attrs if name.startswith("on")]
    assert parser.meta_csp == [html_assets()["csp"]]
    csp = parser.meta_csp[0]
    assert "unsafe-inline" not in csp and csp.startswith("default-src 'none'")
    body = "".join(parser.text)
    assert PAYLOADS["script"] in body and "<img src=x onerror=alert(1)>" in body  # as text


def check_json(text: str) -> None:
    data = json.loads(text)
    clients = {c["client_id"] for c in data["clients"]}
    assert CLIENT in clients  # values round-trip exactly
    assert data["findings"][0]["key"]["part_number"] == PART


def check_sarif(text: str) -> None:
    data = json.loads(text)
    (run,) = data["runs"]
    assert run["results"][0]["properties"]["client_id"] == CLIENT
    for result in run["results"]:
        # `[text](n)` is a link in a SARIF message: every bracket of a log value is escaped.
        assert not re.search(r"(?<!\\)\]\(", result["message"]["text"])


def check_junit(text: str) -> None:
    root = ET.fromstring(text.encode("utf-8"))
    tags = {element.tag for element in root.iter()}
    assert tags <= {"testsuites", "testsuite", "properties", "property", "testcase", "failure",
                    "system-out"}
    names = {case.get("name") for case in root.iter("testcase")}
    assert any(name.startswith("acme <script>alert(1)</script>") for name in names)


def check_markdown(text: str) -> None:
    outside = re.sub(r"(`+)(?:(?!\1).)+?\1", "", text)  # code spans removed
    outside = re.sub(r"(?ms)^(`{3,})text\n.*?^\1$", "", outside)  # and fenced blocks
    for needle in ("<script", "<img", "](javascript", "@octocat", "<a href", "<x a="):
        assert needle not in outside
    lines = text.splitlines()
    for start, header in enumerate(lines):  # every table keeps its cells, whatever the values
        if header.startswith("|") and (start == 0 or not lines[start - 1].startswith("|")):
            cells = len(re.findall(r"(?<!\\)\|", header))
            rows = [line for line in lines[start:] if line.startswith("|")]
            rows = rows[:next((i for i, line in enumerate(lines[start:])
                               if not line.startswith("|")), len(rows))]
            assert all(len(re.findall(r"(?<!\\)\|", row)) == cells for row in rows), header


def check_github(text: str) -> None:
    commands = [line for line in text.splitlines() if line.startswith("::")]
    assert commands and all(re.match(r"^::(error|warning|notice)( [^:]*)?::", c) for c in commands)
    # One command per finding: nothing a value carried started a command of its own.
    assert len(commands) == text.count("\n::") + (text.startswith("::"))
    assert all("\n" not in c for c in commands)
    assert not any(line.lstrip().startswith("::") and line not in commands
                   for line in text.splitlines())


def check_rejects(text: str) -> None:
    assert text.isascii()
    rows = [json.loads(line) for line in text.splitlines()]
    assert {row["file"] for row in rows} == {FILE_NAME}
    assert any(CLIENT in row["value"] for row in rows)


def check_inspect_json(text: str) -> None:
    data = json.loads(text)
    assert data["files"][0]["file"].endswith(FILE_NAME)


def check_baseline(text: str) -> None:
    data = json.loads(text)
    assert {entry["client_id"] for entry in data["findings"]} == {CLIENT}


def check_plain(text: str) -> None:
    assert "\\x1b[31mred" in text  # the escape is shown, not obeyed


CHECKS = {
    "text": check_plain, "json": check_json, "html": check_html, "md": check_markdown,
    "sarif": check_sarif, "junit": check_junit, "github": check_github,
    "rejects": check_rejects, "inspect-text": check_plain, "inspect-json": check_inspect_json,
    "baseline": check_baseline,
}


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_hostile_values_come_out_inert(outputs, name):
    text = outputs[name]
    assert not ACTIVE.search(text), f"{name}: raw control or bidi character {ACTIVE.search(text)}"
    CHECKS[name](text)


def test_every_output_format_is_covered(outputs):
    from analyzer.formats import FORMATS

    names = {f.flag or f.name for f in FORMATS} | {"inspect-text", "inspect-json", "baseline"}
    assert names == set(CHECKS) == set(outputs)

"""Every output format, declared once: its renderer, the flag that writes it to a file, and what
it is for. The CLI builds `--format` and the file flags from this table."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from analyzer.annotations import render_github
from analyzer.junit import render_junit
from analyzer.markdown import render_markdown
from analyzer.model import Report
from analyzer.render import render_html, render_json, render_rejects, render_text
from analyzer.sarif import render_sarif


@dataclass(frozen=True)
class Format:
    name: str
    render: Callable[[Report], str]
    flag: str | None  # --FLAG PATH writes it to a file; None: standard output only
    doc: str


FORMATS: tuple[Format, ...] = (
    Format("text", render_text, None, "the terminal summary"),
    Format("json", render_json, "json", "the JSON report (docs/report.schema.json)"),
    Format("html", render_html, "html", "the HTML report, one self-contained file"),
    Format("markdown", render_markdown, "md",
           "a Markdown summary (pull-request comments, $GITHUB_STEP_SUMMARY)"),
    Format("sarif", render_sarif, "sarif", "SARIF 2.1.0 (code scanning)"),
    Format("junit", render_junit, "junit", "JUnit XML (a test case per rule and client)"),
    Format("github", render_github, None,
           "GitHub Actions annotations, then the terminal summary"),
    Format("rejects", render_rejects, "rejects",
           "every rejected input line as NDJSON (file, line, reason, value; ASCII-escaped)"),
)
BY_NAME = {f.name: f for f in FORMATS}
FILE_FORMATS = tuple(f for f in FORMATS if f.flag)

"""The Markdown summary for pull-request comments and `$GITHUB_STEP_SUMMARY`.

Markdown has no autoescape, so this environment makes one: every `{{ value }}` the template
prints is escaped as text unless a filter has already made it safe (`code` for log values,
`text` for prose). Log values become code spans, which no Markdown renderer turns into links,
@mentions, emphasis or HTML; `|` and line breaks are neutralised so a value cannot break out
of its table cell or row.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import escape

from analyzer import view
from analyzer.model import Report
from analyzer.render import terminal_safe

MAX_FINDING_ROWS = 50  # a PR comment holds 65,536 characters
MAX_CLIENT_ROWS = 20
MAX_CELL_CHARS = 80
# What can start markup inline: emphasis, code, links and images, HTML, table cells,
# strikethrough, @mentions and autolinked e-mail addresses, math; `#` for a heading.
_PUNCTUATION = re.compile(r"([\\`*_\[\]<>#|~@$])")
_NEWLINES = re.compile(r"\r\n|\r|\n")


class Safe(str):
    """Text already escaped for Markdown."""


def text(value: Any) -> Safe:
    """Prose or a number, inert: punctuation backslash-escaped, `&` as an entity, one line."""
    if isinstance(value, Safe):
        return value
    flat = terminal_safe(_NEWLINES.sub(" ", str(value)))
    return Safe(_PUNCTUATION.sub(r"\\\1", flat.replace("&", "&amp;")))


def code(value: Any, limit: int = MAX_CELL_CHARS) -> Safe:
    """A log value as a code span that stays inside its table cell."""
    raw = str(view.shown(value))
    raw = raw if len(raw) <= limit else raw[:limit] + "…"
    flat = terminal_safe(_NEWLINES.sub("\\\\n", raw)).replace("|", "\\|")
    longest = max((len(run) for run in re.findall(r"`+", flat)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") or not flat.strip() else ""
    return Safe(f"{fence}{pad}{flat}{pad}{fence}")


def block(value: Any) -> Safe:
    """Multi-line text as a fenced code block that nothing inside can close early."""
    body = terminal_safe_lines(str(value)).rstrip("\n")
    longest = max((len(run) for run in re.findall(r"`{3,}", body)), default=2)
    fence = "`" * (longest + 1)
    return Safe(f"{fence}text\n{body}\n{fence}")


def terminal_safe_lines(value: str) -> str:
    return "\n".join(terminal_safe(line) for line in _NEWLINES.split(value))


def html(value: Any) -> Safe:
    """Text inside an HTML tag, where Markdown escapes do not apply."""
    return Safe(str(escape(terminal_safe(_NEWLINES.sub(" ", str(value))))))


def _finalize(value: Any) -> Any:
    if isinstance(value, Safe) or value is None:
        return value
    if isinstance(value, bool | int | float):
        return str(value)
    return text(value)


@cache
def _environment() -> Environment:
    env = Environment(loader=PackageLoader("analyzer", "templates"), undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                      autoescape=False, finalize=_finalize)
    env.filters.update(code=code, text=text, block=block, html=html,
                       number=lambda n: Safe(f"{n:,}"),
                       rate=lambda r: Safe(f"{r:,.0f}" if r >= 10 or r == 0 else f"{r:.1f}"),
                       when=lambda iso: Safe(iso[:16].replace("T", " ") if iso else "-"))
    return env


def render_markdown(report: Report) -> str:
    context = view.build(report.to_dict())
    findings = context["report"]["findings"]
    rows = [view.row(f) for f in findings[:MAX_FINDING_ROWS]]
    return _environment().get_template("report.md.j2").render(
        **context, finding_rows=rows, findings_hidden=max(len(findings) - len(rows), 0),
        verdict_rows=context["flagged_clients"][:MAX_CLIENT_ROWS],
        verdict_hidden=max(len(context["flagged_clients"]) - MAX_CLIENT_ROWS, 0),
    )

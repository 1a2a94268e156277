"""Renderers: the report's one dict in, text out. JSON is the dict itself; HTML is a Jinja
template over the view; the terminal summary is short Python over the same view. Log values
are untrusted: HTML autoescapes them, the terminal strips control characters from them."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from functools import cache
from importlib.resources import files
from typing import Any

import click
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from analyzer import view
from analyzer.durations import format_duration
from analyzer.model import Report
from analyzer.severity import Severity

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
# What JSON may carry raw but a terminal or editor acts on (C1 controls such as the 8-bit CSI,
# line separators, bidi overrides): written as \u escapes, so the JSON still round-trips exactly.
_INERT_IN_JSON = re.compile("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_COLOURS = {"critical": "red", "warning": "yellow", "info": "cyan", "ok": "green",
            "suppressed": "blue"}


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("analyzer", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html.j2", "html"),
                                     default_for_string=True, default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=_visible,
    )
    env.filters.update(duration=format_duration, number=_number, percent=_percent,
                       when=_when, safe_href=_safe_href, rate=_rate, clip=view.clip,
                       shown=view.shown,
                       rank=lambda label: int(Severity.parse(label)))
    return env


def _visible(value: Any) -> Any:
    """Every printed value with control and bidi characters shown as escapes, as on the
    terminal: an ANSI sequence or a right-to-left override in a log cannot disguise the text
    around it in the page. Markup (the report's own style and script) is left alone."""
    return terminal_safe(value) if isinstance(value, str) and not isinstance(value, Markup) \
        else value


def _number(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else f"{value:,.2f}"


def _rate(value: float) -> str:
    """A rate a day: whole numbers once they are large, one decimal while they are small."""
    if value >= 10 or value == 0:
        return f"{value:,.0f}"
    return f"{value:.1f}"


def _percent(value: float) -> str:
    return f"{value * 100:.1f}%"


def _when(iso: str | None) -> str:
    """2026-11-23T09:00:00.000Z -> 2026-11-23 09:00:00 (UTC throughout the report)."""
    return iso[:19].replace("T", " ") if iso else "-"


def _safe_href(url: str) -> str:
    """Only http(s) links are links; anything else (javascript:, data:) becomes inert text."""
    return url if re.match(r"^https?://", url, re.IGNORECASE) else "#"


def json_text(data: Any) -> str:
    """Indented UTF-8 JSON in which no log value can act on the terminal that shows it."""
    text = json.dumps(data, indent=2, ensure_ascii=False)
    return _INERT_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text) + "\n"


def render_json(report: Report) -> str:
    return json_text(report.to_dict())


def render_rejects(report: Report) -> str:
    """Every rejected line as NDJSON: file, line, reason and the offending text. ASCII-only
    JSON, so no control character, escape sequence or bidi override of the log survives."""
    return "".join(json.dumps(r.to_dict(), ensure_ascii=True) + "\n" for r in report.rejects)


def render_html(report: Report) -> str:
    return html_from_dict(report.to_dict())


def html_from_dict(data: dict[str, Any]) -> str:
    """The HTML report of a report's dict (as `Report.to_dict()` gives it)."""
    template = _environment().get_template("report.html.j2")
    return template.render(**view.build(data), assets=html_assets())


@cache
def html_assets() -> dict[str, Any]:
    """The report's own style and script, and a Content-Security-Policy that allows exactly
    them by hash: nothing else may run or load, whatever a log value smuggles into the page."""
    style = _asset("report.css")
    script = _asset("report.js")
    csp = (f"default-src 'none'; style-src '{_sha256(style)}'; script-src '{_sha256(script)}'; "
           "img-src 'none'; base-uri 'none'; form-action 'none'")
    return {"style": Markup(style), "script": Markup(script), "csp": csp}


def _asset(name: str) -> str:
    return files("analyzer").joinpath("templates", name).read_text(encoding="utf-8")


def _sha256(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "sha256-" + base64.b64encode(digest).decode("ascii")


def terminal_safe(value: Any) -> str:
    """A log-derived value with control characters (ANSI escapes, bidi overrides) made visible."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(value))


def render_text(report: Report, colour: bool = False) -> str:
    context = view.build(report.to_dict())
    lines = [*_text_header(context), *_text_notices(context), ""]
    for client in context["flagged_clients"]:
        lines.extend(_text_client(client, colour))
    healthy = sorted(c["client_id"] for c in context["clients"] if not c["findings"])
    if healthy:
        lines.append("no anti-patterns: " + ", ".join(terminal_safe(c) for c in healthy))
        lines.append("")
    lines.extend(_text_gate(context))
    lines.extend(_text_footer(context, colour))
    return "\n".join(lines) + "\n"


def _text_header(context: dict[str, Any]) -> list[str]:
    s = context["summary"]
    span = s["time_span"]
    rejected = _reasons(s["rejected_by_reason"])
    skipped = _reasons(s["skipped_by_reason"])
    return [
        f"trafficlint {context['report']['tool']['version']}: {s['files']} file"
        f"{'s' if s['files'] != 1 else ''}, {_plural(s['rows_analysed'], 'call')} from {s['clients']} "
        f"client{'s' if s['clients'] != 1 else ''}, {_when(span['first'])} to "
        f"{_when(span['last'])} UTC",
        f"  lines read {s['lines_read']:,}: analysed {s['rows_analysed']:,}, rejected "
        f"{s['rows_rejected']:,}{rejected}, skipped {s['lines_skipped']:,}{skipped}",
    ]


def _text_notices(context: dict[str, Any]) -> list[str]:
    return [f"  note: {terminal_safe(notice)}" for notice in context["report"]["notices"]]


def _reasons(counts: dict[str, int]) -> str:
    if not counts:
        return ""
    return " (" + "; ".join(f"{terminal_safe(r)}: {n:,}" for r, n in counts.items()) + ")"


def _text_client(client: dict[str, Any], colour: bool) -> list[str]:
    worst = client["worst"]
    per_day = "per day (projected)" if client["projected"] else "per day"
    lines = [
        f"{_style(terminal_safe(client['client_id']), bold=True, on=colour)}  "
        f"{_plural(client['calls'], 'call')}, {_plural(client['errors'], 'error')}  "
        f"{_style(worst, _COLOURS[worst], on=colour)}: {client['step_text']}",
        f"  {per_day}: {_plural(round(client['calls_per_day']), 'call')}, "
        f"{_plural(round(client['errors_per_day']), 'error')}; avoidable: "
        f"{_plural(client['avoidable_calls'], 'call')} ({_percent(client['avoidable_share'])}), "
        f"{_plural(client['avoidable_errors'], 'error')}",
    ]
    for f in client["findings"]:
        lines += _text_finding(f, colour)
    return [*lines, ""]


def _text_finding(f: dict[str, Any], colour: bool) -> list[str]:
    key = view.key_text(f["key"], safe=terminal_safe)
    label = _style(f"{f['severity'].upper():<8}", _COLOURS[f["severity"]], on=colour)
    status = f" [{f['baseline']}]" if f["baseline"] else ""
    lines = [
        f"  {label} {f['rule']} {f['name']}/{f['check']}{status}  {key}".rstrip(),
        f"           {terminal_safe(f['message'])}",
        f"           {_plural(f['count'], 'call')} {_when(f['first_seen'])} to "
        f"{_when(f['last_seen'])}; measured {f['measured']['text']} "
        f"(limit: {f['measured']['limit']})",
        f"           at {_locations(f)}",
    ]
    if f["suppressed"]:
        lines.append(f"           suppressed until {f['suppressed']['expires']}"
                     f"{_owner(f['suppressed'])}: {terminal_safe(f['suppressed']['reason'])}")
    return lines


def _owner(entry: dict[str, Any]) -> str:
    return f" by {terminal_safe(entry['owner'])}" if entry["owner"] else ""


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _locations(finding: dict[str, Any]) -> str:
    """file:12, :13, other:4 - the file name is written once per run of the same file."""
    shown, previous = [], None
    for e in finding["evidence"]:
        name = terminal_safe(e["file"])
        shown.append(f"{name}:{e['line']}" if name != previous else f":{e['line']}")
        previous = name
    more = finding["evidence_total"] - len(shown)
    return ", ".join(shown) + (f" and {more:,} more" if more > 0 else "")


def _text_gate(context: dict[str, Any]) -> list[str]:
    """The baseline comparison and the suppressions that need attention."""
    lines = []
    baseline = context["baseline"]
    if baseline is not None:
        lines.append(f"baseline {terminal_safe(baseline['file'])}: {baseline['new']} new, "
                     f"{baseline['worsened']} worsened, {baseline['unchanged']} unchanged, "
                     f"{len(baseline['fixed'])} fixed (of {baseline['recorded']} recorded)")
        lines += [f"  fixed: {e['rule']} {terminal_safe(e['client_id'])} "
                  f"{view.key_text(e['key'], safe=terminal_safe)}".rstrip()
                  for e in baseline["fixed"]]
    suppressions = context["suppressions"]
    notes = {"expired": "expired {expires}, no longer suppressing",
             "unused": "matched no finding (remove it?)",
             "rule-not-run": "not applied, its rule did not run"}
    for state, note in notes.items():
        for e in suppressions[state]:
            lines.append(f"suppression {note.format(expires=e['expires'])}: {e['rule']} "
                         f"{terminal_safe(e['client_id'])} "
                         f"{view.key_text(e['key'], safe=terminal_safe)}".rstrip()
                         + f" ({terminal_safe(e['where'])})")
    return [*lines, ""] if lines else []


def _text_footer(context: dict[str, Any], colour: bool) -> list[str]:
    s = context["summary"]
    counts = ", ".join(f"{n} {level}" for level, n in s["findings_by_severity"].items())
    if s["suppressed"]:
        counts += f"; {s['suppressed']} suppressed"
    verdict = context["verdict"]
    status = _style(verdict["status"].upper(), "red" if verdict["failed"] else "green", on=colour)
    lines = [f"findings: {counts} (fail on {verdict['fail_on']}: {status})"]
    if (s["baseline"] is not None or s["suppressed"]) and verdict["fail_on"] != "never":
        lines.append(f"gate: {verdict['gate']}")
    if s["findings"]:
        ids = sorted({f["rule"] for f in context["report"]["findings"]})
        lines.append(f"how to fix: trafficlint explain {ids[0]}" +
                     (f" (also {', '.join(ids[1:])})" if len(ids) > 1 else ""))
    return lines


def _style(text: str, fg: str | None = None, bold: bool = False, on: bool = False) -> str:
    return click.style(text, fg=fg, bold=bold) if on else text

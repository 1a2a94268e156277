"""The Markdown summary: golden wording, and log values that cannot break out of their cell,
their row or their code span, nor become links, mentions or HTML."""

from __future__ import annotations

import re

from conftest import golden, run_check

from analyzer.markdown import MAX_FINDING_ROWS, Safe, block, code, render_markdown, text

UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


def table_rows(markdown: str, header: str) -> list[str]:
    lines = markdown.splitlines()
    start = lines.index(header)
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        rows.append(line)
    return rows


def test_golden_markdown(report):
    golden("report.md", render_markdown(report))


def test_hostile_values_stay_in_their_cells(hostile_report):
    markdown = render_markdown(hostile_report)
    header = "| Severity | Rule | Client | Key | Measured | Limit | Calls | First at |"
    rows = table_rows(markdown, header)
    assert len(rows) == 2 + len(hostile_report.findings)  # header, rule, one line per finding
    cells = len(UNESCAPED_PIPE.findall(header))
    assert all(len(UNESCAPED_PIPE.findall(row)) == cells for row in rows)
    finding = rows[2]
    assert "\x1b" not in finding and "\\x1b" in finding
    # Every log value sits in a code span, which renders no link, mention, emphasis or tag:
    # outside the spans nothing of the hostile values is left.
    spans, outside = code_spans(finding)
    assert any(span.startswith("<script>alert(1)</script>") for span in spans)
    assert any("``x`" in span for span in spans)
    for needle in ("<script", "<img", "@octocat", "[link]", "*bold*", "::error"):
        assert needle not in outside


def code_spans(line: str) -> tuple[list[str], str]:
    """CommonMark code spans: a run of N backticks up to the next run of exactly N."""
    spans, outside, i = [], [], 0
    while i < len(line):
        run = re.match(r"`+", line[i:])
        if not run:
            outside.append(line[i])
            i += 1
            continue
        fence = run.group()
        close = re.compile(rf"(?<!`){fence}(?!`)").search(line, i + len(fence))
        assert close, f"unclosed code span at {i}: {line}"
        spans.append(line[i + len(fence):close.start()].strip(" "))
        i = close.end()
    return spans, "".join(outside)


def test_code_spans_hold_any_value():
    assert code("a|b") == "`a\\|b`"
    assert code("``x`") == "``` ``x` ```"
    assert code("one\ntwo\r\nthree") == "`one\\ntwo\\nthree`"
    assert code("<b>@octocat</b>") == "`<b>@octocat</b>`"
    assert code(None) == "`(none)`"
    assert code("x" * 100) == "`" + "x" * 80 + "…`"
    assert code("\x1b[31m") == "`\\x1b[31m`"


def test_text_is_escaped_unless_already_safe():
    assert text("[a](javascript:x) <b> @me *x* | #") == (
        "\\[a\\](javascript:x) \\<b\\> \\@me \\*x\\* \\| \\#")
    assert text("a & b\nc") == "a &amp; b c"
    assert text(Safe("*kept*")) == "*kept*"


def test_fenced_blocks_cannot_be_closed_from_inside():
    assert block("x\n```\ny") == "````text\nx\n```\ny\n````"


def test_long_reports_are_capped(tmp_path):
    rows = [f'{{"timestamp": "2026-11-16T09:{m:02d}:00Z", "operation": "orderStatus", '
            f'"client_id": "c", "order_id": "SO{i}", "error_code": "100", '
            f'"error_message": "Order SO{i} not found"}}'
            for i in range(60) for m in range(3)]
    log = tmp_path / "many.ndjson"
    log.write_text("\n".join(rows) + "\n")
    report = run_check([log], select=("NUV-002",))
    assert len(report.findings) > MAX_FINDING_ROWS
    markdown = render_markdown(report)
    shown = table_rows(markdown, "| Severity | Rule | Client | Key | Measured | Limit | Calls | "
                                 "First at |")[2:]
    assert len(shown) == MAX_FINDING_ROWS
    assert f"{len(report.findings) - MAX_FINDING_ROWS} more of {len(report.findings)} findings" \
        in markdown

"""The progress bar: drawn on a terminal once a run is older than a moment, never otherwise."""

from __future__ import annotations

import io

from analyzer.progress import SILENT, TerminalProgress


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_long_run_draws_each_stage_on_a_terminal():
    stream, clock = FakeTerminal(), Clock()
    progress = TerminalProgress(stream, delay=0.5, clock=clock)
    progress.stage("reading logs", 1000)
    progress.advance(400)
    assert stream.getvalue() == ""  # not yet: short runs stay quiet
    clock.now = 1.0
    progress.advance(600)
    progress.stage("running rules", 3)
    progress.advance()
    progress.close()
    shown = stream.getvalue()
    assert "reading logs" in shown and "100%" in shown
    assert "running rules" in shown


def test_a_short_run_draws_nothing():
    stream = FakeTerminal()
    progress = TerminalProgress(stream, delay=0.5, clock=lambda: 0.0)
    progress.stage("reading logs", 10)
    progress.advance(10)
    progress.close()
    assert stream.getvalue() == ""


def test_not_a_terminal_draws_nothing():
    stream = io.StringIO()
    progress = TerminalProgress(stream, delay=0.0)
    progress.stage("reading logs", 10)
    progress.advance(10)
    progress.close()
    assert stream.getvalue() == ""
    SILENT.stage("x", 1)
    SILENT.advance()
    SILENT.close()

"""Progress of a long run on standard error: reading the logs (by bytes), then running the
detectors. Shown only on a terminal and only once a run has taken a moment, so short runs and
CI logs stay clean."""

from __future__ import annotations

import time
from typing import IO, Any

import click


class Progress:
    """The silent default: what the loaders and the engine report to."""

    def stage(self, label: str, total: int) -> None:
        """Start a stage of `total` units (bytes, detectors)."""

    def advance(self, amount: int = 1) -> None:
        """`amount` more units of the current stage are done."""

    def close(self) -> None:
        """The run is over: clear the bar."""


SILENT = Progress()


class TerminalProgress(Progress):
    """A click progress bar per stage, drawn once the run is older than `delay` seconds."""

    def __init__(self, stream: IO[str], delay: float = 0.5, clock=time.monotonic):
        self.stream, self.delay, self.clock = stream, delay, clock
        self.shown = stream.isatty()  # click would still print the label on a pipe
        self.started = clock()
        self.bar: Any = None
        self.label, self.total, self.done = "", 0, 0

    def stage(self, label: str, total: int) -> None:
        self.close()
        self.label, self.total, self.done = label, max(total, 1), 0

    def advance(self, amount: int = 1) -> None:
        self.done += amount
        if self.bar is None and self.shown and self.clock() - self.started >= self.delay:
            self.bar = click.progressbar(length=self.total, label=self.label, file=self.stream,
                                         show_eta=False, width=30)
            self.bar.update(self.done - amount)
        if self.bar is not None:
            self.bar.update(amount)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.render_finish()
            self.bar = None

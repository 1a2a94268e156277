"""Errors that end a run with exit code 2: bad usage, config, rules or input.

Each carries the place (file, key or line) and what was expected, so the message alone is
enough to fix the problem. Several errors are collected and raised together so that a user
fixes a rule file in one pass, not one complaint at a time.
"""

from __future__ import annotations


class TrafficlintError(Exception):
    """A problem the user must fix; the CLI prints every message and exits 2."""

    def __init__(self, messages: list[str] | str):
        self.messages = [messages] if isinstance(messages, str) else list(messages)
        super().__init__("\n".join(self.messages))


def place(file: str, key: str | None = None, line: int | None = None) -> str:
    """Format where a problem is: `file:line: key` with the parts that are known."""
    where = f"{file}:{line}" if line is not None else file
    return f"{where}: {key}" if key else where


class RuleError(TrafficlintError):
    """A rule file is invalid."""


class ConfigError(TrafficlintError):
    """The trafficlint.yaml config file is invalid."""


class InputError(TrafficlintError):
    """A log file cannot be read at all (as opposed to single rows, which are counted as rejects)."""

"""Severity levels, ordered, and the escalation step of the provider each one resembles."""

from __future__ import annotations

from enum import IntEnum


class Severity(IntEnum):
    INFO = 1
    WARNING = 2
    CRITICAL = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: object) -> Severity:
        if isinstance(text, str) and text.upper() in cls.__members__:
            return cls[text.upper()]
        raise ValueError(f"expected one of: {', '.join(LEVELS)}, got {text!r}")


LEVELS = tuple(level.label for level in Severity)

# How the provider's escalation ladder reads each level (status page; nuvias-order-api.md 8.2).
ESCALATION = {
    Severity.INFO: "hygiene: no provider action expected",
    Severity.WARNING: "likely to raise a query with your technical team",
    Severity.CRITICAL: "continuous traffic: risks a call from the provider's technical team, "
                       "a short-term blacklist, or loss of API access",
}

FAIL_ON_CHOICES = (*LEVELS, "never")


def fail_threshold(fail_on: str) -> Severity | None:
    """The lowest severity that fails the run; None for `never`."""
    return None if fail_on == "never" else Severity.parse(fail_on)

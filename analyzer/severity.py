"""Severity levels, ordered, and the provider's escalation ladder they are read against."""

from __future__ import annotations

from dataclasses import dataclass
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

FAIL_ON_CHOICES = (*LEVELS, "never")


def fail_threshold(fail_on: str) -> Severity | None:
    """The lowest severity that fails the run; None for `never`."""
    return None if fail_on == "never" else Severity.parse(fail_on)


DAY = 86400.0

# The provider's escalation ladder (status page), step by step; `provider.py` says which step a
# client's traffic resembles.
LADDER: tuple[tuple[str, str], ...] = (
    ("none", "nothing the provider's monitoring would single out"),
    ("query", "a query to your technical team"),
    ("contact", "a call from the provider's technical team"),
    ("restriction", "a short-term blacklist"),
    ("withdrawal", "loss of API access"),
)


@dataclass(frozen=True)
class Escalation:
    """How long critical traffic runs before it resembles the ladder's later steps (ours: the
    provider gives no durations)."""

    restriction_after: float = DAY  # seconds
    withdrawal_after: float = 3 * DAY

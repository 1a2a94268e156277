"""Durations as rule and config authors write them (`90s`, `15m`, `1h30m`, `7d`) and as
reports show them (`14 min`, `3 h 20 min`); both forms are accepted, so a threshold copied
from a report or from `trafficlint explain` works in the config file."""

from __future__ import annotations

import re

# Unit words, longest first so that `ms` is not read as `m`, `min` not as `m` then garbage.
_UNIT_WORDS = {
    "milliseconds": 0.001, "millisecond": 0.001, "ms": 0.001,
    "seconds": 1, "second": 1, "secs": 1, "sec": 1, "s": 1,
    "minutes": 60, "minute": 60, "mins": 60, "min": 60, "m": 60,
    "hours": 3600, "hour": 3600, "hrs": 3600, "hr": 3600, "h": 3600,
    "days": 86400, "day": 86400, "d": 86400,
    "weeks": 604800, "week": 604800, "w": 604800,
}
_UNIT = "|".join(sorted(_UNIT_WORDS, key=len, reverse=True))
_PART = re.compile(rf"(\d+(?:\.\d+)?)\s*({_UNIT})(?![a-z])")
_WHOLE = re.compile(rf"^(?:\d+(?:\.\d+)?\s*(?:{_UNIT})(?![a-z])\s*)+$")
_DISPLAY_UNITS = (("d", 86400), ("h", 3600), ("min", 60), ("s", 1))


def parse_duration(text: object) -> float:
    """Seconds in a duration string; raise ValueError with the accepted forms otherwise."""
    written = text.strip().lower() if isinstance(text, str) else None
    if written is None or not _WHOLE.match(written):
        raise ValueError(
            f"expected a duration such as 90s, 15m, 1h30m or 7d (units ms, s, m, h, d, w), "
            f"got {text!r}"
        )
    seconds = sum(float(n) * _UNIT_WORDS[unit] for n, unit in _PART.findall(written))
    if seconds <= 0:
        raise ValueError(f"expected a duration above zero, got {text!r}")
    return seconds


def format_duration(seconds: float | None) -> str:
    """Human form of a number of seconds, at most two units: `45 s`, `14 min`, `2 d 3 h`."""
    if seconds is None:
        return "-"
    if seconds == 0:
        return "0 s"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 59.5:
        return f"{seconds:.0f} s" if seconds >= 10 else f"{seconds:.1f} s".replace(".0 s", " s")
    whole = round(seconds)
    for index, (name, size) in enumerate(_DISPLAY_UNITS[:-1]):
        # "36 h" reads better than "1 d 12 h"; days start at two.
        if whole >= size and not (name == "d" and whole < 2 * size):
            minor_name, minor_size = _DISPLAY_UNITS[index + 1]
            minor = (whole % size) // minor_size
            major = f"{whole // size} {name}"
            return f"{major} {minor} {minor_name}" if minor else major
    return f"{whole} s"

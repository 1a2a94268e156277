"""Durations as rule and config authors write them (`90s`, `15m`, `1h30m`, `7d`) and as
reports show them (`14 min`, `3 h 20 min`)."""

from __future__ import annotations

import re

_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)")
_DISPLAY_UNITS = (("d", 86400), ("h", 3600), ("min", 60), ("s", 1))
_WHOLE = re.compile(r"^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d|w))+$")


def parse_duration(text: object) -> float:
    """Seconds in a duration string; raise ValueError with the accepted forms otherwise."""
    if isinstance(text, bool) or not isinstance(text, str) or not _WHOLE.match(text.strip()):
        raise ValueError(
            f"expected a duration such as 90s, 15m, 1h30m or 7d (units ms, s, m, h, d, w), "
            f"got {text!r}"
        )
    seconds = sum(float(n) * _UNITS[unit] for n, unit in _PART.findall(text.strip()))
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

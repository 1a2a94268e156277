"""Announced maintenance windows from the config file: absolute (`start`/`end` instants) or
recurring (`days` with `from`/`to` wall-clock times in a time zone). The engine names the
window every call falls in (`maintenance_window`), so rules can look at storms inside windows
and leave faults inside them out of error-volume rules.

    maintenance:
      - name: NetSuite 2026.2 upgrade
        start: 2026-11-18T02:00:00Z
        end: 2026-11-18T02:30:00Z
      - name: Weekly gateway patching
        days: [sun]
        from: "23:00"          # a window may cross midnight
        to: "01:30"
        timezone: Europe/London
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import polars as pl

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_GROUPS = {"daily": DAYS, "weekdays": DAYS[:5], "weekends": DAYS[5:]}
KEYS = ("name", "start", "end", "days", "from", "to", "timezone")
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True)
class Window:
    name: str
    start: datetime | None = None  # absolute windows: UTC instants, end exclusive
    end: datetime | None = None
    days: tuple[int, ...] = ()  # recurring windows: ISO weekdays (Monday 1) the window opens
    opens: int = 0  # seconds after local midnight
    closes: int = 0  # may be earlier than `opens`: the window runs past midnight
    timezone: str = "UTC"

    def describe(self) -> str:
        if self.start is not None and self.end is not None:
            return f"{_utc(self.start)} to {_utc(self.end)} UTC"
        days = ", ".join(DAYS[d - 1] for d in self.days)
        return f"{days} {_clock(self.opens)}-{_clock(self.closes)} {self.timezone}"


def _utc(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


def _clock(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


Fail = Callable[[str, str], None]


def parse_windows(value: Any, key: str, fail: Fail) -> tuple[Window, ...]:
    """Check the `maintenance:` list; report each problem as (key path, message)."""
    if not isinstance(value, list):
        fail(key, "expected a list of windows, each {name, start, end} or "
                  "{name, days, from, to, timezone}")
        return ()
    windows = []
    for index, spec in enumerate(value):
        window = _window(spec, f"{key}[{index}]", fail)
        if window is not None:
            windows.append(window)
    return tuple(windows)


def _window(spec: Any, key: str, fail: Fail) -> Window | None:
    if not isinstance(spec, Mapping):
        fail(key, "expected a mapping with name and either start/end or days/from/to")
        return None
    problems = _Counted(fail)
    for extra in spec:
        if extra not in KEYS:
            problems.fail(f"{key}.{extra}", f"unknown key (expected one of: "
                                                   f"{', '.join(KEYS)})")
    name = spec.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.fail(f"{key}.name", "every window needs a name (e.g. the provider's "
                                            "announcement)")
    absolute = "start" in spec or "end" in spec
    recurring = any(k in spec for k in ("days", "from", "to", "timezone"))
    if absolute == recurring:
        problems.fail(key, "give either start and end (one window) or days, from and to "
                                  "(a recurring window), not both")
        return None
    window = (_absolute(spec, key, problems.fail) if absolute
              else _recurring(spec, key, problems.fail))
    if problems.count or window is None:
        return None
    return Window(name=name.strip(), **window)


class _Counted:
    """Counts the problems reported through it, so a window with any problem is dropped."""

    def __init__(self, fail: Fail):
        self.count = 0
        self._fail = fail

    def fail(self, key: str, message: str) -> None:
        self.count += 1
        self._fail(key, message)


def _absolute(spec: Mapping, key: str, fail: Fail) -> dict | None:
    start = _instant(spec.get("start"), f"{key}.start", fail)
    end = _instant(spec.get("end"), f"{key}.end", fail)
    if start is None or end is None:
        return None
    if end <= start:
        fail(f"{key}.end", "must be later than start")
        return None
    return {"start": start, "end": end}


def _instant(value: Any, key: str, fail: Fail) -> datetime | None:
    """An instant with a UTC offset: YAML's own timestamp or an ISO-8601 string."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            pass
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(ZoneInfo("UTC"))
    if value is None:
        fail(key, "required key is missing")
    elif isinstance(value, datetime | date):
        what = "no offset" if isinstance(value, datetime) else "a date"
        fail(key, f"needs a time and a UTC offset, e.g. 2026-11-18T02:00:00Z, got "
                  f"{value.isoformat()} ({what})")
    else:
        fail(key, f"expected an ISO-8601 instant with an offset, e.g. 2026-11-18T02:00:00Z, "
                  f"got {value!r}")
    return None


def _recurring(spec: Mapping, key: str, fail: Fail) -> dict | None:
    days = _days(spec.get("days"), f"{key}.days", fail)
    opens = _time(spec.get("from"), f"{key}.from", fail)
    closes = _time(spec.get("to"), f"{key}.to", fail)
    zone = spec.get("timezone", "UTC")
    try:
        ZoneInfo(str(zone))
    except (ZoneInfoNotFoundError, ValueError):
        fail(f"{key}.timezone", f"unknown time zone {zone!r} (expected an IANA name such as "
                                f"Europe/London or UTC)")
        return None
    if days is None or opens is None or closes is None:
        return None
    if opens == closes:
        fail(f"{key}.to", "must differ from `from` (a window of no length, or of a whole day)")
        return None
    return {"days": days, "opens": opens, "closes": closes, "timezone": str(zone)}


def _days(value: Any, key: str, fail: Fail) -> tuple[int, ...] | None:
    allowed = f"a list of {', '.join(DAYS)}, or one of {', '.join(DAY_GROUPS)}"
    names = DAY_GROUPS.get(value) if isinstance(value, str) else value
    if value is None:
        fail(key, f"required key is missing (expected {allowed})")
        return None
    if not isinstance(names, list | tuple) or not names or not all(
        isinstance(n, str) and n.lower()[:3] in DAYS for n in names
    ):
        fail(key, f"expected {allowed}, got {value!r}")
        return None
    return tuple(sorted({DAYS.index(n.lower()[:3]) + 1 for n in names}))


def _time(value: Any, key: str, fail: Fail) -> int | None:
    if value is None:
        fail(key, "required key is missing (a time such as '02:00')")
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        # YAML 1.1 reads an unquoted 01:30 as the number 90.
        fail(key, f"write the time in quotes, e.g. '02:00' (YAML read it as the number {value})")
        return None
    match = _TIME.match(str(value).strip())
    if match is None:
        fail(key, f"expected a time of day such as '02:00', got {value!r}")
        return None
    return int(match.group(1)) * 3600 + int(match.group(2)) * 60


def window_name(windows: tuple[Window, ...], timestamp: str = "timestamp") -> pl.Expr:
    """The name of the first window each call falls in, null outside every window."""
    if not windows:
        return pl.lit(None, dtype=pl.String)
    names = None
    for window in windows:
        inside = _inside(window, pl.col(timestamp))
        names = (pl.when(inside) if names is None else names.when(inside)).then(
            pl.lit(window.name))
    return names.otherwise(None)  # type: ignore[union-attr]


def _inside(window: Window, ts: pl.Expr) -> pl.Expr:
    if window.start is not None and window.end is not None:
        return (ts >= window.start) & (ts < window.end)
    local = ts.dt.convert_time_zone(window.timezone)
    seconds = (local.dt.hour().cast(pl.Int32) * 3600 + local.dt.minute().cast(pl.Int32) * 60
               + local.dt.second().cast(pl.Int32))
    weekday = local.dt.weekday().cast(pl.Int32)
    yesterday = (weekday + 5) % 7 + 1
    days = list(window.days)
    if window.opens < window.closes:
        return weekday.is_in(days) & (seconds >= window.opens) & (seconds < window.closes)
    # Past midnight: the evening part opens today, the morning part belongs to yesterday's.
    return ((weekday.is_in(days) & (seconds >= window.opens))
            | (yesterday.is_in(days) & (seconds < window.closes)))


MAX_OCCURRENCES = 500  # for drawing; a year of a daily window, and some


def occurrences(windows: tuple[Window, ...], first: datetime,
                last: datetime) -> list[tuple[str, datetime, datetime]]:
    """(name, start, end) in UTC of every window that overlaps first..last, recurring windows
    expanded day by day in their own time zone; for charts, which shade them."""
    found = []
    for window in windows:
        if window.start is not None and window.end is not None:
            spans = [(window.start, window.end)]
        else:
            spans = _recurring_spans(window, first, last)
        found += [(window.name, start, end) for start, end in spans
                  if start <= last and end > first]
    return sorted(found, key=lambda o: (o[1], o[2], o[0]))[:MAX_OCCURRENCES]


def _recurring_spans(window: Window, first: datetime,
                     last: datetime) -> list[tuple[datetime, datetime]]:
    zone = ZoneInfo(window.timezone)
    length = (window.closes - window.opens) % 86400
    day = first.astimezone(zone).date() - timedelta(days=1)
    spans = []
    while day <= last.astimezone(zone).date() and len(spans) < MAX_OCCURRENCES:
        if day.isoweekday() in window.days:
            opens = datetime.combine(day, time(window.opens // 3600, window.opens % 3600 // 60),
                                     tzinfo=zone).astimezone(UTC)
            spans.append((opens, opens + timedelta(seconds=length)))
        day += timedelta(days=1)
    return spans

"""Chart geometry for the HTML report: the traffic profile's counts in, rectangles, ticks and
labels in SVG user units out. No markup here; `templates/charts.html.j2` draws what this lays
out, so the report needs neither JavaScript nor the network to show its charts.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

from analyzer.durations import format_duration

WIDTH, HEIGHT = 960, 230
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 14, 34
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
MAX_X_LABELS = 8
TICK_STEPS = (300, 900, 1800, 3600, 10800, 21600, 43200, 86400, 172800, 604800, 2592000)
OTHER_PREFIX = "other "
PER = {60: "minute", 3600: "hour", 86400: "day", 604800: "week"}


def per_bucket(seconds: int) -> str:
    """`hour` for 3600, `6 h` for 21600: the words after "calls per"."""
    return PER.get(seconds) or format_duration(seconds)


def time_chart(traffic: dict[str, Any], key: str, unit: str,
               windows: list[dict[str, Any]] = ()) -> dict[str, Any]:
    """Stacked bars over time: one bar per bucket, one stack per series."""
    series = traffic[key]
    count, size = traffic["buckets"], traffic["bucket_seconds"]
    start = _parse(traffic["start"])
    width = PLOT_W / count
    top = _nice_max(max((sum(column) for column in _columns(series, count)), default=0))
    return {
        **_frame(top, unit),
        "legend": _legend(series),
        "bars": _bars(series, count, width, top),
        "hovers": [_hover(start + timedelta(seconds=i * size), size, series, i, width, unit)
                   for i in range(count) if any(s["values"][i] for s in series)],
        "x_labels": _time_labels(start, size, count, width),
        "shades": [s for w in windows if (s := _shade(w, start, size, count, width))],
        "empty": top == 0,
    }


def histogram(gaps: dict[str, Any]) -> dict[str, Any]:
    """Stacked bars per gap bin, with the rule's limit drawn between the short bins and the rest."""
    series, bins = gaps["series"], gaps["bins"]
    width = PLOT_W / len(bins)
    top = _nice_max(max((sum(column) for column in _columns(series, len(bins))), default=0))
    short = sum(1 for b in bins if b["to"] is not None and b["to"] <= gaps["limit"])
    limit_x = _r(LEFT + short * width)
    return {
        **_frame(top, "gaps"),
        "legend": _legend(series),
        "bars": _bars(series, len(bins), width, top),
        "hovers": [_bin_hover(b, series, i, width) for i, b in enumerate(bins)
                   if any(s["values"][i] for s in series)],
        "x_labels": [{"x": _r(LEFT + (i + 0.5) * width), "text": _bin_label(b)}
                     for i, b in enumerate(bins)],
        "limit": {"x": limit_x, "text": f"limit: {format_duration(gaps['limit'])}"},
        "short_zone": {"x": LEFT, "width": _r(limit_x - LEFT)},
        "short_gaps": sum(sum(s["values"][:short]) for s in series),
        "all_gaps": sum(sum(s["values"]) for s in series),
        "empty": top == 0,
    }


def _frame(top: int, unit: str) -> dict[str, Any]:
    ticks = [_tick(value, top) for value in _tick_values(top)]
    return {"width": WIDTH, "height": HEIGHT, "left": LEFT, "right": WIDTH - RIGHT,
            "top": TOP, "bottom": TOP + PLOT_H, "y_ticks": ticks, "unit": unit}


def _columns(series: list[dict[str, Any]], count: int) -> list[list[int]]:
    return [[s["values"][i] for s in series] for i in range(count)]


def _legend(series: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"name": s["name"], "css": _css(i, s["name"]), "total": sum(s["values"])}
            for i, s in enumerate(series)]


def _css(index: int, name: str) -> str:
    return "sx" if name.startswith(OTHER_PREFIX) else f"s{index}"


def _bars(series: list[dict[str, Any]], count: int, width: float,
          top: int) -> list[dict[str, Any]]:
    bars = []
    gap = 1 if width > 4 else 0
    for i in range(count):
        base = TOP + PLOT_H
        for index, s in enumerate(series):
            value = s["values"][i]
            if not value:
                continue
            height = value / top * PLOT_H
            bars.append({"x": _r(LEFT + i * width + gap / 2), "y": _r(base - height),
                         "w": _r(max(width - gap, 0.5)), "h": _r(height),
                         "css": _css(index, s["name"])})
            base -= height
    return bars


def _hover(moment: datetime, size: int, series: list[dict[str, Any]], i: int, width: float,
           unit: str) -> dict[str, Any]:
    parts = [f"{s['name']}: {s['values'][i]:,}" for s in series if s["values"][i]]
    label = f"{moment:%a %d %b %H:%M} UTC, {unit} in {format_duration(size)}"
    return {"x": _r(LEFT + i * width), "w": _r(width), "title": f"{label}: " + "; ".join(parts)}


def _bin_hover(b: dict[str, Any], series: list[dict[str, Any]], i: int,
               width: float) -> dict[str, Any]:
    parts = [f"{s['name']}: {s['values'][i]:,}" for s in series if s["values"][i]]
    return {"x": _r(LEFT + i * width), "w": _r(width),
            "title": f"gaps {_bin_range(b)}: " + "; ".join(parts)}


def _bin_label(b: dict[str, Any]) -> str:
    if b["to"] is None:
        return f"≥{format_duration(b['from'])}"
    return f"<{format_duration(b['to'])}"


def _bin_range(b: dict[str, Any]) -> str:
    if b["to"] is None:
        return f"of {format_duration(b['from'])} or more"
    return f"from {format_duration(b['from'])} to under {format_duration(b['to'])}"


def _time_labels(start: datetime, size: int, count: int, width: float) -> list[dict[str, Any]]:
    span = size * count
    step = next((s for s in TICK_STEPS if s >= size and span / s <= MAX_X_LABELS),
                math.ceil(span / MAX_X_LABELS / 86400) * 86400)
    epoch = int(start.timestamp())
    first = -(-epoch // step) * step
    labels = []
    for moment in range(first, epoch + span, step):
        at = datetime.fromtimestamp(moment, tz=UTC)
        text = f"{at:%a %d %b}" if step >= 86400 or (at.hour, at.minute) == (0, 0) \
            else f"{at:%H:%M}"
        labels.append({"x": _r(LEFT + (moment - epoch) / size * width), "text": text})
    return labels


def _shade(window: dict[str, Any], start: datetime, size: int, count: int,
           width: float) -> dict[str, Any] | None:
    """A maintenance window as a band over the bars it covers, clipped to the plot."""
    lo = (_parse(window["start"]) - start).total_seconds() / size * width
    hi = (_parse(window["end"]) - start).total_seconds() / size * width
    lo, hi = max(lo, 0.0), min(hi, count * width)
    if hi <= lo:
        return None
    label = f"{window['name'] or 'maintenance'}: {window['start'][:16].replace('T', ' ')} to " \
            f"{window['end'][:16].replace('T', ' ')} UTC"
    return {"x": _r(LEFT + lo), "w": _r(max(hi - lo, 1.0)), "title": label}


def _nice_max(value: int) -> int:
    """The top of the y axis: a round number at or above `value` that four equal steps divide
    into round numbers (at least 4, so small counts still get whole-number ticks)."""
    if value <= 4:
        return 4
    power = 10 ** math.floor(math.log10(value))
    tops = (m * p // 10 for p in (power, power * 10) for m in (10, 12, 16, 20, 24, 30, 40, 50,
                                                                 60, 80) if m * p % 10 == 0)
    return next(top for top in tops if top >= value and top % 4 == 0)


def _tick_values(top: int) -> list[int]:
    return [top * i // 4 for i in range(5)]


def _tick(value: int, top: int) -> dict[str, Any]:
    return {"y": _r(TOP + PLOT_H - value / top * PLOT_H), "text": f"{value:,}"}


def _parse(iso: str) -> datetime:
    return datetime.strptime(iso, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def _r(value: float) -> float:
    """One decimal: enough for a pixel, and keeps the file small and byte-stable."""
    return round(value, 1)

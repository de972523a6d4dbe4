"""Charts drawn on the server as SVG: no script, no font or library from the internet, nothing to load.

The admin home draws each chart the apps register (``guardiannest.registries.dashboard_charts``)
with :func:`chart_svg`: a bar or a line chart of ``[(period start, value), …]`` with its value axis,
its period labels, and an accessible name (``<title>``) and summary (``<desc>``); each bar or point
carries its own ``<title>`` (the browser's tooltip, read by screen readers). Every label is escaped:
a title or a value comes from an app, never from markup we trust.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

DAY = "day"
WEEK = "week"
# How far back the admin home looks, per interval: 30 days, or 12 weeks (the current one included).
PERIODS = {DAY: 30, WEEK: 12}

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 64, 12, 12, 30  # room for the value axis's labels and the periods' labels
BAR_COLOUR, LINE_COLOUR, GRID_COLOUR, TEXT_COLOUR = "#417690", "#205067", "#dddddd", "#555555"
MAX_PERIOD_LABELS = 8


# --- periods ------------------------------------------------------------------------------------


def chart_window(*, interval: str, today: date) -> tuple[date, date, list[date]]:
    """``(start, end, period starts)`` of the window the admin home shows: ``[start, end)`` in dates.

    Days: the last 30, today included. Weeks: the last 12 starting on Mondays, the current week
    included (so ``end`` may be in the future: the week is not over).
    """
    if interval not in PERIODS:
        raise ValueError(f"unknown chart interval {interval!r} (day or week)")
    count = PERIODS[interval]
    if interval == DAY:
        start = today - timedelta(days=count - 1)
        starts = [start + timedelta(days=n) for n in range(count)]
    else:
        start = today - timedelta(days=today.weekday()) - timedelta(weeks=count - 1)
        starts = [start + timedelta(weeks=n) for n in range(count)]
    return start, starts[-1] + (timedelta(days=1) if interval == DAY else timedelta(weeks=1)), starts


def _as_date(period: Any) -> date:
    if isinstance(period, datetime):  # TruncDay/TruncWeek: midnight in the zone it truncated in, its own date
        return period.date()
    if isinstance(period, date):
        return period
    return date.fromisoformat(str(period)[:10])


def series_fill(points: Sequence[tuple[Any, float]], starts: Sequence[date]) -> list[tuple[date, float]]:
    """One value per period start, 0 where ``points`` has none; points outside the periods are dropped."""
    values: dict[date, float] = {}
    for period, value in points:
        day = _as_date(period)
        values[day] = values.get(day, 0.0) + float(value or 0)
    return [(start, values.get(start, 0.0)) for start in starts]


# --- values as text -----------------------------------------------------------------------------


def is_currency(unit: str) -> bool:
    return len(unit) == 3 and unit.isalpha()


def value_text(value: float, unit: str, *, short: bool = False) -> str:
    """How a value reads: "1,234" (count), "12.50 EUR" (minor units of a currency), "12.5%"; ``short``
    leaves the unit out (the value axis, whose unit the chart's summary names)."""
    if is_currency(unit):
        major = value / 100
        text = f"{major:,.0f}" if short and major == int(major) else f"{major:,.2f}"
        return text if short else f"{text} {unit.upper()}"
    if unit == "%":
        text = f"{value:,.1f}".removesuffix(".0")
        return text if short else f"{text}%"
    text = f"{value:,.0f}" if value == int(value) else f"{value:,.2f}".rstrip("0")
    return text if short or unit in ("", "count") else f"{text} {unit}"


def _period_text(start: date, interval: str, *, long: bool = False) -> str:
    day = f"{start.day} {start:%b}"
    if interval == WEEK:
        return f"week of {day} {start.year}" if long else day
    return f"{start:%a} {day} {start.year}" if long else day


# --- the axis -----------------------------------------------------------------------------------


def _nice_step(span: float, *, integers: bool) -> float:
    """A step of 1, 2, 2.5 or 5 times a power of ten that splits ``span`` into about four."""
    raw = span / 4 if span > 0 else 1.0
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    return max(1.0, math.ceil(step)) if integers else step


def axis_ticks(values: Sequence[float], unit: str) -> list[float]:
    """The value axis: from a multiple of the step at or under min(0, lowest) to one at or over the highest."""
    low, high = min(0.0, *values), max(0.0, *values)
    integers = unit in ("", "count") or is_currency(unit)  # counts, and cents
    step = _nice_step(high - low, integers=integers)
    bottom, top = math.floor(low / step) * step, math.ceil(high / step) * step
    if top == bottom:
        top = bottom + step
    return [bottom + n * step for n in range(round((top - bottom) / step) + 1)]


# --- the chart ----------------------------------------------------------------------------------


def chart_svg(
    *,
    chart_id: str,
    title: str,
    points: Sequence[tuple[date, float]],
    unit: str,
    interval: str = DAY,
    kind: str = "bar",
) -> SafeString:
    """An ``<svg>`` of ``points`` (one per period, in order), sized by its viewBox (it fills its box).

    ``chart_id`` makes the ``<title>``/``<desc>`` ids unique on the page (a slug). Values are drawn
    from the zero line (a negative one, say refunds over captures, goes below it).
    """
    values = [value for _, value in points] or [0.0]
    ticks = axis_ticks(values, unit)
    bottom, top = ticks[0], ticks[-1]
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def y(value: float) -> float:
        return round(TOP + plot_h - (value - bottom) / (top - bottom) * plot_h, 2)

    parts: list[SafeString] = []
    for tick in ticks:  # grid lines and the value axis's labels
        parts.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}"/>'
                '<text x="{}" y="{}" text-anchor="end" dominant-baseline="middle">{}</text>',
                LEFT,
                WIDTH - RIGHT,
                y(tick),
                y(tick),
                GRID_COLOUR,
                LEFT - 6,
                y(tick),
                value_text(tick, unit, short=True),
            )
        )
    slot = plot_w / max(1, len(points))
    stride = max(1, math.ceil(len(points) / MAX_PERIOD_LABELS))
    zero = y(0.0) if bottom <= 0 <= top else y(bottom)
    marks: list[tuple[float, float]] = []
    for index, (start, value) in enumerate(points):
        centre = round(LEFT + slot * index + slot / 2, 2)
        tooltip = f"{_period_text(start, interval, long=True)}: {value_text(value, unit)}"
        if kind == "line":
            marks.append((centre, y(value)))
            parts.append(
                format_html(
                    '<circle cx="{}" cy="{}" r="3" fill="{}"><title>{}</title></circle>',
                    centre,
                    y(value),
                    LINE_COLOUR,
                    tooltip,
                )
            )
        else:
            bar_top, bar_bottom = min(y(value), zero), max(y(value), zero)
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}</title></rect>',
                    round(centre - slot * 0.35, 2),
                    bar_top,
                    round(slot * 0.7, 2),
                    round(bar_bottom - bar_top, 2),
                    BAR_COLOUR,
                    tooltip,
                )
            )
        if (len(points) - 1 - index) % stride == 0:  # the latest period always has its label
            parts.append(
                format_html(
                    '<text x="{}" y="{}" text-anchor="middle">{}</text>',
                    centre,
                    HEIGHT - BOTTOM + 16,
                    _period_text(start, interval),
                )
            )
    if kind == "line" and marks:
        path = " ".join(f"{px},{py}" for px, py in marks)
        parts.insert(len(ticks), format_html('<polyline points="{}" fill="none" stroke="{}"/>', path, LINE_COLOUR))
    parts.append(
        format_html('<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#888888"/>', LEFT, WIDTH - RIGHT, zero, zero)
    )
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" role="img" class="dashboard-chart"'
        ' aria-labelledby="{}-title {}-desc" font-size="11" fill="{}">'
        '<title id="{}-title">{}</title><desc id="{}-desc">{}</desc>{}</svg>',
        WIDTH,
        HEIGHT,
        chart_id,
        chart_id,
        TEXT_COLOUR,
        chart_id,
        title,
        chart_id,
        chart_summary(points, unit=unit, interval=interval),
        format_html_join("", "{}", ((part,) for part in parts)),  # each part is a SafeString of format_html
    )


def chart_summary(points: Sequence[tuple[date, float]], *, unit: str, interval: str) -> str:
    """What a screen reader says after the title: the window, the unit, the highest and the latest value."""
    if not points:
        return "No data."
    first, last = points[0][0], points[-1][0]
    peak_start, peak = max(points, key=lambda point: point[1])
    unit_name = unit.upper() if is_currency(unit) else {"count": "", "": "", "%": "percent"}.get(unit, unit)
    return (
        f"{len(points)} {interval}s from {_period_text(first, interval, long=True)}"
        f" to {_period_text(last, interval, long=True)}{f', in {unit_name}' if unit_name else ''}."
        f" Highest {value_text(peak, unit)} ({_period_text(peak_start, interval, long=True)});"
        f" latest {value_text(points[-1][1], unit)}."
    )


__all__ = ["DAY", "PERIODS", "WEEK", "chart_svg", "chart_window", "series_fill", "value_text"]

"""The window a figure covers and the periods it is cut into: days, ISO weeks (from Monday) or months, in UTC."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from django.db.models import DateTimeField, Expression
from django.db.models.functions import TruncDay, TruncMonth, TruncWeek

from analytics.errors import AnalyticsError
from guardiannest.errors import invalid

# Two years and a day: enough for a year-on-year view, small enough that a day series stays a page.
MAX_SPAN_DAYS = 731
DEFAULT_SPAN_DAYS = 30


class Interval(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


_TRUNC = {Interval.DAY: TruncDay, Interval.WEEK: TruncWeek, Interval.MONTH: TruncMonth}


@dataclass(frozen=True)
class Window:
    """``[start, end)`` in whole UTC days, cut into ``interval`` periods."""

    start: date
    end: date
    interval: Interval

    @property
    def start_at(self) -> datetime:
        return datetime.combine(self.start, time.min, tzinfo=UTC)

    @property
    def end_at(self) -> datetime:
        return datetime.combine(self.end, time.min, tzinfo=UTC)

    def trunc(self, field: str | Expression) -> Any:
        """The start of the period a timestamp falls in, as a UTC datetime (one SQL expression)."""
        return _TRUNC[self.interval](field, output_field=DateTimeField(), tzinfo=UTC)

    def periods(self) -> list[date]:
        """Every period that meets the window, in order: a week starts on a Monday, a month on the 1st.

        The first and last may be partial (a week that began before ``start``): only what happened
        inside the window is counted in them.
        """
        first = period_start(self.start, self.interval)
        found = []
        current = first
        while current < self.end:
            found.append(current)
            current = next_period(current, self.interval)
        return found


def period_start(day: date, interval: Interval) -> date:
    if interval is Interval.WEEK:
        return day - timedelta(days=day.weekday())
    if interval is Interval.MONTH:
        return day.replace(day=1)
    return day


def next_period(start: date, interval: Interval) -> date:
    if interval is Interval.WEEK:
        return start + timedelta(days=7)
    if interval is Interval.MONTH:
        return (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return start + timedelta(days=1)


def window_of(*, start: date | None, last: date | None, interval: str, today: date | None = None) -> Window:
    """The window from ``start`` through ``last`` (both included, as the API's ``from`` and ``to``).

    Either may be left out: ``to`` defaults to today (UTC) and ``from`` to the
    DEFAULT_SPAN_DAYS before it. ``from`` after ``to``, or more than
    MAX_SPAN_DAYS between them, is refused naming the field.
    """
    if interval not in Interval.__members__.values():
        raise invalid("interval", f"One of {', '.join(Interval)}.", AnalyticsError.INVALID_PERIOD)
    last = last or (today or datetime.now(UTC).date())
    start = start or last - timedelta(days=DEFAULT_SPAN_DAYS - 1)
    if start > last:
        raise invalid("from", "Must be on or before to.", AnalyticsError.INVALID_PERIOD)
    if (last - start).days + 1 > MAX_SPAN_DAYS:
        raise invalid("to", f"At most {MAX_SPAN_DAYS} days after from.", AnalyticsError.INVALID_PERIOD)
    return Window(start=start, end=last + timedelta(days=1), interval=Interval(interval))


def as_date(value: Any) -> date:
    """A period start as the database answers it (a UTC datetime; SQLite may answer a date)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).date() if value.tzinfo else value.date()
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def percent(part: int | float, whole: int | float) -> float | None:
    """``part`` of ``whole`` in percent to one decimal; null when there is nothing to divide."""
    return None if not whole else round(100 * part / whole, 1)

"""The admin home as a dashboard: the panels and charts the apps register, for one staff member.

The apps fill ``guardiannest.registries.dashboard_panels`` and ``dashboard_charts`` when they load;
this module asks each for its figure and knows no app. A staff member sees a panel or a chart only
with its permission. The page costs one query per panel and per chart the staff member sees (each
an aggregate), whatever the number of rows: the count of queries does not grow with the data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.text import slugify

from guardiannest.charts import DAY, chart_svg, chart_window, is_currency, series_fill, value_text
from guardiannest.registries import dashboard_charts, dashboard_panels


@dataclass(frozen=True)
class PanelView:
    key: str
    title: str
    count: int
    text: str  # the count as it reads (money for a currency unit)
    url: str
    urgent: bool  # stands out now: an urgent panel whose count is not 0
    live: str
    attribute: str

    @property
    def element_id(self) -> str:
        return f"{self.key}-count"


@dataclass(frozen=True)
class ScriptView:
    src: str  # a static path
    data: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class ChartView:
    key: str
    title: str
    window: str  # "last 30 days", "last 12 weeks, in EUR"
    svg: SafeString


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """``[start, end)`` of ``day`` in the current time zone, as aware datetimes (for "today's …" panels)."""
    zone = timezone.get_current_timezone()
    start = datetime.combine(day, time.min, tzinfo=zone)
    return start, datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)


def _allowed(user: Any, permission: str) -> bool:
    return bool(user.is_active and user.is_staff and (not permission or user.has_perm(permission)))


def dashboard_panels_for(*, user: Any) -> tuple[list[PanelView], list[ScriptView]]:
    """The panels ``user`` may see, by order, each counted now; and the scripts their live panels need."""
    panels: list[PanelView] = []
    scripts: dict[str, ScriptView] = {}
    registered = sorted(dashboard_panels.items(), key=lambda item: (item[1]["order"], item[0]))
    for key, panel in registered:
        if not _allowed(user, panel["permission"]):
            continue
        count = int(panel["count"]())
        panels.append(
            PanelView(
                key=key,
                title=panel["title"],
                count=count,
                text=value_text(count, panel.get("unit", "count")),
                url=panel["url"](),
                urgent=panel["urgent"] and count != 0,
                live=panel.get("live", ""),
                attribute=panel.get("attribute", ""),
            )
        )
        script = panel.get("script")
        if script and script not in scripts:
            data = panel["script_data"]() if "script_data" in panel else {}
            scripts[script] = ScriptView(src=script, data=tuple(sorted(data.items())))
    return panels, list(scripts.values())


def dashboard_charts_for(*, user: Any, today: date | None = None) -> list[ChartView]:
    """The charts ``user`` may see, by order: the last 30 days or 12 weeks, one query each."""
    today = today or timezone.localdate()
    charts: list[ChartView] = []
    registered = sorted(dashboard_charts.items(), key=lambda item: (item[1]["order"], item[0]))
    for key, chart in registered:
        if not _allowed(user, chart["permission"]):
            continue
        interval, unit = chart["interval"], chart["unit"]
        start, end, starts = chart_window(interval=interval, today=today)
        points = series_fill(chart["points"](start, end), starts)
        svg = chart_svg(
            chart_id=f"chart-{slugify(key)}",
            title=chart["title"],
            points=points,
            unit=unit,
            interval=interval,
            kind=chart.get("kind", "bar"),
        )
        in_unit = f", in {unit.upper()}" if is_currency(unit) else (", in %" if unit == "%" else "")
        window = f"last {len(starts)} {'days' if interval == DAY else 'weeks'}{in_unit}"
        charts.append(ChartView(key=key, title=chart["title"], window=window, svg=svg))
    return charts


def dashboard_context(*, user: Any, today: date | None = None) -> dict[str, Any]:
    """What the admin home's template shows: ``dashboard_panels``, ``dashboard_scripts``, ``dashboard_charts``."""
    panels, scripts = dashboard_panels_for(user=user)
    return {
        "dashboard_panels": panels,
        "dashboard_scripts": scripts,
        "dashboard_charts": dashboard_charts_for(user=user, today=today),
    }

"""The admin home's charts: SVG drawn on the server, values and labels escaped, windows of 30 days / 12 weeks."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from guardiannest.charts import axis_ticks, chart_svg, chart_window, series_fill, value_text

SVG = "{http://www.w3.org/2000/svg}"
TODAY = date(2026, 12, 7)  # a Monday


def _svg(**overrides: object) -> ET.Element:
    arguments: dict[str, object] = {
        "chart_id": "chart-test",
        "title": "Bookings per day",
        "points": [(TODAY - timedelta(days=2), 3.0), (TODAY - timedelta(days=1), 0.0), (TODAY, 12.0)],
        "unit": "count",
    }
    return ET.fromstring(str(chart_svg(**(arguments | overrides))))  # type: ignore[arg-type]


def test_a_bar_chart_has_a_bar_per_period_with_its_value_and_an_accessible_name() -> None:
    svg = _svg()

    assert svg.get("role") == "img" and svg.get("aria-labelledby") == "chart-test-title chart-test-desc"
    assert svg.find(f"{SVG}title").text == "Bookings per day"  # type: ignore[union-attr]
    desc = svg.find(f"{SVG}desc").text or ""  # type: ignore[union-attr]
    assert "3 days from Sat 5 Dec 2026 to Mon 7 Dec 2026" in desc and "Highest 12 (Mon 7 Dec 2026)" in desc
    bars = svg.findall(f"{SVG}rect")
    assert [bar.find(f"{SVG}title").text for bar in bars] == [  # type: ignore[union-attr]
        "Sat 5 Dec 2026: 3",
        "Sun 6 Dec 2026: 0",
        "Mon 7 Dec 2026: 12",
    ]
    heights = [float(bar.get("height", "")) for bar in bars]
    assert heights[1] == 0 and heights[2] == pytest.approx(heights[0] * 4)  # drawn to scale
    labels = [text.text for text in svg.findall(f"{SVG}text")]
    assert {"0", "5", "10", "15", "5 Dec", "6 Dec", "7 Dec"} <= set(labels)  # value axis, periods


def test_labels_and_titles_are_escaped() -> None:
    svg = str(
        chart_svg(
            chart_id="chart-x",
            title='<script>alert("x")</script> & co',
            points=[(TODAY, 1.0)],
            unit='<b onload="x">',
        )
    )

    assert "<script>" not in svg and "<b " not in svg
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co" in svg
    ET.fromstring(svg)  # still well-formed


def test_a_line_chart_draws_a_line_through_a_point_per_period() -> None:
    svg = _svg(kind="line", unit="%", points=[(TODAY - timedelta(days=1), 12.5), (TODAY, 25.0)])

    assert len(svg.findall(f"{SVG}circle")) == 2 and svg.find(f"{SVG}polyline") is not None
    assert [c.find(f"{SVG}title").text for c in svg.findall(f"{SVG}circle")] == [  # type: ignore[union-attr]
        "Sun 6 Dec 2026: 12.5%",
        "Mon 7 Dec 2026: 25%",
    ]


def test_money_reads_in_major_units_and_a_negative_value_goes_below_zero() -> None:
    svg = _svg(unit="EUR", points=[(TODAY - timedelta(days=1), 123456.0), (TODAY, -5000.0)])

    titles = [bar.find(f"{SVG}title").text for bar in svg.findall(f"{SVG}rect")]  # type: ignore[union-attr]
    assert titles == ["Sun 6 Dec 2026: 1,234.56 EUR", "Mon 7 Dec 2026: -50.00 EUR"]
    assert "in EUR" in (svg.find(f"{SVG}desc").text or "")  # type: ignore[union-attr]
    zero_line = next(line for line in svg.findall(f"{SVG}line") if line.get("stroke") == "#888888")
    negative = svg.findall(f"{SVG}rect")[1]
    assert float(negative.get("y", "")) == pytest.approx(float(zero_line.get("y1", "")))  # hangs from the zero line


def test_value_text_and_axis() -> None:
    assert value_text(1234, "count") == "1,234"
    assert value_text(123450, "EUR") == "1,234.50 EUR"
    assert value_text(150000, "EUR", short=True) == "1,500"
    assert value_text(12.5, "%") == "12.5%"
    assert axis_ticks([0.0, 0.0], "count") == [0.0, 1.0]  # no data still has an axis
    assert axis_ticks([3.0, 17.0], "count") == [0.0, 5.0, 10.0, 15.0, 20.0]
    assert axis_ticks([0.4], "%") == [0.0, 0.1, 0.2, 0.30000000000000004, 0.4]


def test_the_windows_are_30_days_and_12_weeks_from_monday_and_gaps_are_zero() -> None:
    start, end, days = chart_window(interval="day", today=TODAY)
    assert (start, end, len(days)) == (date(2026, 11, 8), date(2026, 12, 8), 30)

    start, end, weeks = chart_window(interval="week", today=date(2026, 12, 9))
    assert (start, end, len(weeks)) == (date(2026, 9, 21), date(2026, 12, 14), 12)
    assert all(week.weekday() == 0 for week in weeks)

    berlin = ZoneInfo("Europe/Berlin")
    filled = series_fill([(datetime(2026, 12, 7, tzinfo=berlin), 4), ("2026-11-30", 2.5)], weeks[-2:])
    assert filled == [(date(2026, 11, 30), 2.5), (date(2026, 12, 7), 4.0)]
    assert series_fill([], weeks[:1]) == [(date(2026, 9, 21), 0.0)]
    with pytest.raises(ValueError, match="month"):
        chart_window(interval="month", today=TODAY)


def test_period_labels_stay_few_and_the_latest_is_labelled() -> None:
    points = [(TODAY - timedelta(days=29 - n), float(n)) for n in range(30)]
    svg = _svg(points=points)

    periods = [t.text or "" for t in svg.findall(f"{SVG}text") if re.match(r"\d+ [A-Z][a-z]{2}$", t.text or "")]
    assert 4 <= len(periods) <= 8 and periods[-1] == "7 Dec"

"""Revenue from the ledger of the constructed March history, per period and currency, exactly."""

from __future__ import annotations

from datetime import date

from analytics.selectors.periods import Interval
from analytics.selectors.revenue import revenue_list
from analytics.tests.conftest import History, march


def test_weekly_revenue_per_currency(history: History) -> None:
    assert revenue_list(window=march(Interval.WEEK)) == [
        {
            "period": date(2026, 3, 2),
            "currency": "eur",
            "gross_captured": 5000,
            "refunded": 0,
            "platform_fees": 750,
            "net": 5000,
        },
        # A refund counts when it is made: 2000 back, with 300 of the first capture's fee.
        {
            "period": date(2026, 3, 9),
            "currency": "eur",
            "gross_captured": 5000,
            "refunded": 2000,
            "platform_fees": 450,
            "net": 3000,
        },
        {
            "period": date(2026, 3, 9),
            "currency": "usd",
            "gross_captured": 3000,
            "refunded": 0,
            "platform_fees": 450,
            "net": 3000,
        },
    ]


def test_one_currency_and_empty_periods(history: History) -> None:
    rows = revenue_list(window=march(Interval.DAY), currency="eur")

    assert len(rows) == 14
    assert {row["period"].day: row["gross_captured"] for row in rows if row["gross_captured"]} == {6: 5000, 11: 5000}
    assert rows[0] == {
        "period": date(2026, 3, 2),
        "currency": "eur",
        "gross_captured": 0,
        "refunded": 0,
        "platform_fees": 0,
        "net": 0,
    }
    assert next(row for row in rows if row["period"].day == 12)["refunded"] == 2000


def test_monthly_revenue(history: History) -> None:
    assert revenue_list(window=march(Interval.MONTH), currency="eur") == [
        {
            "period": date(2026, 3, 1),
            "currency": "eur",
            "gross_captured": 10000,
            "refunded": 2000,
            "platform_fees": 1200,
            "net": 8000,
        }
    ]

"""Monthly signup cohorts of parents: who comes back, and who churned."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from analytics.selectors.periods import Interval, Window
from analytics.selectors.retention import retention_list
from analytics.tests.factories import at, booking, parent, sitter
from guardiannest.errors import ApplicationError

QUARTER = Window(start=date(2026, 1, 1), end=date(2026, 4, 1), interval=Interval.MONTH)


@pytest.fixture
def cohorts(db: Any) -> None:
    s = sitter(at("2026-01-02"))  # sitters are no cohort's members
    a, b, c = parent(at("2026-01-05")), parent(at("2026-01-20")), parent(at("2026-02-10"))
    parent(at("2026-03-25"))  # d: joined late, never booked
    parent(at("2025-12-30"))  # before the window: in no cohort
    for who, when in (
        (a, "2025-12-20"),
        (a, "2026-01-06"),
        (a, "2026-02-15"),
        (a, "2026-03-20"),
        (b, "2026-01-25"),
        (c, "2026-03-05"),
    ):
        booking(who, s, requested_at=at(when))


def _cell(offset: int, period: date, retained: int, share: float | None) -> dict[str, Any]:
    return {"offset": offset, "period": period, "retained": retained, "share": share}


def test_monthly_cohorts_and_churn(cohorts: None) -> None:
    jan, feb, mar = date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)

    assert retention_list(window=QUARTER) == [
        {
            "period": jan,
            "cohort_size": 2,
            "retention": [_cell(0, jan, 2, 100.0), _cell(1, feb, 1, 50.0), _cell(2, mar, 1, 50.0)],
            # Both joined 60+ days before 1 April; b's last request was 25 January.
            "churned": 1,
            "churn_rate": 50.0,
        },
        {
            "period": feb,
            "cohort_size": 1,
            "retention": [_cell(0, feb, 0, 0.0), _cell(1, mar, 1, 100.0)],
            "churned": 0,
            "churn_rate": None,  # c joined 10 February: too new to have churned
        },
        {"period": mar, "cohort_size": 1, "retention": [_cell(0, mar, 0, 0.0)], "churned": 0, "churn_rate": None},
    ]


def test_weekly_cohorts(cohorts: None) -> None:
    rows = retention_list(window=Window(start=date(2026, 1, 5), end=date(2026, 1, 26), interval=Interval.WEEK))

    assert [(row["period"], row["cohort_size"]) for row in rows] == [
        (date(2026, 1, 5), 1),
        (date(2026, 1, 12), 0),
        (date(2026, 1, 19), 1),
    ]
    assert [cell["retained"] for cell in rows[0]["retention"]] == [1, 0, 0]  # a: 6 January only
    assert rows[1]["retention"][0]["share"] is None  # an empty cohort has no share


def test_day_cohorts_are_refused(db: Any) -> None:
    with pytest.raises(ApplicationError) as refused:
        retention_list(window=Window(start=date(2026, 1, 1), end=date(2026, 1, 8), interval=Interval.DAY))

    assert refused.value.errors == {"interval": ["Cohorts are weeks or months."]}

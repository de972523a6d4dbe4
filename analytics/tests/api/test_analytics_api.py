"""GET analytics/bookings|revenue|users|retention: staff only, windows validated, figures as the selectors give them."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from analytics.tests.conftest import History
from analytics.tests.factories import S, at, booking, capture, parent, sitter

ENDPOINTS = ["bookings", "revenue", "users", "retention"]
MARCH = "from=2026-03-02&to=2026-03-15"
# The aggregate statements each endpoint sends, whatever the data.
STATEMENTS = {"bookings": 4, "revenue": 1, "users": 2, "retention": 2}


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_anonymous_is_401(api: APIClient, endpoint: str, db: Any) -> None:
    assert api.get(f"/api/v1/analytics/{endpoint}").status_code == 401


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_parents_and_sitters_are_403(parent_api: APIClient, sitter_api: APIClient, endpoint: str) -> None:
    for client in (parent_api, sitter_api):
        response = client.get(f"/api/v1/analytics/{endpoint}?{MARCH}")
        assert response.status_code == 403
        assert response["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=2026-03-16&to=2026-03-15", "from"),
        ("from=2024-01-01&to=2026-01-02", "to"),  # 733 days
        ("from=2026-13-01", "from"),
        ("to=yesterday", "to"),
        ("interval=year", "interval"),
        ("interval=", "interval"),
        ("from=2026-03-01&color=red", "color"),
    ],
)
def test_bad_windows_are_400_naming_the_field(staff_api: APIClient, query: str, field: str) -> None:
    for endpoint in ENDPOINTS:
        response = staff_api.get(f"/api/v1/analytics/{endpoint}?{query}")
        assert response.status_code == 400, (endpoint, query)
        assert field in response.json()["errors"], (endpoint, response.json())


def test_the_longest_window_is_731_days(staff_api: APIClient) -> None:
    response = staff_api.get("/api/v1/analytics/users?from=2024-01-01&to=2025-12-31&interval=month")

    assert response.status_code == 200
    assert len(response.json()["series"]) == 24


def test_retention_takes_weeks_or_months_only(staff_api: APIClient) -> None:
    response = staff_api.get(f"/api/v1/analytics/retention?{MARCH}&interval=day")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["interval"]
    assert staff_api.get(f"/api/v1/analytics/retention?{MARCH}").json()["series"][0]["period"] == "2026-03-01"


def test_bookings_weekly(staff_api: APIClient, history: History) -> None:
    body = staff_api.get(f"/api/v1/analytics/bookings?{MARCH}&interval=week").json()

    assert [row["period"] for row in body["series"]] == ["2026-03-02", "2026-03-09"]
    first = body["series"][0]
    assert (first["requested"], first["confirmed"], first["completed"], first["cancelled"]) == (2, 2, 1, 1)
    assert first["cancellation_rate"] == 50.0
    assert (first["response_median_seconds"], first["response_p90_seconds"]) == (2100.0, 3300.0)
    assert (first["reliability_score"], body["series"][1]["no_shows"]) == (50, 1)
    assert body["by_area"][0] == {"area": "52.5,13.4", "latitude": 52.5, "longitude": 13.4, "requested": 4}
    assert sum(row["requested"] for row in body["by_hour"]) == 6
    assert len(body["by_weekday"]) == 7


def test_bookings_per_day_and_month(staff_api: APIClient, history: History) -> None:
    days = staff_api.get(f"/api/v1/analytics/bookings?{MARCH}").json()["series"]  # interval defaults to day
    months = staff_api.get(f"/api/v1/analytics/bookings?{MARCH}&interval=month").json()["series"]

    assert len(days) == 14
    assert sum(row["requested"] for row in days) == 6
    assert [(row["period"], row["requested"], row["cancellation_rate"]) for row in months] == [("2026-03-01", 6, 33.3)]


def test_revenue_is_money(staff_api: APIClient, history: History) -> None:
    body = staff_api.get(f"/api/v1/analytics/revenue?{MARCH}&interval=week").json()

    assert body["series"][1] == {
        "period": "2026-03-09",
        "currency": "eur",
        "gross_captured": {"amount": 5000, "currency": "eur"},
        "refunded": {"amount": 2000, "currency": "eur"},
        "platform_fees": {"amount": 450, "currency": "eur"},
        "net": {"amount": 3000, "currency": "eur"},
    }
    assert [row["currency"] for row in body["series"]] == ["eur", "eur", "usd"]


def test_users(staff_api: APIClient, history: History) -> None:
    body = staff_api.get(f"/api/v1/analytics/users?{MARCH}&interval=week").json()

    assert body["series"] == [
        {
            "period": "2026-03-02",
            "new_parents": 2,
            "new_sitters": 1,
            "new_users": 3,
            "active_parents": 2,
            "active_sitters": 1,
            "active_users": 3,
        },
        {
            "period": "2026-03-09",
            "new_parents": 1,
            "new_sitters": 1,
            "new_users": 2,
            "active_parents": 3,
            "active_sitters": 1,
            "active_users": 4,
        },
    ]


def test_retention(staff_api: APIClient, history: History) -> None:
    body = staff_api.get("/api/v1/analytics/retention?from=2026-03-01&to=2026-03-31").json()

    assert len(body["series"]) == 1
    cohort = body["series"][0]
    # p1, p2, p3 joined in March; p1 and p3 requested in March (p2's request of the 3rd too: all three).
    assert (cohort["period"], cohort["cohort_size"]) == ("2026-03-01", 3)
    assert cohort["retention"] == [{"offset": 0, "period": "2026-03-01", "retained": 3, "share": 100.0}]


def _more_history(rounds: int) -> None:
    for index in range(rounds):
        p, s = parent(at("2026-03-05")), sitter(at("2026-03-05"), latitude=40 + index, longitude=10 + index)
        booking(p, s, requested_at=at("2026-03-06"), moves=((S.ACCEPTED, at("2026-03-06", 13)),))
        capture(at("2026-03-07"), amount=1000 + index, fee=150)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_query_count_does_not_grow_with_the_data(staff_api: APIClient, history: History, endpoint: str) -> None:
    url = f"/api/v1/analytics/{endpoint}?{MARCH}&interval=week"

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert staff_api.get(url).status_code == 200
        return len(captured)

    assert staff_api.get("/api/v1/auth/me").status_code == 200  # keeps the caller's authentication snapshot
    before = queries()
    assert before == STATEMENTS[endpoint]  # the caller comes from its snapshot (accounts/auth_snapshot.py)
    _more_history(5)
    assert queries() == before
    _more_history(10)
    assert queries() == before

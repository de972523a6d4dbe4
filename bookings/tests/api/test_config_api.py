"""GET config: the platform's figures, public, so apps hard-code none of them."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_anyone_reads_the_platform_config(api: APIClient, settings: object) -> None:
    response = api.get("/api/v1/config")

    assert response.status_code == 200
    body = response.json()
    assert body["currency"] == "eur"
    assert body["min_booking_minutes"] == 60
    assert body["platform_fee_percent"] == 15.0
    assert body["request_expiry_minutes"] == 24 * 60
    assert body["cancellation_policy"][0] == {"hours_before_start": 24, "fee_percent": 0}
    assert body["cancellation_policy"][-1] == {"hours_before_start": 0, "fee_percent": 100}
    assert (body["no_show_grace_minutes"], body["dispute_window_hours"], body["family_data_hours_before"]) == (
        30,
        48,
        2,
    )
    assert body["max_sitters_per_request"] == 5


def test_config_follows_the_settings(api: APIClient, settings: object) -> None:
    settings.BOOKING_MIN_MINUTES = 90  # type: ignore[attr-defined]

    assert api.get("/api/v1/config/").json()["min_booking_minutes"] == 90

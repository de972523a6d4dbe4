"""``GET search/sitters``: the limits that keep search from locating anyone, and the horizon's last day.

Whole-km radii and a query point rounded to 3 decimals (with each sitter's
fuzzed search point, see ``api/test_profile_search_point_api.py``) leave nothing to
learn from probing a search's edges; ``end`` stops a day short of the
availability horizon; ``rating_avg`` is one JSON type wherever it appears.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone
from rest_framework.test import APIClient

from sitters.tests.factories import SitterProfileFactory
from sitters.tests.search_helpers import ids, north_of_berlin, search, sitter_at

pytestmark = pytest.mark.django_db


def test_the_latest_end_is_the_horizon_less_a_day(parent_api: APIClient) -> None:
    end = timezone.now() + timedelta(days=settings.SITTER_AVAILABILITY_HORIZON_DAYS - 1, minutes=-5)

    search(parent_api, start=(end - timedelta(hours=3)).isoformat(), end=end.isoformat())  # 200


def test_radii_are_rounded_up_to_whole_km(parent_api: APIClient) -> None:
    near = north_of_berlin(4.9)

    assert ids(search(parent_api, radius_km=5)) == [str(near.pk)]
    assert ids(search(parent_api, radius_km="4.01")) == [str(near.pk)]  # 5 km: finer radii learn nothing
    assert ids(search(parent_api, radius_km="0.5")) == []  # 1 km
    assert ids(search(parent_api, radius_km=4)) == []


def test_the_point_searched_from_is_rounded_to_three_decimals(parent_api: APIClient) -> None:
    """9.98 km south of 52.520 is 10.02 km from 52.5204: found only because the query point is 52.520."""
    south = sitter_at(52.52 - 9.98 / 111.19508, 13.405)

    found = search(parent_api, latitude=52.5204, longitude=13.4049, radius_km=10)

    assert ids(found) == [str(south.pk)]
    assert found["results"][0]["distance_km"] == 10.0  # 9.98 from the rounded point
    assert ids(search(parent_api, latitude=52.5206, longitude=13.405, radius_km=10)) == []  # rounds to 52.521


def test_rating_avg_is_a_json_number_everywhere(parent_api: APIClient, sitter: Any, sitter_api: APIClient) -> None:
    SitterProfileFactory(user=sitter, rating_avg="4.50", rating_count=2)

    own = sitter_api.get("/api/v1/sitters/me").json()
    public = parent_api.get(f"/api/v1/sitters/{sitter.pk}").json()
    [found] = search(parent_api)["results"]

    for body in (own, public, found):
        assert body["rating_avg"] == 4.5 and isinstance(body["rating_avg"], float), body

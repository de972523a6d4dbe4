"""Search's privacy rules and limits hold for any caller of the selector, not only for the API.

A search made in code (bookings will make them) is rounded and bounded as
the API's is: the point to 3 decimals, the radius up to a whole km, and
every limit refused as bad input naming the field.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.tests.problems import assert_problem
from guardiannest.errors import ApplicationError, Refusal
from sitters.selectors.search import Filters, SearchQuery, sitter_search
from sitters.selectors.search.query import MAX_LIST_ITEMS
from sitters.tests.search_helpers import BERLIN, URL, north_of_berlin, sitter_at


def _soon(hours: float) -> Any:
    return (timezone.now() + timedelta(days=1, hours=hours)).replace(microsecond=0)


def _found(**filters: Any) -> list[str]:
    page = sitter_search(query=SearchQuery(filters=Filters(**{**BERLIN, **filters})))
    return [result["id"] for result in page.results]


def test_the_point_and_radius_are_coarsened_when_the_filters_are_made() -> None:
    filters = Filters(latitude=52.520449, longitude=-13.404951, radius_km=4.01)

    assert (filters.latitude, filters.longitude, filters.radius_km) == (52.52, -13.405, 5)
    assert Filters(latitude=0, longitude=0, radius_km=0.001).radius_km == 1


def test_a_probe_with_an_exact_point_or_radius_asks_the_same_query() -> None:
    """The same normalised query, so the same cache entry and the same answer: nothing finer to learn."""
    exact = SearchQuery(filters=Filters(latitude=52.5204, longitude=13.40491, radius_km=9.001))
    coarse = SearchQuery(filters=Filters(latitude=52.52, longitude=13.405, radius_km=10))

    assert exact.cache_material(timezone.localdate()) == coarse.cache_material(timezone.localdate())


@pytest.mark.django_db
def test_the_selector_searches_from_the_rounded_point_with_a_whole_km_radius(settings: Any) -> None:
    settings.SITTER_SEARCH_CACHE_TTL = 0
    near = north_of_berlin(4.9)
    south = sitter_at(52.52 - 9.98 / 111.19508, 13.405)

    assert _found(radius_km=4.01) == [str(near.pk)]  # 5 km
    assert _found(radius_km=4) == []
    # 9.98 km from 52.520 but 10.02 km from 52.5204: found only because the selector rounds the point.
    assert str(south.pk) in _found(latitude=52.5204, longitude=13.4049, radius_km=10)
    assert str(south.pk) not in _found(latitude=52.5206, radius_km=10)  # rounds to 52.521


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        ({"latitude": 90.5}, "latitude"),
        ({"latitude": float("nan")}, "latitude"),
        ({"longitude": -180.01}, "longitude"),
        ({"radius_km": 0}, "radius_km"),
        ({"radius_km": -3}, "radius_km"),
        ({"radius_km": 100.5}, "radius_km"),
        ({"radius_km": float("inf")}, "radius_km"),
        ({"start": _soon(1)}, "end"),
        ({"end": _soon(1)}, "start"),
        ({"start": _soon(2), "end": _soon(1)}, "end"),
        ({"start": _soon(0), "end": _soon(25)}, "end"),
        ({"start": _soon(0).replace(tzinfo=None), "end": _soon(1)}, "start"),
        ({"min_rate": -1}, "min_rate"),
        ({"min_rate": 3000, "max_rate": 2000}, "max_rate"),
        ({"min_rating": 5.5}, "min_rating"),
        ({"languages": ("xx",)}, "languages"),
        ({"certifications": ("astronaut",)}, "certifications"),
        ({"age_groups": ("toddler",) * (MAX_LIST_ITEMS + 1)}, "age_groups"),
        ({"sort": "nearest"}, "sort"),
    ],
)
def test_filters_out_of_bounds_are_bad_input_naming_the_field(filters: dict[str, Any], field: str) -> None:
    with pytest.raises(ApplicationError) as refused:
        Filters(**{**BERLIN, **filters})

    assert refused.value.refusal == Refusal.INVALID
    assert list(refused.value.errors or {}) == [field]


def test_times_are_bounded_by_the_clock_and_the_horizon() -> None:
    past = timezone.now() - timedelta(hours=2)
    last_day = timezone.now() + timedelta(days=settings.SITTER_AVAILABILITY_HORIZON_DAYS - 1)

    for start, end, field in (
        (past, past + timedelta(hours=3), "start"),
        (last_day, last_day + timedelta(minutes=1), "end"),
    ):
        with pytest.raises(ApplicationError) as refused:
            Filters(**BERLIN, start=start, end=end)
        assert list(refused.value.errors or {}) == [field]


@pytest.mark.parametrize(
    ("page", "page_size", "field"), [(0, 20, "page"), (1001, 20, "page"), (1, 51, "page_size"), (1, 0, "page_size")]
)
def test_pages_out_of_bounds_are_bad_input(page: int, page_size: int, field: str) -> None:
    with pytest.raises(ApplicationError) as refused:
        SearchQuery(filters=Filters(**BERLIN), page=page, page_size=page_size)

    assert list(refused.value.errors or {}) == [field]


@pytest.mark.django_db
def test_the_api_answers_the_selectors_refusal_word_for_word(parent_api: APIClient) -> None:
    """The serializer parses; the rules (and so their messages) are the selector's alone."""
    cases = [
        {"start": _soon(2), "end": _soon(1)},
        {"start": _soon(0), "end": _soon(25)},
        {"min_rate": 3000, "max_rate": 2000},
    ]
    for case in cases:
        with pytest.raises(ApplicationError) as refused:
            Filters(**BERLIN, **case)
        params = {key: value.isoformat() if hasattr(value, "isoformat") else value for key, value in case.items()}

        body = assert_problem(parent_api.get(URL, {**BERLIN, **params}), 400, "invalid")

        assert body["errors"] == refused.value.errors

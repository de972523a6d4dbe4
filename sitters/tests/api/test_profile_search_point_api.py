"""Location privacy: the search point a sitter is found and measured by, and that nobody is ever shown.

``sitter_profile_update`` draws it within 500 m of the real location when the
location changes, keeps it otherwise, and clears it with the location. Search
and the public profile's distance use it only. No response carries it, not
even the sitter's own ``sitters/me`` (the sitter sees the real point).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import ParentProfile, User
from sitters.models import SitterProfile
from sitters.selectors.search.geo import haversine_km, offset
from sitters.services.gdpr import sitter_export
from sitters.services.profile import sitter_profile_update
from sitters.tests.factories import SitterProfileFactory

ME = "/api/v1/sitters/me"
SEARCH = "/api/v1/search/sitters"
pytestmark = pytest.mark.django_db

HOME = {"latitude": 52.520008, "longitude": 13.404954}
NEW_HOME = {"latitude": 48.137154, "longitude": 11.576124}  # Munich


def stored(sitter: User) -> SitterProfile:
    return SitterProfile.objects.get(pk=sitter.pk)


def search_point(profile: SitterProfile) -> tuple[float, float]:
    assert profile.search_latitude is not None and profile.search_longitude is not None
    return profile.search_latitude, profile.search_longitude


def km_from_real(profile: SitterProfile) -> float:
    assert profile.latitude is not None and profile.longitude is not None
    return haversine_km(profile.latitude, profile.longitude, *search_point(profile))


def test_a_location_gets_a_search_point_within_500_m_of_it(sitter_api: APIClient, sitter: User) -> None:
    response = sitter_api.patch(ME, HOME, format="json")

    assert response.status_code == 200, response.content
    profile = stored(sitter)
    assert (profile.latitude, profile.longitude) == (HOME["latitude"], HOME["longitude"])
    assert search_point(profile) != (profile.latitude, profile.longitude)
    assert 0 < km_from_real(profile) <= 0.5


def test_the_search_point_stays_until_the_sitter_moves_and_goes_with_the_location(
    sitter_api: APIClient, sitter: User
) -> None:
    sitter_api.patch(ME, HOME, format="json")
    first = search_point(stored(sitter))

    # unrelated changes, and the same location sent again, keep it
    sitter_api.patch(ME, {"bio": "New bio", "service_radius_km": 20, "timezone": "Europe/Paris"}, format="json")
    sitter_api.patch(ME, HOME, format="json")
    sitter_profile_update(profile=stored(sitter), actor=sitter, hourly_rate=3000, languages=["fr"])
    assert search_point(stored(sitter)) == first

    # a move draws a new one near the new place
    sitter_api.patch(ME, NEW_HOME, format="json")
    moved = stored(sitter)
    assert search_point(moved) != first
    assert 0 < km_from_real(moved) <= 0.5

    # a small move (a corrected pin, GPS jitter) keeps the offset: new draws could be averaged back to the home
    offset_before = offset(moved.latitude, moved.longitude, *search_point(moved))
    for step in range(1, 6):
        sitter_api.patch(ME, {**NEW_HOME, "longitude": 11.576124 + step * 0.002}, format="json")
        nudged = stored(sitter)
        assert nudged.longitude == pytest.approx(11.576124 + step * 0.002)
        assert offset(nudged.latitude, nudged.longitude, *search_point(nudged)) == pytest.approx(offset_before)
        assert search_point(nudged) != search_point(moved) and km_from_real(nudged) <= 0.5

    # clearing the location clears it
    response = sitter_api.patch(ME, {"latitude": None, "longitude": None}, format="json")
    assert response.status_code == 200, response.content
    cleared = stored(sitter)
    assert cleared.search_latitude is None and cleared.search_longitude is None


def test_two_sitters_at_one_address_get_different_search_points(sitter: User, other_sitter: User) -> None:
    for user in (sitter, other_sitter):
        SitterProfileFactory(user=user, latitude=None, longitude=None)
        sitter_profile_update(profile=stored(user), actor=user, **HOME)

    assert search_point(stored(sitter)) != search_point(stored(other_sitter))


def _leaks(text: str, profile: SitterProfile) -> list[str]:
    """The search point's field names or coordinates (as stored, or to 4 decimals, ~10 m) found in ``text``.

    A 4-decimal form that equals the real point's (a draw within metres of it) is no evidence either way.
    """
    lat, lon = search_point(profile)
    real = {f"{profile.latitude:.4f}", f"{profile.longitude:.4f}"}
    needles = ["search_latitude", "search_longitude", repr(lat), repr(lon)]
    needles += [short for short in (f"{lat:.4f}", f"{lon:.4f}") if short not in real]
    return [needle for needle in needles if needle in text]


def test_no_response_carries_the_search_point(
    sitter_api: APIClient, sitter: User, parent: User, parent_api: APIClient
) -> None:
    SitterProfileFactory(user=sitter, latitude=None, longitude=None)
    patched = sitter_api.patch(ME, HOME, format="json")
    profile = stored(sitter)
    ParentProfile.objects.create(user=parent, latitude=Decimal("52.5"), longitude=Decimal("13.4"))

    own = sitter_api.get(ME)
    public = parent_api.get(f"/api/v1/sitters/{sitter.pk}")
    found = parent_api.get(SEARCH, {**HOME, "radius_km": 5})

    assert own.json()["latitude"] == HOME["latitude"]  # the sitter sees the real point
    assert [r["id"] for r in found.json()["results"]] == [str(sitter.pk)]
    assert "distance_km" in public.json()
    for response in (patched, own, public, found):
        assert response.status_code == 200
        assert _leaks(response.content.decode(), profile) == [], response.content
    assert _leaks(str(sitter_export(sitter)), profile) == []


def test_search_finds_and_measures_by_the_search_point_only(parent_api: APIClient) -> None:
    """Real point 1 km away but search point 12 km: not within 10 km; the other way round: found, 9 km."""
    one_km, twelve_km, nine_km = (HOME["latitude"] + km / 111.19508 for km in (1, 12, 9))
    lon = HOME["longitude"]
    hidden = SitterProfileFactory(latitude=one_km, longitude=lon, search_latitude=twelve_km, search_longitude=lon)
    shown = SitterProfileFactory(latitude=twelve_km, longitude=lon, search_latitude=nine_km, search_longitude=lon)

    body = parent_api.get(SEARCH, {"latitude": 52.52, "longitude": 13.405, "radius_km": 10}).json()

    assert [r["id"] for r in body["results"]] == [str(shown.pk)]
    assert body["results"][0]["distance_km"] == 9.0
    wider = parent_api.get(SEARCH, {"latitude": 52.52, "longitude": 13.405, "radius_km": 13}).json()
    assert [r["id"] for r in wider["results"]] == [str(shown.pk), str(hidden.pk)]
    assert [r["distance_km"] for r in wider["results"]] == [9.0, 12.0]


def test_the_public_distance_is_to_the_search_point(parent: User, parent_api: APIClient) -> None:
    ten_km_north = HOME["latitude"] + 10 / 111.19508
    profile = SitterProfileFactory(search_latitude=ten_km_north, search_longitude=HOME["longitude"])
    ParentProfile.objects.create(user=parent, latitude=Decimal("52.520008"), longitude=Decimal("13.404954"))

    body: dict[str, Any] = parent_api.get(f"/api/v1/sitters/{profile.pk}").json()

    assert body["distance_km"] == 10.0  # from the real point (where the family is) it would be 0.0

"""``GET search/sitters``: filters alone and combined, order, pages, the free-range filter, bad input, query count."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, cast

import pytest
from django.conf import settings
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.tests.problems import assert_problem
from files.models import StoredFile
from sitters.models import AGE_GROUPS, AvailabilitySpan, Certification, Hold, SitterProfile
from sitters.tests.factories import StoredFileFactory
from sitters.tests.search_helpers import BERLIN, URL, ids, north_of_berlin, search

pytestmark = pytest.mark.django_db


def approved_document(owner: Any) -> StoredFile:
    return cast(StoredFile, StoredFileFactory(owner=owner, review="approved"))


def certify(profile: SitterProfile, kind: str, *, expires: date | None = None, approved: bool = True) -> None:
    document = approved_document(profile.user)
    if not approved:
        StoredFile.objects.filter(pk=document.pk).update(review="pending")
    Certification.objects.create(
        sitter=profile, kind=kind, issued_at=date(2020, 1, 1), expires_at=expires, document=document
    )


def test_results_carry_the_public_profile_and_a_rounded_distance(parent_api: APIClient) -> None:
    profile = north_of_berlin(2.0, bio="Hello", hourly_rate=1800)
    certify(profile, "cpr")

    body = search(parent_api)

    assert body["next"] is None and body["previous"] is None
    [result] = body["results"]
    assert result["id"] == str(profile.pk)
    assert result["distance_km"] == 2.0
    assert result["hourly_rate"] == {"amount": 1800, "currency": "eur"}
    assert result["first_name"] == profile.user.first_name
    assert result["verified"] is True
    assert result["languages"] == ["de", "en"]
    assert result["age_groups"] == ["toddler", "school_age"]
    assert result["certifications"] == [{"kind": "cpr", "issued_at": "2020-01-01", "expires_at": None}]
    assert result["photo_url"] is None
    assert not {"latitude", "longitude", "service_radius_km"} & set(result)


def test_only_active_complete_sitters_within_their_own_service_radius(parent_api: APIClient) -> None:
    found = north_of_berlin(1.0)
    north_of_berlin(1.0, hourly_rate=None)  # incomplete: no rate
    inactive = north_of_berlin(1.0)
    inactive.user.is_active = False
    inactive.user.save()
    north_of_berlin(5.0, service_radius_km=4)  # the point is outside the sitter's own radius
    reaches = north_of_berlin(5.0, service_radius_km=6)

    assert set(ids(search(parent_api))) == {str(found.pk), str(reaches.pk)}


def test_radius_default_and_limit(parent_api: APIClient) -> None:
    near, far = north_of_berlin(9.0), north_of_berlin(30.0)

    assert ids(search(parent_api)) == [str(near.pk)]
    assert ids(search(parent_api, radius_km=31)) == [str(near.pk), str(far.pk)]


def test_rate_filters(parent_api: APIClient) -> None:
    cheap, mid, dear = (north_of_berlin(1.0 + i, hourly_rate=rate) for i, rate in enumerate((1000, 2000, 3000)))

    assert ids(search(parent_api, min_rate=1500)) == [str(mid.pk), str(dear.pk)]
    assert ids(search(parent_api, max_rate=2000)) == [str(cheap.pk), str(mid.pk)]
    assert ids(search(parent_api, min_rate=2000, max_rate=2000)) == [str(mid.pk)]


def test_min_rating(parent_api: APIClient) -> None:
    north_of_berlin(1.0, rating_avg=None, rating_count=0)
    good = north_of_berlin(2.0, rating_avg="4.80", rating_count=5)
    north_of_berlin(3.0, rating_avg="3.90", rating_count=5)

    assert ids(search(parent_api, min_rating=4.5)) == [str(good.pk)]
    assert len(search(parent_api, min_rating=0)["results"]) == 3  # 0 asks for nothing


def test_languages_match_any(parent_api: APIClient) -> None:
    german = north_of_berlin(1.0, languages=["de"])
    french = north_of_berlin(2.0, languages=["fr", "en"])
    north_of_berlin(3.0, languages=["pl"])

    assert ids(search(parent_api, languages="fr")) == [str(french.pk)]
    assert ids(search(parent_api, languages="DE,fr")) == [str(german.pk), str(french.pk)]


def test_certifications_all_of_and_only_badge_worthy(parent_api: APIClient) -> None:
    today = timezone.localdate()
    both = north_of_berlin(1.0)
    certify(both, "cpr", expires=today)  # expires today: still shows
    certify(both, "first_aid")
    only_cpr = north_of_berlin(2.0)
    certify(only_cpr, "cpr")
    expired = north_of_berlin(3.0)
    certify(expired, "cpr", expires=today - timedelta(days=1))
    unapproved = north_of_berlin(4.0)
    certify(unapproved, "cpr", approved=False)

    assert ids(search(parent_api, certifications="cpr")) == [str(both.pk), str(only_cpr.pk)]
    assert ids(search(parent_api, certifications="cpr,first_aid")) == [str(both.pk)]
    badges = {r["id"]: r["certifications"] for r in search(parent_api)["results"]}
    assert [b["kind"] for b in badges[str(both.pk)]] == ["cpr", "first_aid"]
    assert badges[str(expired.pk)] == [] and badges[str(unapproved.pk)] == []


def test_age_groups_all_of(parent_api: APIClient) -> None:
    infants = north_of_berlin(1.0, age_groups_mask=AGE_GROUPS["infant"])
    both = north_of_berlin(2.0, age_groups_mask=AGE_GROUPS["infant"] | AGE_GROUPS["teen"])

    assert ids(search(parent_api, age_groups="infant")) == [str(infants.pk), str(both.pk)]
    assert ids(search(parent_api, age_groups="infant,teen")) == [str(both.pk)]


def test_verified_only(parent_api: APIClient) -> None:
    verified = north_of_berlin(1.0)
    pending = north_of_berlin(2.0, verification_status="pending")

    assert ids(search(parent_api, verified="true")) == [str(verified.pk)]
    assert ids(search(parent_api, verified="false")) == [str(verified.pk), str(pending.pk)]
    assert search(parent_api)["results"][1]["verified"] is False


def test_filters_combine(parent_api: APIClient) -> None:
    match = north_of_berlin(1.0, languages=["fr"], hourly_rate=2000, age_groups_mask=AGE_GROUPS["teen"])
    certify(match, "driving")
    north_of_berlin(2.0, languages=["fr"], hourly_rate=2000, age_groups_mask=AGE_GROUPS["teen"])  # no licence
    wrong_rate = north_of_berlin(3.0, languages=["fr"], hourly_rate=5000, age_groups_mask=AGE_GROUPS["teen"])
    certify(wrong_rate, "driving")

    body = search(
        parent_api, languages="fr", certifications="driving", age_groups="teen", max_rate=2500, verified="true"
    )

    assert ids(body) == [str(match.pk)]


def test_sorting_and_ties(parent_api: APIClient) -> None:
    a = north_of_berlin(3.0, hourly_rate=1000, rating_avg="4.00", rating_count=1)
    b = north_of_berlin(1.0, hourly_rate=3000, rating_avg="5.00", rating_count=1)
    c = north_of_berlin(2.0, hourly_rate=1000, rating_avg=None, rating_count=0)
    d = north_of_berlin(4.0, hourly_rate=2000, rating_avg="5.00", rating_count=1)

    assert ids(search(parent_api)) == [str(p.pk) for p in (b, c, a, d)]
    assert ids(search(parent_api, sort="rating")) == [str(p.pk) for p in (b, d, a, c)]
    assert ids(search(parent_api, sort="price")) == [str(p.pk) for p in (c, a, d, b)]


def test_same_distance_breaks_ties_by_id(parent_api: APIClient) -> None:
    twins = sorted((north_of_berlin(2.0) for _ in range(3)), key=lambda p: str(p.pk))

    assert ids(search(parent_api)) == [str(p.pk) for p in twins]


def test_pages_are_stable_and_linked(parent_api: APIClient) -> None:
    profiles = [north_of_berlin(0.5 + i * 0.3, hourly_rate=1000 + (i % 3) * 100) for i in range(7)]

    seen: list[str] = []
    body = search(parent_api, sort="price", page_size=3)
    while True:
        seen += ids(body)
        if body["next"] is None:
            break
        assert "page_size=3" in body["next"]
        response = parent_api.get(body["next"])
        body = response.json()
        assert body["previous"] is not None

    assert len(seen) == 7 and set(seen) == {str(p.pk) for p in profiles}
    assert seen == ids(search(parent_api, sort="price", page_size=7))
    assert search(parent_api, sort="price", page_size=3, page=3)["next"] is None


def test_a_page_past_the_end_is_a_400_on_page(parent_api: APIClient) -> None:
    north_of_berlin(1.0)

    assert_problem(parent_api.get(URL, {**BERLIN, "page": 2}), 400, "invalid")["errors"]["page"]
    assert search(parent_api, page=1)["results"]  # the first page is never "past the end"


def _tomorrow(hour: int) -> datetime:
    base = timezone.now().astimezone(timezone.get_fixed_timezone(0)).replace(minute=0, second=0, microsecond=0)
    return (base + timedelta(days=1)).replace(hour=hour)


def test_free_range_needs_a_covering_span_and_no_overlapping_hold(parent_api: APIClient) -> None:
    start, end = _tomorrow(18), _tomorrow(22)
    covered = north_of_berlin(1.0)
    AvailabilitySpan.objects.create(sitter=covered, starts_at=start - timedelta(hours=1), ends_at=end)
    exact = north_of_berlin(2.0)
    AvailabilitySpan.objects.create(sitter=exact, starts_at=start, ends_at=end)
    partial = north_of_berlin(3.0)
    AvailabilitySpan.objects.create(sitter=partial, starts_at=start, ends_at=end - timedelta(minutes=1))
    held = north_of_berlin(4.0)
    AvailabilitySpan.objects.create(sitter=held, starts_at=start, ends_at=end)
    Hold.objects.create(sitter=held, starts_at=end - timedelta(hours=1), ends_at=end + timedelta(hours=1))
    touching = north_of_berlin(5.0)
    AvailabilitySpan.objects.create(sitter=touching, starts_at=start, ends_at=end)
    Hold.objects.create(sitter=touching, starts_at=end, ends_at=end + timedelta(hours=2))  # [) : only touches
    north_of_berlin(6.0)  # no availability at all

    body = search(parent_api, start=start.isoformat(), end=end.isoformat())

    assert ids(body) == [str(covered.pk), str(exact.pk), str(touching.pk)]
    # The same instant in another offset is the same search.
    berlin = timezone.get_fixed_timezone(120)
    again = search(parent_api, start=start.astimezone(berlin).isoformat(), end=end.astimezone(berlin).isoformat())
    assert ids(again) == ids(body)


def test_free_range_with_many_spans_and_holds_before_and_after(parent_api: APIClient) -> None:
    """Only the last span starting at or before ``start`` can cover it; only the last earlier hold can reach in."""
    start, end = _tomorrow(18), _tomorrow(21)
    hour = timedelta(hours=1)

    def sitter_with(spans: list[tuple[float, float]], holds: list[tuple[float, float]], km: float) -> SitterProfile:
        profile = north_of_berlin(km)
        for a, b in spans:
            AvailabilitySpan.objects.create(sitter=profile, starts_at=start + a * hour, ends_at=start + b * hour)
        for a, b in holds:
            Hold.objects.create(sitter=profile, starts_at=start + a * hour, ends_at=start + b * hour)
        return profile

    free = sitter_with([(-48, -40), (-24, -20), (-2, 4), (10, 12)], [(-50, -49), (-3, 0), (3, 5), (30, 31)], 1)
    sitter_with([(-30, -10), (-1, 2), (2.5, 6)], [], 2)  # the span around start ends too early
    sitter_with([(-2, 4)], [(-50, -49), (-1, 1)], 3)  # the last earlier hold reaches past start
    sitter_with([(-2, 4)], [(1, 2)], 4)  # a hold inside the range
    sitter_with([(-2, 4)], [(-5, 10)], 5)  # a hold around the range
    sitter_with([(0, 2), (2, 4)], [], 6)  # two touching spans: the calendar merges them; unmerged, not covered

    assert ids(search(parent_api, start=start.isoformat(), end=end.isoformat())) == [str(free.pk)]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"latitude": 200}, "latitude"),
        ({"latitude": "nan"}, "latitude"),
        ({"longitude": -180.5}, "longitude"),
        ({"radius_km": 10000}, "radius_km"),
        ({"radius_km": 101}, "radius_km"),
        ({"radius_km": 0}, "radius_km"),
        ({"radius_km": "-3"}, "radius_km"),
        ({"radius_km": "nan"}, "radius_km"),
        ({"radius_km": "100.5"}, "radius_km"),
        ({"min_rate": -1}, "min_rate"),
        ({"max_rate": -5}, "max_rate"),
        ({"min_rate": 3000, "max_rate": 2000}, "max_rate"),
        ({"min_rating": 6}, "min_rating"),
        ({"languages": "en,xx"}, "languages"),
        ({"languages": ","}, "languages"),
        ({"certifications": "cpr,karate"}, "certifications"),
        ({"age_groups": "adult"}, "age_groups"),
        ({"sort": "name"}, "sort"),
        ({"page": 0}, "page"),
        ({"page_size": 51}, "page_size"),
        ({"verified": "maybe"}, "verified"),
        ({"colour": "blue"}, "colour"),
        ({"start": "2030-01-01T10:00:00+00:00"}, "end"),
        ({"end": "2030-01-01T10:00:00+00:00"}, "start"),
    ],
)
def test_bad_input_names_the_field(parent_api: APIClient, params: dict[str, Any], field: str) -> None:
    body = assert_problem(parent_api.get(URL, {**BERLIN, **params}), 400, "invalid")

    assert field in body["errors"]


def test_bad_times_name_the_field(parent_api: APIClient) -> None:
    start = _tomorrow(18)

    def errors(**params: Any) -> dict[str, Any]:
        body: dict[str, Any] = assert_problem(parent_api.get(URL, {**BERLIN, **params}), 400, "invalid")["errors"]
        return body

    assert "end" in errors(start=start.isoformat(), end=(start - timedelta(hours=1)).isoformat())
    assert "end" in errors(start=start.isoformat(), end=start.isoformat())
    assert "end" in errors(start=start.isoformat(), end=(start + timedelta(hours=25)).isoformat())
    past = timezone.now() - timedelta(hours=2)
    assert "start" in errors(start=past.isoformat(), end=(past + timedelta(hours=3)).isoformat())
    far = timezone.now() + timedelta(days=61)
    assert "end" in errors(start=far.isoformat(), end=(far + timedelta(hours=2)).isoformat())
    # The horizon's last day may not be materialised yet (the beat job runs every 6 hours): not searchable.
    last_day = timezone.now() + timedelta(days=settings.SITTER_AVAILABILITY_HORIZON_DAYS - 1)
    assert "end" in errors(start=last_day.isoformat(), end=(last_day + timedelta(minutes=1)).isoformat())
    assert "start" in errors(start="2030-01-01T10:00:00", end="2030-01-01T12:00:00+00:00")  # no offset
    assert "start" in errors(start="tomorrow", end=(start + timedelta(hours=2)).isoformat())


def test_missing_point_and_repeated_parameters(parent_api: APIClient) -> None:
    body = assert_problem(parent_api.get(URL), 400, "invalid")
    assert {"latitude", "longitude"} <= set(body["errors"])

    repeated = assert_problem(parent_api.get(f"{URL}?latitude=1&latitude=2&longitude=3"), 400, "invalid")
    assert "latitude" in repeated["errors"]


def test_list_parameters_may_repeat(parent_api: APIClient) -> None:
    german, french = north_of_berlin(1.0, languages=["de"]), north_of_berlin(2.0, languages=["fr"])

    response = parent_api.get(f"{URL}?latitude=52.520008&longitude=13.404954&languages=de&languages=fr")

    assert ids(response.json()) == [str(german.pk), str(french.pk)]


def test_signed_in_users_only(api: APIClient, sitter_api: APIClient) -> None:
    assert_problem(api.get(URL, BERLIN), 401)
    assert sitter_api.get(URL, BERLIN).status_code == 200


def test_a_page_is_two_queries_with_authentication(
    parent_api: APIClient, django_assert_num_queries: Any, settings: Any
) -> None:
    settings.SITTER_SEARCH_CACHE_TTL = 0  # measure the database path
    for i in range(5):
        profile = north_of_berlin(1.0 + i)
        certify(profile, "cpr")
        certify(profile, "first_aid")
    start, end = _tomorrow(18), _tomorrow(20)
    params = {"languages": "de", "certifications": "cpr", "start": start.isoformat(), "end": end.isoformat()}

    with django_assert_num_queries(2):  # the user behind the token, then the page
        parent_api.get(URL, {**BERLIN, **params})
    with django_assert_num_queries(1):  # the page; the caller now from its authentication snapshot
        body = search(parent_api, sort="rating")

    assert all(len(result["certifications"]) == 2 for result in body["results"])

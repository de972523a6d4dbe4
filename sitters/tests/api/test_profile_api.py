"""``GET/PATCH sitters/me``: the sitter's own profile (API.md, Sitters)."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.problems import assert_problem
from guardiannest.audit.models import AuditEvent
from sitters.models import AGE_GROUPS, AvailabilitySpan, SitterLanguage, SitterProfile, VerificationStatus
from sitters.services.calendar.availability import availability_set
from sitters.tests.factories import SitterProfileFactory, StoredFileFactory

URL = "/api/v1/sitters/me"
pytestmark = pytest.mark.django_db


def profile_version(sitter_id: Any) -> Any:
    """The token ``sitters.cache.sitter_changed`` replaces: a change means the sitter's caches were forgotten."""
    return cache.get(f"sitters:profile-version:{sitter_id}")


def test_first_get_makes_an_empty_unverified_profile(sitter_api: APIClient, sitter: User) -> None:
    response = sitter_api.get(URL)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id"] == str(sitter.pk)
    assert body["verification_status"] == "unverified"
    assert body["hourly_rate"] is None
    assert body["latitude"] is None and body["longitude"] is None
    assert body["languages"] == [] and body["age_groups"] == []
    assert body["photo_id"] is None and body["photo_url"] is None
    assert body["rating_avg"] is None and body["rating_count"] == 0
    assert body["complete"] is False
    assert SitterProfile.objects.filter(pk=sitter.pk).exists()
    assert sitter_api.get(f"{URL}/").json() == body  # trailing slash: same answer


def test_parents_and_staff_are_refused(parent_api: APIClient, staff_api: APIClient, api: APIClient) -> None:
    assert_problem(parent_api.get(URL), 403)
    assert_problem(parent_api.patch(URL, {"bio": "x"}, format="json"), 403)
    assert_problem(staff_api.get(URL), 403)
    assert_problem(api.get(URL), 401)
    assert not SitterProfile.objects.exists()


def test_patch_changes_every_field_and_keeps_the_language_index(
    sitter_api: APIClient, sitter: User, django_capture_on_commit_callbacks: Any
) -> None:
    # given
    sitter_api.get(URL)
    payload = {
        "bio": "<b>Calm</b> and <script>alert(1)</script>patient",
        "hourly_rate": {"amount": 2450, "currency": "EUR"},
        "years_experience": 7,
        "languages": ["EN", "de", "en", " fr "],
        "age_groups": ["infant", "teen", "infant"],
        "latitude": 52.5200081234,
        "longitude": 13.404954,
        "service_radius_km": 12,
        "timezone": "Europe/Berlin",
    }

    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = sitter_api.patch(URL, payload, format="json")

    # then
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["bio"] == "Calm and patient"
    assert body["hourly_rate"] == {"amount": 2450, "currency": "eur"}
    assert body["years_experience"] == 7
    assert body["languages"] == ["en", "de", "fr"]
    assert body["age_groups"] == ["infant", "teen"]
    assert body["latitude"] == 52.520008
    assert body["longitude"] == 13.404954
    assert body["service_radius_km"] == 12
    assert body["timezone"] == "Europe/Berlin"
    assert body["complete"] is True
    profile = SitterProfile.objects.get(pk=sitter.pk)
    assert profile.age_groups_mask == AGE_GROUPS["infant"] | AGE_GROUPS["teen"]
    assert sorted(SitterLanguage.objects.filter(sitter=profile).values_list("code", flat=True)) == ["de", "en", "fr"]
    assert profile_version(sitter.pk) is not None
    event = AuditEvent.objects.get(action="sitter.profile_updated")
    assert event.actor_id == sitter.pk
    assert "languages" in event.data["fields"] and "hourly_rate" in event.data["fields"]
    assert "52.52" not in str(event.data) and "Calm" not in str(event.data)  # names, never values

    # languages replaced, not appended
    response = sitter_api.patch(URL, {"languages": ["it"]}, format="json")
    assert response.json()["languages"] == ["it"]
    assert list(SitterLanguage.objects.filter(sitter=profile).values_list("code", flat=True)) == ["it"]


def test_read_only_fields_are_not_changed(sitter_api: APIClient, sitter: User) -> None:
    response = sitter_api.patch(
        URL, {"verification_status": "verified", "rating_count": 50, "id": str(sitter.pk)}, format="json"
    )

    assert response.status_code == 200, response.content
    profile = SitterProfile.objects.get(pk=sitter.pk)
    assert profile.verification_status == VerificationStatus.UNVERIFIED
    assert profile.rating_count == 0
    assert not AuditEvent.objects.filter(action="sitter.profile_updated").exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"bio": "x" * 2001}, "bio"),
        ({"hourly_rate": {"amount": -1, "currency": "eur"}}, "hourly_rate.amount"),
        ({"hourly_rate": {"amount": 100_001, "currency": "eur"}}, "hourly_rate.amount"),
        ({"hourly_rate": {"amount": 2000, "currency": "usd"}}, "hourly_rate.currency"),
        ({"hourly_rate": 2000}, "hourly_rate.non_field_errors"),
        ({"years_experience": 71}, "years_experience"),
        ({"years_experience": -1}, "years_experience"),
        ({"languages": ["en", "xx"]}, "languages"),
        ({"languages": "en"}, "languages"),
        ({"languages": [f"{a}{b}" for a in "abc" for b in "abcdefgh"][:21]}, "languages"),
        ({"age_groups": ["adult"]}, "age_groups.0"),
        ({"latitude": 200, "longitude": 10}, "latitude"),
        ({"latitude": 10, "longitude": -181}, "longitude"),
        ({"latitude": 52.5}, "longitude"),
        ({"longitude": 13.4}, "latitude"),
        ({"service_radius_km": 0}, "service_radius_km"),
        ({"service_radius_km": 101}, "service_radius_km"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"timezone": "../../etc/passwd"}, "timezone"),
        ({"photo_id": "not-a-uuid"}, "photo_id"),
        ({"nickname": "Bee"}, "nickname"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(
    sitter_api: APIClient, sitter: User, payload: dict[str, Any], field: str
) -> None:
    body = assert_problem(sitter_api.patch(URL, payload, format="json"), 400)

    assert field in body["errors"], body
    assert not AuditEvent.objects.filter(action="sitter.profile_updated").exists()


def test_unknown_languages_are_named(sitter_api: APIClient) -> None:
    body = assert_problem(sitter_api.patch(URL, {"languages": ["en", "zz", "QQ"]}, format="json"), 400)

    assert "zz" in body["errors"]["languages"][0] and "qq" in body["errors"]["languages"][0]


def test_location_can_be_cleared_as_a_pair(sitter_api: APIClient, sitter: User) -> None:
    SitterProfileFactory(user=sitter)

    assert_problem(sitter_api.patch(URL, {"latitude": None}, format="json"), 400)
    response = sitter_api.patch(URL, {"latitude": None, "longitude": None}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["complete"] is False
    assert SitterProfile.objects.get(pk=sitter.pk).latitude is None


def test_photo_must_be_the_sitters_own_ready_avatar(sitter_api: APIClient, sitter: User, other_sitter: User) -> None:
    mine = StoredFileFactory(owner=sitter, purpose="avatar", content_type="image/jpeg")
    pending = StoredFileFactory(
        owner=sitter, purpose="avatar", content_type="image/jpeg", status="pending", scan="pending"
    )
    document = StoredFileFactory(owner=sitter, purpose="certification")
    theirs = StoredFileFactory(owner=other_sitter, purpose="avatar", content_type="image/jpeg")

    for bad in (pending, document, theirs):
        body = assert_problem(sitter_api.patch(URL, {"photo_id": str(bad.pk)}, format="json"), 400)
        assert "photo_id" in body["errors"]
    response = sitter_api.patch(URL, {"photo_id": str(mine.pk)}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["photo_id"] == str(mine.pk)
    assert SitterProfile.objects.get(pk=sitter.pk).photo_id == mine.pk
    response = sitter_api.patch(URL, {"photo_id": None}, format="json")
    assert response.json()["photo_id"] is None
    assert response.json()["photo_url"] is None


def test_a_timezone_change_moves_the_calendar(sitter_api: APIClient, sitter: User) -> None:
    # given: Monday 09:00-17:00 in Berlin
    profile = SitterProfileFactory(user=sitter, timezone="Europe/Berlin")
    availability_set(profile=profile, timezone="Europe/Berlin", windows=[(0, 9 * 60, 17 * 60)], actor=sitter)
    berlin = sorted(AvailabilitySpan.objects.filter(sitter=profile).values_list("starts_at", flat=True))
    assert berlin

    # when: the same local hours in New York
    response = sitter_api.patch(URL, {"timezone": "America/New_York"}, format="json")

    # then: the spans are other instants, hours later
    assert response.status_code == 200, response.content
    new_york = sorted(AvailabilitySpan.objects.filter(sitter=profile).values_list("starts_at", flat=True))
    assert new_york and new_york != berlin
    assert {start.astimezone(ZoneInfo("America/New_York")).hour for start in new_york} == {9}
    assert {start.astimezone(ZoneInfo("Europe/Berlin")).hour for start in berlin} == {9}
    assert AuditEvent.objects.filter(action="sitter.availability_recomputed", target_id=str(sitter.pk)).exists()

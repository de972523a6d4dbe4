"""Changes made outside the sitters services still reach the caches (sitters.signals), and only those that show."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import User
from accounts.services.gdpr import user_deactivate
from accounts.tests.factories import PASSWORD
from files.services.lifecycle import file_delete, file_review
from sitters.cache import SEARCH_GENERATION_KEY, sitter_changed
from sitters.models import SitterProfile
from sitters.tests.factories import AvatarFileFactory, CertificationFactory, SitterProfileFactory, StoredFileFactory

pytestmark = pytest.mark.django_db

SEARCH = "/api/v1/search/sitters"
BERLIN = {"latitude": 52.520008, "longitude": 13.404954}


def profile_url(profile: SitterProfile) -> str:
    return f"/api/v1/sitters/{profile.pk}"


def found_ids(client: APIClient) -> list[str]:
    response = client.get(SEARCH, BERLIN)
    assert response.status_code == 200, response.content
    return [result["id"] for result in response.json()["results"]]


def test_a_first_name_changed_through_auth_me_shows_on_the_next_profile_read(
    sitter: User, sitter_api: APIClient, parent_api: APIClient, django_capture_on_commit_callbacks: Any
) -> None:
    profile = SitterProfileFactory(user=sitter)
    assert parent_api.get(profile_url(profile)).json()["first_name"] == sitter.first_name  # now cached

    with django_capture_on_commit_callbacks(execute=True):
        response = sitter_api.patch("/api/v1/auth/me", {"first_name": "Renamed"}, format="json")
    assert response.status_code == 200, response.content

    assert parent_api.get(profile_url(profile)).json()["first_name"] == "Renamed"
    assert [r["first_name"] for r in parent_api.get(SEARCH, BERLIN).json()["results"]] == ["Renamed"]


def test_a_deactivated_sitter_leaves_a_cached_search(
    sitter: User, staff: User, parent_api: APIClient, django_capture_on_commit_callbacks: Any
) -> None:
    profile = SitterProfileFactory(user=sitter)
    assert found_ids(parent_api) == [str(profile.pk)]
    generation = cache.get(SEARCH_GENERATION_KEY)
    SitterProfile.objects.filter(pk=profile.pk).update(hourly_rate=9900)  # no service: the cache is not told
    cached = parent_api.get(SEARCH, BERLIN).json()["results"]
    assert [r["hourly_rate"]["amount"] for r in cached] == [2500]  # so this page came from the cache

    with django_capture_on_commit_callbacks(execute=True):
        assert user_deactivate(user=sitter, actor=staff) is True

    assert cache.get(SEARCH_GENERATION_KEY) != generation
    assert found_ids(parent_api) == []
    assert parent_api.get(profile_url(profile)).status_code == 404


def test_a_certificate_approved_by_staff_shows_its_badge_on_the_next_read(
    staff: User, parent_api: APIClient, django_capture_on_commit_callbacks: Any
) -> None:
    profile = SitterProfileFactory()
    document = StoredFileFactory(owner=profile.user, purpose="certification", review="pending")
    CertificationFactory(sitter=profile, kind="cpr", document=document)
    assert parent_api.get(profile_url(profile)).json()["certifications"] == []  # now cached

    with django_capture_on_commit_callbacks(execute=True):
        file_review(file=document, actor=staff, approved=True)

    assert [badge["kind"] for badge in parent_api.get(profile_url(profile)).json()["certifications"]] == ["cpr"]


def test_a_login_leaves_every_cached_search_alone(
    sitter: User, api: APIClient, parent_api: APIClient, django_capture_on_commit_callbacks: Any
) -> None:
    profile = SitterProfileFactory(user=sitter)
    sitter_changed(profile.pk)  # a generation to compare with
    generation = cache.get(SEARCH_GENERATION_KEY)
    found_ids(parent_api)

    with django_capture_on_commit_callbacks(execute=True):
        # The admin's sign-in saves last_login (update_fields=["last_login"]); the API's does not save the user.
        Client().force_login(sitter)
        response = api.post("/api/v1/auth/login", {"email": sitter.email, "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.content

    sitter.refresh_from_db()
    assert sitter.last_login is not None
    assert cache.get(SEARCH_GENERATION_KEY) == generation
    SitterProfile.objects.filter(pk=profile.pk).update(hourly_rate=9900)
    assert [r["hourly_rate"]["amount"] for r in parent_api.get(SEARCH, BERLIN).json()["results"]] == [2500]  # cached


@pytest.mark.parametrize(
    ("change", "invalidates"),
    [
        ({"first_name": "New"}, True),
        ({"is_active": False}, True),
        ({"role": "parent"}, True),
        ({"last_name": "Other"}, False),
        ({"phone": "+4915112345678"}, False),
    ],
)
def test_only_account_fields_profiles_show_invalidate(
    sitter: User, change: dict[str, Any], invalidates: bool, django_capture_on_commit_callbacks: Any
) -> None:
    SitterProfileFactory(user=sitter)
    for field, value in change.items():
        setattr(sitter, field, value)

    with django_capture_on_commit_callbacks() as named:
        sitter.save(update_fields=[*change, "updated_at"])
    with django_capture_on_commit_callbacks() as whole:  # the admin's save names no fields
        sitter.save()

    assert len(_sitters_own(named)) == (1 if invalidates else 0)
    assert len(_sitters_own(whole)) == 1


def _sitters_own(callbacks: list[Any]) -> list[Any]:
    """The on-commit work sitters queued (a deactivation also closes the user's sockets: not ours to count)."""
    return [callback for callback in callbacks if getattr(callback, "func", callback).__module__.startswith("sitters")]


def test_accounts_without_a_sitter_profile_invalidate_nothing(
    parent: User, sitter: User, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        parent.first_name = "Parent"
        parent.save()
        sitter.first_name = "Not yet a sitter with a profile"
        sitter.save()

    # (Each save still makes the account's own authentication snapshots stale on commit: accounts.auth_snapshot.)
    assert [callback for callback in callbacks if callback.__module__.startswith("sitters")] == []


def test_a_deleted_account_takes_its_cached_profile_along(
    sitter: User, parent_api: APIClient, django_capture_on_commit_callbacks: Any
) -> None:
    profile = SitterProfileFactory(user=sitter)
    assert parent_api.get(profile_url(profile)).status_code == 200  # now cached

    with django_capture_on_commit_callbacks(execute=True):
        User.objects.filter(pk=sitter.pk).delete()  # the admin's delete: the profile goes with the cascade

    assert parent_api.get(profile_url(profile)).status_code == 404


def test_deleting_the_photo_a_profile_shows_drops_it_from_the_cached_profile(
    sitter: User, parent_api: APIClient, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.FILES_SERVE_UNSCANNED = True
    profile = SitterProfileFactory(user=sitter)
    photo = AvatarFileFactory(owner=sitter)
    SitterProfile.objects.filter(pk=profile.pk).update(photo=photo)
    assert parent_api.get(profile_url(profile)).json()["photo_url"]  # now cached

    with django_capture_on_commit_callbacks(execute=True):
        file_delete(file=photo, actor=sitter)

    assert parent_api.get(profile_url(profile)).json()["photo_url"] is None


def test_an_upload_nothing_shows_yet_leaves_the_caches_alone(
    sitter: User, parent_api: APIClient, django_capture_on_commit_callbacks: Any
) -> None:
    profile = SitterProfileFactory(user=sitter)
    parent_api.get(SEARCH, BERLIN)
    generation = cache.get(SEARCH_GENERATION_KEY)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        upload = AvatarFileFactory(owner=sitter, status="pending")
        upload.status = "ready"
        upload.save(update_fields=["status"])  # the pipeline finishing it: still nothing points at it

    assert callbacks == []
    assert cache.get(SEARCH_GENERATION_KEY) == generation
    assert SitterProfile.objects.get(pk=profile.pk).photo_id is None

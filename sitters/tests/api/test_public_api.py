"""``GET sitters/{id}`` and ``GET sitters/{id}/reviews``: visibility, shape, distance, ETag and 304."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any, cast

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ParentProfile, User
from accounts.tests.factories import ParentFactory
from accounts.tests.problems import assert_problem
from conftest import client_for
from files.models import StoredFile
from sitters.cache import sitter_changed
from sitters.models import Certification, Review, SitterProfile
from sitters.tests.factories import AvatarFileFactory, SitterProfileFactory, StoredFileFactory

pytestmark = pytest.mark.django_db


def url(profile: SitterProfile | Any) -> str:
    return f"/api/v1/sitters/{getattr(profile, 'pk', profile)}"


def avatar(owner: User, **fields: Any) -> StoredFile:
    return cast(StoredFile, AvatarFileFactory(owner=owner, **fields))


def test_the_public_profile_shape(parent_api: APIClient) -> None:
    profile = SitterProfileFactory(bio="Loves books", hourly_rate=2200, rating_avg=Decimal("4.75"), rating_count=4)
    document = StoredFileFactory(owner=profile.user, review="approved")
    Certification.objects.create(
        sitter=profile, kind="first_aid", issued_at=date(2024, 3, 1), expires_at=date(2099, 3, 1), document=document
    )
    Certification.objects.create(sitter=profile, kind="cpr", issued_at=date(2024, 3, 1), document=None)  # no proof

    response = parent_api.get(url(profile))

    assert response.status_code == 200
    assert response.json() == {
        "id": str(profile.pk),
        "first_name": profile.user.first_name,
        "bio": "Loves books",
        "hourly_rate": {"amount": 2200, "currency": "eur"},
        "rating_avg": 4.75,
        "rating_count": 4,
        "verified": True,
        "languages": ["de", "en"],
        "age_groups": ["toddler", "school_age"],
        "years_experience": 4,
        "certifications": [{"kind": "first_aid", "issued_at": "2024-03-01", "expires_at": "2099-03-01"}],
        "photo_url": None,
        "reliability": {"score": None, "cancellations_90d": 0, "no_shows_90d": 0, "completed_90d": 0, "completed": 0},
    }
    assert response["Cache-Control"] == "private, no-cache"
    assert response["ETag"].startswith('"') and len(response["ETag"]) == 34


def test_invisible_sitters_are_not_found(parent_api: APIClient, parent: User, sitter: User) -> None:
    incomplete = SitterProfileFactory(latitude=None, longitude=None)
    no_rate = SitterProfileFactory(hourly_rate=None)
    inactive = SitterProfileFactory()
    User.objects.filter(pk=inactive.pk).update(is_active=False)

    for target in (
        incomplete.pk,
        no_rate.pk,
        inactive.pk,
        parent.pk,
        sitter.pk,
        "00000000-0000-0000-0000-000000000001",
    ):
        assert_problem(parent_api.get(url(target)), 404, "not_found")
        assert_problem(parent_api.get(f"{url(target)}/reviews"), 404, "not_found")


def test_anyone_signed_in_but_not_anonymous(api: APIClient, sitter_api: APIClient, staff_api: APIClient) -> None:
    profile = SitterProfileFactory()

    assert_problem(api.get(url(profile)), 401)
    assert_problem(api.get(f"{url(profile)}/reviews"), 401)
    assert sitter_api.get(url(profile)).status_code == 200
    assert staff_api.get(url(profile)).status_code == 200


def test_a_parent_with_coordinates_sees_a_rounded_distance_only(parent: User, parent_api: APIClient) -> None:
    profile = SitterProfileFactory(latitude=52.52, longitude=13.405)
    ParentProfile.objects.create(user=parent, latitude=Decimal("52.52"), longitude=Decimal("13.5"))
    no_coordinates = ParentFactory()
    ParentProfile.objects.create(user=no_coordinates)

    body = parent_api.get(url(profile)).json()

    assert body["distance_km"] == 6.4  # 0.095° of longitude at 52.52°N
    assert "distance_km" not in client_for(no_coordinates).get(url(profile)).json()
    flat = str(body)
    assert "52.52" not in flat and "13.405" not in flat and "service_radius" not in flat


def test_the_parents_point_is_rounded_like_a_search(parent: User, parent_api: APIClient) -> None:
    """0.26 km from 52.520 (the family's 52.5204 rounded) shows 0.3; from 52.5204 itself it would be 0.2."""
    profile = SitterProfileFactory(latitude=52.52 + 0.26 / 111.19508, longitude=13.405)
    ParentProfile.objects.create(user=parent, latitude=Decimal("52.5204"), longitude=Decimal("13.4049"))

    assert parent_api.get(url(profile)).json()["distance_km"] == 0.3


def test_etag_revalidation_answers_304_without_a_body(sitter_api: APIClient) -> None:
    profile = SitterProfileFactory()
    first = sitter_api.get(url(profile))
    etag = first["ETag"]

    again = sitter_api.get(url(profile), HTTP_IF_NONE_MATCH=etag)
    weak = sitter_api.get(url(profile), HTTP_IF_NONE_MATCH=f'"nope", W/{etag}')
    other = sitter_api.get(url(profile), HTTP_IF_NONE_MATCH='"something-else"')

    assert again.status_code == 304 and again.content == b""
    assert again["ETag"] == etag and again["Cache-Control"] == "private, no-cache"
    assert weak.status_code == 304
    assert other.status_code == 200 and other.json() == first.json()


def test_a_change_makes_a_new_etag(sitter_api: APIClient) -> None:
    profile = SitterProfileFactory(bio="Before")
    etag = sitter_api.get(url(profile))["ETag"]
    SitterProfile.objects.filter(pk=profile.pk).update(bio="After")
    sitter_changed(profile.pk)

    response = sitter_api.get(url(profile), HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 200 and response.json()["bio"] == "After"
    assert response["ETag"] != etag


def test_revalidating_a_cached_profile_needs_no_database(sitter_api: APIClient, django_assert_num_queries: Any) -> None:
    profile = SitterProfileFactory()
    etag = sitter_api.get(url(profile))["ETag"]

    with django_assert_num_queries(0):  # the caller from its authentication snapshot, kept by the request above
        assert sitter_api.get(url(profile), HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_the_distance_is_part_of_a_parents_etag(parent: User, parent_api: APIClient) -> None:
    profile = SitterProfileFactory()
    family = ParentProfile.objects.create(user=parent, latitude=Decimal("52.5"), longitude=Decimal("13.4"))
    etag = parent_api.get(url(profile))["ETag"]
    assert parent_api.get(url(profile), HTTP_IF_NONE_MATCH=etag).status_code == 304

    family.latitude = Decimal("52.6")
    family.save()

    assert parent_api.get(url(profile), HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_the_photo_is_a_link_to_the_public_avatar_variant(sitter_api: APIClient, settings: Any) -> None:
    settings.FILES_SERVE_UNSCANNED = True
    profile = SitterProfileFactory()
    SitterProfile.objects.filter(pk=profile.pk).update(photo=avatar(profile.user))

    photo_url = sitter_api.get(url(profile)).json()["photo_url"]

    photo_id = SitterProfile.objects.get(pk=profile.pk).photo_id
    assert photo_url.startswith(f"http://testserver/api/v1/files/{photo_id}/content?")
    assert "variant=medium" in photo_url and "signature=" in photo_url


def test_no_photo_link_for_a_file_that_may_not_be_served_or_is_not_theirs(
    sitter_api: APIClient, settings: Any, other_sitter: User
) -> None:
    settings.FILES_SERVE_UNSCANNED = True
    pending = SitterProfileFactory()
    SitterProfile.objects.filter(pk=pending.pk).update(photo=avatar(pending.user, status="pending"))
    borrowed = SitterProfileFactory()
    SitterProfile.objects.filter(pk=borrowed.pk).update(photo=avatar(other_sitter))

    assert sitter_api.get(url(pending)).json()["photo_url"] is None
    assert sitter_api.get(url(borrowed)).json()["photo_url"] is None


# --- reviews ------------------------------------------------------------------------------------


def test_reviews_newest_first_without_hidden_ones(parent_api: APIClient, parent: User) -> None:
    profile = SitterProfileFactory()
    now = timezone.now()
    old = Review.objects.create(sitter=profile, author=parent, rating=4, comment="Good")
    new = Review.objects.create(sitter=profile, author=None, rating=5, comment="Great")
    Review.objects.create(sitter=profile, author=parent, rating=1, comment="Rude words", hidden=True)
    Review.objects.filter(pk=old.pk).update(created_at=now - timedelta(days=2))
    Review.objects.filter(pk=new.pk).update(created_at=now - timedelta(days=1))
    Review.objects.create(sitter=SitterProfileFactory(), author=parent, rating=3, comment="Someone else")

    body = parent_api.get(f"{url(profile)}/reviews").json()

    assert [r["id"] for r in body["results"]] == [str(new.pk), str(old.pk)]
    assert body["results"][1] == {
        "id": str(old.pk),
        "rating": 4,
        "comment": "Good",
        "reply": "",
        "replied_at": None,
        "author_first_name": parent.first_name,
        "created_at": body["results"][1]["created_at"],
    }
    assert body["results"][0]["author_first_name"] is None
    assert body["next"] is None


def test_reviews_are_cursor_paginated(parent_api: APIClient, parent: User) -> None:
    profile = SitterProfileFactory()
    for rating in range(1, 6):
        Review.objects.create(sitter=profile, author=parent, rating=rating, comment=f"{rating}")

    first = parent_api.get(f"{url(profile)}/reviews", {"page_size": 3}).json()
    second = parent_api.get(first["next"]).json()

    assert len(first["results"]) == 3 and len(second["results"]) == 2
    assert {r["id"] for r in first["results"]}.isdisjoint({r["id"] for r in second["results"]})


def test_a_photo_row_with_ids_as_sqlite_returns_them_still_gets_its_link(settings: Any) -> None:
    """SQLite (the embedded default) hands UUID columns back as 32 hex digits; links are built from real UUIDs."""
    from django.db import connection

    from sitters.selectors.search import sitter_profile_statement
    from sitters.selectors.search.rows import public_profile_from_row
    from sitters.selectors.search.sql import ROW_COLUMNS

    settings.FILES_SERVE_UNSCANNED = True
    profile = SitterProfileFactory()
    photo = avatar(profile.user)
    SitterProfile.objects.filter(pk=profile.pk).update(photo=photo)
    sql, params = sitter_profile_statement(sitter_id=profile.pk)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = list(cursor.fetchone())
    for column in ("sid", "photo_id", "photo_owner_id"):
        row[ROW_COLUMNS.index(column)] = row[ROW_COLUMNS.index(column)].hex

    body = public_profile_from_row(tuple(row), None)

    assert body["id"] == str(profile.pk)
    assert body["photo_url"] and str(photo.pk) in body["photo_url"]

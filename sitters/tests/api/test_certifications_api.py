"""CRUD ``sitters/me/certifications``: status, badge, documents, one per kind, 404 for others."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.problems import assert_problem
from files.services.lifecycle import file_review
from guardiannest.audit.models import AuditEvent
from sitters.models import Certification
from sitters.selectors.profile import certification_badge, certification_status
from sitters.tests.access_cases_profile import CASES
from sitters.tests.factories import CertificationFactory, SitterProfileFactory, StoredFileFactory

URL = "/api/v1/sitters/me/certifications"
pytestmark = pytest.mark.django_db


def profile_version(sitter_id: Any) -> Any:
    return cache.get(f"sitters:profile-version:{sitter_id}")


def days(n: int) -> str:
    return (timezone.localdate() + timedelta(days=n)).isoformat()


@pytest.fixture
def profile(sitter: User) -> Any:
    return SitterProfileFactory(user=sitter)


@pytest.fixture
def document(sitter: User) -> Any:
    return StoredFileFactory(owner=sitter, purpose="certification")


def test_create_list_get_patch_delete(
    sitter_api: APIClient,
    sitter: User,
    staff: User,
    profile: Any,
    document: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # create: the document is not approved yet, so no badge
    with django_capture_on_commit_callbacks(execute=True):
        response = sitter_api.post(
            URL,
            {"kind": "cpr", "issued_at": days(-100), "expires_at": days(300), "document_id": str(document.pk)},
            format="json",
        )
        assert profile_version(sitter.pk) is None  # forgotten only after commit
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["kind"] == "cpr"
    assert created["document_id"] == str(document.pk)
    assert created["status"] == "unconfirmed" and created["badge"] is False
    assert profile_version(sitter.pk) is not None
    assert AuditEvent.objects.filter(action="sitter.certification_created", target_id=created["id"]).exists()

    # staff approve the document: the badge shows
    file_review(file=document, actor=staff, approved=True)
    detail = sitter_api.get(f"{URL}/{created['id']}").json()
    assert detail["status"] == "valid" and detail["badge"] is True

    listing = sitter_api.get(URL).json()
    assert [item["id"] for item in listing["results"]] == [created["id"]]
    assert listing["next"] is None

    # patch: the approval covered the old dates, so the badge waits for staff again
    before = profile_version(sitter.pk)
    with django_capture_on_commit_callbacks(execute=True):
        response = sitter_api.patch(f"{URL}/{created['id']}", {"expires_at": days(10)}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "unconfirmed" and response.json()["badge"] is False
    assert profile_version(sitter.pk) != before
    assert AuditEvent.objects.get(action="sitter.certification_updated").data == {"fields": ["expires_at"]}
    # approved again: expiring within 30 days still shows the badge
    file_review(file=document, actor=staff, approved=True)
    detail = sitter_api.get(f"{URL}/{created['id']}").json()
    assert detail["status"] == "expiring" and detail["badge"] is True

    # delete
    with django_capture_on_commit_callbacks(execute=True):
        response = sitter_api.delete(f"{URL}/{created['id']}")
    assert response.status_code == 204
    assert not Certification.objects.exists()
    assert AuditEvent.objects.filter(action="sitter.certification_deleted", target_id=created["id"]).exists()


def test_expired_certifications_lose_their_badge_by_themselves(profile: Any) -> None:
    certification = CertificationFactory(sitter=profile, expires_at=timezone.localdate() + timedelta(days=1))
    today = timezone.localdate()

    assert certification_status(certification, today=today) == "expiring"
    assert certification_badge(certification, today=today + timedelta(days=1)) is True  # valid through its last day
    assert certification_status(certification, today=today + timedelta(days=2)) == "expired"
    assert certification_badge(certification, today=today + timedelta(days=2)) is False


def test_a_rejected_document_shows_unconfirmed(profile: Any, staff: User) -> None:
    certification = CertificationFactory(sitter=profile)
    assert certification_status(certification) == "valid"

    file_review(file=certification.document, actor=staff, approved=False)
    certification.document.refresh_from_db()

    assert certification_status(certification) == "unconfirmed"
    assert certification_badge(certification) is False


def test_one_per_kind_except_other(sitter_api: APIClient, profile: Any) -> None:
    first = sitter_api.post(URL, {"kind": "first_aid", "issued_at": days(-10)}, format="json")
    assert first.status_code == 201, first.content

    body = assert_problem(
        sitter_api.post(URL, {"kind": "first_aid", "issued_at": days(-5)}, format="json"), 409, "certification_exists"
    )
    assert "kind" in body["errors"]
    for _ in range(2):
        assert sitter_api.post(URL, {"kind": "other", "issued_at": days(-5)}, format="json").status_code == 201
    # changing another one into an existing kind is the same conflict
    driving = sitter_api.post(URL, {"kind": "driving", "issued_at": days(-5)}, format="json").json()
    assert_problem(
        sitter_api.patch(f"{URL}/{driving['id']}", {"kind": "first_aid"}, format="json"), 409, "certification_exists"
    )
    assert Certification.objects.filter(kind="first_aid").count() == 1


class Days(int):
    """A day offset in a parametrised payload, turned into a date when the test runs (not at import)."""


def resolved(payload: dict[str, Any]) -> dict[str, Any]:
    return {key: days(value) if isinstance(value, Days) else value for key, value in payload.items()}


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"kind": "karate", "issued_at": "2024-01-01"}, "kind"),
        ({"kind": "cpr"}, "issued_at"),
        ({"kind": "cpr", "issued_at": "yesterday"}, "issued_at"),
        # two days on: in the future in every zone (tomorrow in UTC is already today in Berlin from 23:00 UTC)
        ({"kind": "cpr", "issued_at": Days(2)}, "issued_at"),
        ({"kind": "cpr", "issued_at": Days(-10), "expires_at": Days(-10)}, "expires_at"),
        ({"kind": "cpr", "issued_at": Days(-10), "expires_at": Days(-20)}, "expires_at"),
        ({"kind": "cpr", "issued_at": Days(-10), "document_id": "nope"}, "document_id"),
        ({"kind": "cpr", "issued_at": Days(-10), "status": "valid", "colour": "red"}, "colour"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(
    sitter_api: APIClient, profile: Any, payload: dict[str, Any], field: str
) -> None:
    body = assert_problem(sitter_api.post(URL, resolved(payload), format="json"), 400)

    assert field in body["errors"], body
    assert not Certification.objects.exists()


def test_document_must_be_the_sitters_own_certification_upload(
    sitter_api: APIClient, sitter: User, other_sitter: User, profile: Any
) -> None:
    theirs = StoredFileFactory(owner=other_sitter, purpose="certification")
    id_document = StoredFileFactory(owner=sitter, purpose="id_document")
    rejected = StoredFileFactory(owner=sitter, purpose="certification", status="rejected", scan="infected")

    for bad in (theirs, id_document, rejected):
        payload = {"kind": "cpr", "issued_at": days(-10), "document_id": str(bad.pk)}
        body = assert_problem(sitter_api.post(URL, payload, format="json"), 400)
        assert "document_id" in body["errors"]
    assert not Certification.objects.exists()


def test_patch_after_issue_date_moves_is_checked_as_a_whole(sitter_api: APIClient, profile: Any) -> None:
    certification = CertificationFactory(sitter=profile)

    body = assert_problem(sitter_api.patch(f"{URL}/{certification.pk}", {"issued_at": days(400)}, format="json"), 400)

    assert "issued_at" in body["errors"]
    certification.refresh_from_db()
    assert certification.issued_at < timezone.localdate()


def test_parents_are_refused(parent_api: APIClient, sitter: User) -> None:
    certification = CertificationFactory(sitter=SitterProfileFactory(user=sitter))

    assert_problem(parent_api.get(URL), 403)
    assert_problem(parent_api.post(URL, {"kind": "cpr", "issued_at": days(-1)}, format="json"), 403)
    assert_problem(parent_api.get(f"{URL}/{certification.pk}"), 403)
    assert_problem(parent_api.delete(f"{URL}/{certification.pk}"), 403)
    assert Certification.objects.filter(pk=certification.pk).exists()


def test_another_sitters_certification_is_not_found(request: pytest.FixtureRequest) -> None:
    CASES["sitters:certification-detail"](request)


# --- forged badges: an approval covers what staff saw, and one document backs one certification ---------


@pytest.mark.parametrize(
    "change",
    [{"kind": "cpr"}, {"issued_at": Days(-30)}, {"expires_at": Days(3000)}, {"expires_at": None}],
)
def test_any_edit_of_an_approved_certification_sends_it_back_to_review(
    sitter_api: APIClient, profile: Any, change: dict[str, Any]
) -> None:
    """The attack: staff approve a first-aid certificate; the sitter turns it into another kind or dates."""
    certification = CertificationFactory(sitter=profile)
    assert sitter_api.get(f"{URL}/{certification.pk}").json()["badge"] is True

    response = sitter_api.patch(f"{URL}/{certification.pk}", resolved(change), format="json")

    assert response.status_code == 200, response.content
    assert response.json()["badge"] is False and response.json()["status"] == "unconfirmed"
    certification.document.refresh_from_db()
    assert certification.document.review == "pending" and certification.document.reviewed_by is None
    assert AuditEvent.objects.filter(action="file.review_reopened", target_id=str(certification.document_id)).exists()


def test_one_document_backs_one_certification(sitter_api: APIClient, profile: Any) -> None:
    """The attack: attach an approved document to other certifications, and their badges follow."""
    approved = CertificationFactory(sitter=profile)
    document_id = str(approved.document_id)

    created = sitter_api.post(URL, {"kind": "cpr", "issued_at": days(-10), "document_id": document_id}, format="json")
    other = sitter_api.post(URL, {"kind": "driving", "issued_at": days(-10)}, format="json").json()
    patched = sitter_api.patch(f"{URL}/{other['id']}", {"document_id": document_id}, format="json")

    assert_problem(created, 409, "document_in_use")
    assert_problem(patched, 409, "document_in_use")
    assert list(Certification.objects.filter(document_id=document_id)) == [approved]
    assert sitter_api.get(f"{URL}/{approved.pk}").json()["badge"] is True  # the honest one keeps its badge


def test_the_database_refuses_a_second_certification_on_one_document(profile: Any) -> None:
    from django.db import IntegrityError, transaction

    approved = CertificationFactory(sitter=profile)
    with pytest.raises(IntegrityError), transaction.atomic():
        CertificationFactory(sitter=profile, kind="cpr", document=approved.document)


def test_a_detached_approved_document_reattached_waits_for_review(sitter_api: APIClient, profile: Any) -> None:
    approved = CertificationFactory(sitter=profile)
    document = approved.document
    assert sitter_api.delete(f"{URL}/{approved.pk}").status_code == 204

    response = sitter_api.post(
        URL, {"kind": "cpr", "issued_at": days(-10), "document_id": str(document.pk)}, format="json"
    )

    assert response.status_code == 201, response.content
    assert response.json()["badge"] is False

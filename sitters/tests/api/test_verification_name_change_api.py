"""A name change after identity verification goes back to review (issue 11, item 4).

The forged-badge attack: get verified under one name, then rename the account
and keep the verified badge. Through the API a sitter is submitted and
verified by staff, then ``PATCH auth/me`` changes the name: the identity check
is pending again (with the document it was decided on), the public profile is
no longer verified, the change is audited and the sitter told. A PATCH that
leaves the names as they are keeps the verification.
"""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from guardiannest.audit.models import AuditEvent
from messaging.models import Notification
from sitters.models import CheckKind, CheckStatus, SitterProfile
from sitters.tests.verification_helpers import checks_of, id_document, unverified

pytestmark = pytest.mark.django_db

ME = "/api/v1/auth/me"
VERIFICATION = "/api/v1/sitters/me/verification"


def _verified_through_the_api(sitter: User, sitter_api: APIClient, staff_api: APIClient) -> str:
    """Submit with an ID document, staff verify both checks; answers the document's id."""
    unverified(sitter)
    document = id_document(sitter)
    assert sitter_api.post(VERIFICATION, {"id_document_id": str(document.pk)}, format="json").status_code == 201
    decided = staff_api.post(f"/api/v1/staff/sitters/{sitter.pk}/verification", {"decision": "verified"}, format="json")
    assert decided.status_code == 200, decided.content
    assert decided.json()["verification_status"] == "verified"
    return str(document.pk)


def _public_verified(parent_api: APIClient, sitter: User) -> bool:
    response = parent_api.get(f"/api/v1/sitters/{sitter.pk}")
    assert response.status_code == 200, response.content
    return bool(response.json()["verified"])


def test_a_new_last_name_sends_the_verified_identity_back_to_review(
    sitter: User,
    sitter_api: APIClient,
    staff_api: APIClient,
    parent_api: APIClient,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # given a sitter verified through the API, whose badge parents see
    document_id = _verified_through_the_api(sitter, sitter_api, staff_api)
    assert _public_verified(parent_api, sitter) is True
    verified_identity = checks_of(sitter)[CheckKind.IDENTITY]

    # when the sitter renames the account
    with django_capture_on_commit_callbacks(execute=True):
        response = sitter_api.patch(ME, {"last_name": "Someone-Else"}, format="json")

    # then the name changed, and the identity check is pending again, on the same document
    assert response.status_code == 200, response.content
    assert response.json()["last_name"] == "Someone-Else"
    identity = checks_of(sitter)[CheckKind.IDENTITY]
    assert identity.pk != verified_identity.pk
    assert (identity.status, str(identity.document_id)) == (CheckStatus.PENDING, document_id)
    assert checks_of(sitter)[CheckKind.BACKGROUND].status == CheckStatus.VERIFIED
    profile = SitterProfile.objects.get(pk=sitter.pk)
    assert (profile.verification_status, profile.verified_at) == ("pending", None)
    assert sitter_api.get(VERIFICATION).json()["verification_status"] == "pending"
    # the badge is gone from the public profile (its cache entry was forgotten)
    assert _public_verified(parent_api, sitter) is False
    # audited, and the sitter told
    event = AuditEvent.objects.get(action="sitter.verification_reopened")
    assert (event.actor_id, event.target_id) == (sitter.pk, str(identity.pk))
    assert event.data["fields"] == ["last_name"] and event.data["previous_check_id"] == str(verified_identity.pk)
    assert Notification.objects.filter(user=sitter, kind="sitter.verification_reopened").count() == 1
    # staff see it in their queue and may verify it again
    with django_capture_on_commit_callbacks(execute=True):
        again = staff_api.post(
            f"/api/v1/staff/sitters/{sitter.pk}/verification",
            {"decision": "verified", "check": "identity"},
            format="json",
        )
    assert again.status_code == 200 and again.json()["verification_status"] == "verified"
    assert _public_verified(parent_api, sitter) is True


def test_a_patch_that_keeps_the_names_keeps_the_verification(
    sitter: User, sitter_api: APIClient, staff_api: APIClient, parent_api: APIClient
) -> None:
    _verified_through_the_api(sitter, sitter_api, staff_api)
    identity = checks_of(sitter)[CheckKind.IDENTITY]

    same = sitter_api.patch(ME, {"first_name": sitter.first_name, "last_name": sitter.last_name}, format="json")
    phone = sitter_api.patch(ME, {"phone": "+44 20 7946 0958"}, format="json")

    assert (same.status_code, phone.status_code) == (200, 200)
    assert checks_of(sitter)[CheckKind.IDENTITY].pk == identity.pk
    assert SitterProfile.objects.get(pk=sitter.pk).verification_status == "verified"
    assert _public_verified(parent_api, sitter) is True
    assert not AuditEvent.objects.filter(action="sitter.verification_reopened").exists()


def test_a_name_change_before_verification_changes_nothing_of_it(sitter: User, sitter_api: APIClient) -> None:
    unverified(sitter)
    assert (
        sitter_api.post(VERIFICATION, {"id_document_id": str(id_document(sitter).pk)}, format="json").status_code == 201
    )
    pending = checks_of(sitter)[CheckKind.IDENTITY]

    assert sitter_api.patch(ME, {"first_name": "Renamed"}, format="json").status_code == 200

    assert checks_of(sitter)[CheckKind.IDENTITY].pk == pending.pk  # still the one pending check
    assert not AuditEvent.objects.filter(action="sitter.verification_reopened").exists()


def test_a_parents_name_change_concerns_no_verification(parent: User, parent_api: APIClient) -> None:
    assert parent_api.patch(ME, {"first_name": "Renamed"}, format="json").status_code == 200

    assert not AuditEvent.objects.filter(action="sitter.verification_reopened").exists()

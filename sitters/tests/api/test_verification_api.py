"""``sitters/me/verification`` and ``staff/sitters/{id}/verification``: statuses and the problem shape."""

from __future__ import annotations

import uuid

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.problems import assert_problem
from guardiannest.audit.models import AuditEvent
from sitters.models import CheckStatus, SitterProfile, VerificationCheck, VerificationStatus
from sitters.tests.factories import SitterProfileFactory
from sitters.tests.verification_helpers import id_document, submitted, unverified

pytestmark = pytest.mark.django_db

ME = "/api/v1/sitters/me/verification"


def staff_url(sitter_id: object) -> str:
    return f"/api/v1/staff/sitters/{sitter_id}/verification"


# --- the sitter -----------------------------------------------------------------------------------


def test_a_new_sitter_sees_an_unverified_state(sitter_api: APIClient) -> None:
    response = sitter_api.get(ME)
    assert response.status_code == 200, response.content
    assert response.json() == {"verification_status": "unverified", "verified_at": None, "checks": []}


def test_submitting_answers_201_with_the_pending_state(sitter: User, sitter_api: APIClient) -> None:
    unverified(sitter)
    document = id_document(sitter)
    response = sitter_api.post(ME, {"id_document_id": str(document.pk)}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["verification_status"] == "pending"
    assert [(c["kind"], c["status"], c["reason"], c["decided_at"]) for c in body["checks"]] == [
        ("identity", "pending", "", None),
        ("background", "pending", "", None),
    ]
    assert {c["id"] for c in body["checks"]} == {
        str(pk) for pk in VerificationCheck.objects.values_list("pk", flat=True)
    }
    assert sitter_api.get(ME).json()["verification_status"] == "pending"


def test_submitting_honours_the_idempotency_key(sitter: User, sitter_api: APIClient) -> None:
    unverified(sitter)
    body = {"id_document_id": str(id_document(sitter).pk)}
    first = sitter_api.post(ME, body, format="json", HTTP_IDEMPOTENCY_KEY="verify-1")
    again = sitter_api.post(ME, body, format="json", HTTP_IDEMPOTENCY_KEY="verify-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert VerificationCheck.objects.count() == 2


@pytest.mark.parametrize("body", [{}, {"id_document_id": "nope"}, {"id_document_id": str(uuid.uuid4())}])
def test_submitting_without_a_valid_document_is_a_400_naming_the_field(
    sitter: User, sitter_api: APIClient, body: dict[str, str]
) -> None:
    unverified(sitter)
    problem = assert_problem(sitter_api.post(ME, body, format="json"), 400)
    assert "id_document_id" in problem["errors"]
    assert not VerificationCheck.objects.exists()


def test_unknown_fields_are_refused(sitter: User, sitter_api: APIClient) -> None:
    unverified(sitter)
    body = {"id_document_id": str(id_document(sitter).pk), "verification_status": "verified"}
    problem = assert_problem(sitter_api.post(ME, body, format="json"), 400)
    assert "verification_status" in problem["errors"]
    assert SitterProfile.objects.get(pk=sitter.pk).verification_status == VerificationStatus.UNVERIFIED


def test_submitting_twice_or_when_verified_conflicts(sitter: User, sitter_api: APIClient, other_sitter: User) -> None:
    submitted(sitter)
    body = {"id_document_id": str(id_document(sitter).pk)}
    assert_problem(sitter_api.post(ME, body, format="json"), 409, "verification_pending")

    SitterProfileFactory(user=other_sitter)  # verified
    from conftest import client_for

    other = client_for(other_sitter)
    body = {"id_document_id": str(id_document(other_sitter).pk)}
    assert_problem(other.post(ME, body, format="json"), 409, "already_verified")


def test_only_sitters_have_a_verification(parent_api: APIClient, staff_api: APIClient, api: APIClient) -> None:
    assert_problem(parent_api.get(ME), 403)
    assert_problem(parent_api.post(ME, {"id_document_id": str(uuid.uuid4())}, format="json"), 403)
    assert_problem(staff_api.get(ME), 403)
    assert_problem(api.get(ME), 401)


# --- staff ----------------------------------------------------------------------------------------


def test_staff_verify_a_pending_sitter(sitter: User, staff: User, staff_api: APIClient) -> None:
    submitted(sitter)
    response = staff_api.post(staff_url(sitter.pk), {"decision": "verified"}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["verification_status"] == "verified"
    assert body["verified_at"] is not None
    assert {c["status"] for c in body["checks"]} == {"verified"}
    assert AuditEvent.objects.filter(action="sitter.verification_decided", actor=staff).count() == 2


def test_staff_reject_one_kind_with_a_reason(sitter: User, staff_api: APIClient) -> None:
    submitted(sitter)
    response = staff_api.post(
        staff_url(sitter.pk),
        {"decision": "rejected", "reason": "Expired <i>passport</i>", "check": "identity"},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["verification_status"] == "rejected"
    identity = next(c for c in body["checks"] if c["kind"] == "identity")
    assert (identity["status"], identity["reason"]) == ("rejected", "Expired passport")
    assert next(c for c in body["checks"] if c["kind"] == "background")["status"] == "pending"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"decision": "rejected"}, "reason"),
        ({"decision": "rejected", "reason": "   "}, "reason"),
        ({"decision": "maybe"}, "decision"),
        ({}, "decision"),
        ({"decision": "verified", "check": "dna"}, "check"),
        ({"decision": "verified", "status": "verified"}, "status"),
    ],
)
def test_staff_bad_input_is_a_400_naming_the_field(
    sitter: User, staff_api: APIClient, body: dict[str, str], field: str
) -> None:
    submitted(sitter)
    problem = assert_problem(staff_api.post(staff_url(sitter.pk), body, format="json"), 400)
    assert field in problem["errors"]
    assert set(VerificationCheck.objects.values_list("status", flat=True)) == {CheckStatus.PENDING}


def test_staff_get_404_for_unknown_ids_and_non_sitters(staff_api: APIClient, parent: User, staff: User) -> None:
    for sitter_id in (uuid.uuid4(), parent.pk, staff.pk):
        assert_problem(staff_api.post(staff_url(sitter_id), {"decision": "verified"}, format="json"), 404, "not_found")
    assert not VerificationCheck.objects.exists()


def test_non_staff_get_403_whether_or_not_the_sitter_exists(
    sitter: User, sitter_api: APIClient, parent_api: APIClient, api: APIClient
) -> None:
    submitted(sitter)
    for client in (parent_api, sitter_api):
        for sitter_id in (sitter.pk, uuid.uuid4()):
            assert_problem(client.post(staff_url(sitter_id), {"decision": "verified"}, format="json"), 403)
    assert_problem(api.post(staff_url(sitter.pk), {"decision": "verified"}, format="json"), 401)
    assert SitterProfile.objects.get(pk=sitter.pk).verification_status == VerificationStatus.PENDING

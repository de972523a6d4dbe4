"""``sitter_get_bookable``: only a verified, complete, active sitter can be booked."""

from __future__ import annotations

import uuid

import pytest

from accounts.models import User
from guardiannest.errors import ApplicationError, Refusal
from sitters.models import VerificationStatus
from sitters.selectors.bookable import sitter_get_bookable
from sitters.services.verification import verification_decide
from sitters.tests.factories import SitterProfileFactory
from sitters.tests.verification_helpers import submitted

pytestmark = pytest.mark.django_db


def test_a_verified_complete_sitter_is_bookable(sitter: User) -> None:
    SitterProfileFactory(user=sitter)
    assert sitter_get_bookable(sitter_id=sitter.pk).pk == sitter.pk
    assert sitter_get_bookable(sitter_id=str(sitter.pk)).pk == sitter.pk


def test_unknown_ids_inactive_accounts_and_non_sitters_are_not_found(
    sitter: User, other_sitter: User, parent: User
) -> None:
    SitterProfileFactory(user=sitter)
    sitter.is_active = False
    sitter.save(update_fields=["is_active"])
    for sitter_id in (uuid.uuid4(), "not-a-uuid", sitter.pk, parent.pk, other_sitter.pk):  # other_sitter: no profile
        with pytest.raises(ApplicationError) as raised:
            sitter_get_bookable(sitter_id=sitter_id)
        assert raised.value.refusal == Refusal.NOT_FOUND


@pytest.mark.parametrize(
    "status", [VerificationStatus.UNVERIFIED, VerificationStatus.PENDING, VerificationStatus.REJECTED]
)
def test_an_unverified_sitter_is_a_conflict(sitter: User, status: str) -> None:
    SitterProfileFactory(user=sitter, verification_status=status)
    with pytest.raises(ApplicationError) as raised:
        sitter_get_bookable(sitter_id=sitter.pk)
    assert (raised.value.refusal, raised.value.code) == (Refusal.CONFLICT, "sitter_not_verified")


@pytest.mark.parametrize("missing", [{"hourly_rate": None}, {"latitude": None, "longitude": None}])
def test_an_incomplete_profile_is_a_conflict(sitter: User, missing: dict[str, None]) -> None:
    SitterProfileFactory(user=sitter, **missing)
    with pytest.raises(ApplicationError) as raised:
        sitter_get_bookable(sitter_id=sitter.pk)
    assert (raised.value.refusal, raised.value.code) == (Refusal.CONFLICT, "profile_incomplete")


def test_bookability_follows_staff_decisions(sitter: User, staff: User) -> None:
    submitted(sitter)
    with pytest.raises(ApplicationError):
        sitter_get_bookable(sitter_id=sitter.pk)
    verification_decide(sitter=sitter, actor=staff, decision="verified")
    assert sitter_get_bookable(sitter_id=sitter.pk).is_verified
    verification_decide(sitter=sitter, actor=staff, decision="rejected", reason="Re-check failed", kind="background")
    with pytest.raises(ApplicationError) as raised:
        sitter_get_bookable(sitter_id=sitter.pk)
    assert raised.value.code == "sitter_not_verified"

"""Verification services: submissions, staff and provider decisions, the derived status, audit, notifications, races."""

from __future__ import annotations

from functools import partial
from typing import Any

import pytest

from accounts.models import User
from files.models import Purpose, StoredFile
from guardiannest.audit.models import AuditEvent
from guardiannest.errors import ApplicationError, Refusal
from messaging.models.notifications import Delivery, Notification
from messaging.services.delivery import delivery_enqueue
from sitters.models import CheckKind, CheckStatus, SitterProfile, VerificationCheck, VerificationStatus
from sitters.services import verification as services
from sitters.tests.factories import SitterProfileFactory
from sitters.tests.verification_helpers import checks_of, decided_events, id_document, submitted, unverified
from sitters.verification import ManualProvider

pytestmark = pytest.mark.django_db

# --- submitting -----------------------------------------------------------------------------------


def test_submitting_opens_both_checks_and_makes_the_profile_pending(
    sitter: User, django_capture_on_commit_callbacks: Any
) -> None:
    unverified(sitter)
    document = id_document(sitter)
    with django_capture_on_commit_callbacks(execute=True):
        profile = services.verification_submit(sitter=sitter, id_document_id=document.pk, actor=sitter)
    assert profile.verification_status == VerificationStatus.PENDING
    checks = checks_of(sitter)
    assert set(checks) == {CheckKind.IDENTITY, CheckKind.BACKGROUND}
    assert checks[CheckKind.IDENTITY].document_id == document.pk
    assert checks[CheckKind.BACKGROUND].document_id is None
    assert {check.status for check in checks.values()} == {CheckStatus.PENDING}
    assert {check.provider for check in checks.values()} == {"manual"}
    event = AuditEvent.objects.get(action="sitter.verification_submitted")
    assert event.target_id == str(sitter.pk)
    assert SitterProfile.objects.get(pk=sitter.pk).verification_status == VerificationStatus.PENDING


@pytest.mark.parametrize(
    "document",
    [
        pytest.param(lambda me, other: id_document(other), id="someone_elses"),
        pytest.param(lambda me, other: id_document(me, purpose=Purpose.AVATAR, content_type="image/jpeg"), id="avatar"),
        pytest.param(lambda me, other: id_document(me, status=StoredFile.Status.PENDING), id="not_ready"),
        pytest.param(lambda me, other: id_document(me, review=StoredFile.Review.REJECTED), id="rejected_by_staff"),
    ],
)
def test_submitting_needs_the_sitters_own_ready_id_document(sitter: User, other_sitter: User, document: Any) -> None:
    unverified(sitter)
    with pytest.raises(ApplicationError) as raised:
        services.verification_submit(sitter=sitter, id_document_id=document(sitter, other_sitter).pk, actor=sitter)
    assert raised.value.refusal == Refusal.INVALID
    assert raised.value.errors is not None and "id_document_id" in raised.value.errors
    assert not VerificationCheck.objects.exists()
    assert SitterProfile.objects.get(pk=sitter.pk).verification_status == VerificationStatus.UNVERIFIED


def test_a_second_submission_while_pending_conflicts(sitter: User) -> None:
    submitted(sitter)
    with pytest.raises(ApplicationError) as raised:
        services.verification_submit(sitter=sitter, id_document_id=id_document(sitter).pk, actor=sitter)
    assert (raised.value.refusal, raised.value.code) == (Refusal.CONFLICT, "verification_pending")
    assert VerificationCheck.objects.count() == 2


def test_a_verified_sitter_cannot_submit(sitter: User) -> None:
    SitterProfileFactory(user=sitter)  # verified
    with pytest.raises(ApplicationError) as raised:
        services.verification_submit(sitter=sitter, id_document_id=id_document(sitter).pk, actor=sitter)
    assert (raised.value.refusal, raised.value.code) == (Refusal.CONFLICT, "already_verified")


def test_a_rejected_sitter_may_submit_again_and_only_reopens_what_is_not_done(sitter: User, staff: User) -> None:
    submitted(sitter)
    services.verification_decide(sitter=sitter, actor=staff, decision="verified", kind="background")
    services.verification_decide(sitter=sitter, actor=staff, decision="rejected", reason="Blurry photo")
    old_identity = checks_of(sitter)[CheckKind.IDENTITY]
    assert SitterProfile.objects.get(pk=sitter.pk).verification_status == VerificationStatus.REJECTED

    profile = services.verification_submit(sitter=sitter, id_document_id=id_document(sitter).pk, actor=sitter)

    assert profile.verification_status == VerificationStatus.PENDING
    checks = checks_of(sitter)
    assert checks[CheckKind.IDENTITY].pk != old_identity.pk
    assert checks[CheckKind.IDENTITY].status == CheckStatus.PENDING
    assert checks[CheckKind.BACKGROUND].status == CheckStatus.VERIFIED  # not re-run
    assert VerificationCheck.objects.filter(kind=CheckKind.BACKGROUND).count() == 1


# --- staff decisions ------------------------------------------------------------------------------


def test_verifying_every_pending_check_verifies_the_sitter_with_audit_and_notification(
    sitter: User, staff: User, django_capture_on_commit_callbacks: Any
) -> None:
    submitted(sitter)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        profile = services.verification_decide(sitter=sitter, actor=staff, decision="verified")
    assert profile.verification_status == VerificationStatus.VERIFIED
    assert profile.verified_at is not None
    checks = checks_of(sitter)
    for check in checks.values():
        assert check.status == CheckStatus.VERIFIED
        assert check.decided_by_id == staff.pk and check.decided_at is not None
        [event] = decided_events(check)
        assert event.actor_id == staff.pk
        assert event.data["decision"] == "verified" and event.data["check"] == check.kind
    # one notification for the decision, its email sent only once the transaction has committed
    notification = Notification.objects.get(user=sitter, kind="sitter.verification_decided")
    assert "verified" in notification.title.lower()
    deliveries = Delivery.objects.filter(notification=notification, channel="email")
    assert deliveries.count() == 1
    enqueued = [
        c for c in callbacks if isinstance(c, partial) and c.func is delivery_enqueue and c.keywords.get("deliveries")
    ]
    assert [pair[0] for c in enqueued for pair in c.keywords["deliveries"] if pair[0] == str(deliveries[0].pk)]


def test_rejecting_needs_a_reason(sitter: User, staff: User) -> None:
    submitted(sitter)
    for reason in ("", "   ", "<b></b>"):
        with pytest.raises(ApplicationError) as raised:
            services.verification_decide(sitter=sitter, actor=staff, decision="rejected", reason=reason)
        assert raised.value.refusal == Refusal.INVALID
        assert raised.value.errors is not None and list(raised.value.errors) == ["reason"]
    assert {check.status for check in checks_of(sitter).values()} == {CheckStatus.PENDING}


def test_a_rejection_reaches_the_sitter_with_its_reason(
    sitter: User, staff: User, django_capture_on_commit_callbacks: Any
) -> None:
    submitted(sitter)
    with django_capture_on_commit_callbacks(execute=False):
        profile = services.verification_decide(
            sitter=sitter, actor=staff, decision="rejected", reason="The photo is unreadable.", kind="identity"
        )
    assert profile.verification_status == VerificationStatus.REJECTED
    checks = checks_of(sitter)
    assert checks[CheckKind.IDENTITY].status == CheckStatus.REJECTED
    assert checks[CheckKind.IDENTITY].reason == "The photo is unreadable."
    assert checks[CheckKind.BACKGROUND].status == CheckStatus.PENDING
    notification = Notification.objects.get(user=sitter, kind="sitter.verification_decided")
    assert "The photo is unreadable." in notification.body
    assert notification.data == {"check_id": str(checks[CheckKind.IDENTITY].pk)}
    payload: Any = Delivery.objects.get(notification=notification, channel="email").payload
    assert "The photo is unreadable." in payload["text"]
    assert "The photo is unreadable." in payload["html"]


def test_one_verified_kind_is_not_enough(sitter: User, staff: User) -> None:
    submitted(sitter)
    profile = services.verification_decide(sitter=sitter, actor=staff, decision="verified", kind="identity")
    assert profile.verification_status == VerificationStatus.PENDING
    assert profile.verified_at is None


def test_a_verified_sitter_rejected_later_loses_verified_status(sitter: User, staff: User) -> None:
    submitted(sitter)
    services.verification_decide(sitter=sitter, actor=staff, decision="verified")
    profile = services.verification_decide(
        sitter=sitter, actor=staff, decision="rejected", reason="Background re-check failed.", kind="background"
    )
    assert profile.verification_status == VerificationStatus.REJECTED
    assert profile.verified_at is None
    assert VerificationCheck.objects.filter(kind=CheckKind.BACKGROUND).count() == 2  # the re-check is recorded


def test_staff_may_decide_with_nothing_pending_and_a_repeat_changes_nothing(sitter: User, staff: User) -> None:
    unverified(sitter)
    profile = services.verification_decide(sitter=sitter, actor=staff, decision="verified")
    assert profile.verification_status == VerificationStatus.VERIFIED
    assert {c.status for c in checks_of(sitter).values()} == {CheckStatus.VERIFIED}
    assert {c.provider for c in checks_of(sitter).values()} == {ManualProvider.name}
    events = AuditEvent.objects.filter(action="sitter.verification_decided").count()
    assert events == 2

    again = services.verification_decide(sitter=sitter, actor=staff, decision="verified")

    assert again.verification_status == VerificationStatus.VERIFIED
    assert VerificationCheck.objects.count() == 2
    assert AuditEvent.objects.filter(action="sitter.verification_decided").count() == events
    assert Notification.objects.filter(user=sitter, kind="sitter.verification_decided").count() == 1


def test_unknown_decision_or_kind_is_refused(sitter: User, staff: User) -> None:
    submitted(sitter)
    with pytest.raises(ApplicationError) as raised:
        services.verification_decide(sitter=sitter, actor=staff, decision="maybe")
    assert raised.value.errors is not None and "decision" in raised.value.errors
    with pytest.raises(ApplicationError) as raised:
        services.verification_decide(sitter=sitter, actor=staff, decision="verified", kind="dna")
    assert raised.value.errors is not None and "check" in raised.value.errors


def test_deciding_one_check_twice_conflicts(sitter: User, staff: User) -> None:
    submitted(sitter)
    check = checks_of(sitter)[CheckKind.IDENTITY]
    services.verification_check_decide(check_id=check.pk, actor=staff, decision="verified")
    with pytest.raises(ApplicationError) as raised:
        services.verification_check_decide(check_id=check.pk, actor=staff, decision="rejected", reason="No")
    assert (raised.value.refusal, raised.value.code) == (Refusal.CONFLICT, "verification_not_pending")
    check.refresh_from_db()
    assert check.status == CheckStatus.VERIFIED
    assert len(decided_events(check)) == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_decisions_decide_each_check_once(sitter: User, staff: User) -> None:
    from conftest import race

    submitted(sitter)
    results = race(6, lambda: services.verification_decide(sitter=sitter, actor=staff, decision="verified"))
    assert not [r for r in results if isinstance(r, BaseException)], results
    for check in checks_of(sitter).values():
        assert len(decided_events(check)) == 1
    assert VerificationCheck.objects.count() == 2
    assert Notification.objects.filter(user=sitter, kind="sitter.verification_decided").count() == 1
    assert SitterProfile.objects.get(pk=sitter.pk).verification_status == VerificationStatus.VERIFIED


@pytest.mark.django_db(transaction=True)
def test_concurrent_decisions_of_one_check_let_one_win(sitter: User, staff: User) -> None:
    from conftest import race

    submitted(sitter)
    check = checks_of(sitter)[CheckKind.IDENTITY]
    results = race(
        5, lambda: services.verification_check_decide(check_id=check.pk, actor=staff, decision="rejected", reason="x")
    )
    wins = [r for r in results if isinstance(r, VerificationCheck)]
    conflicts = [r for r in results if isinstance(r, ApplicationError) and r.code == "verification_not_pending"]
    assert (len(wins), len(conflicts)) == (1, 4), results
    assert len(decided_events(check)) == 1

"""Verification services: submissions, staff and provider decisions, the derived status, audit, notifications, races."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from typing import Any, cast

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.utils import timezone

from accounts.models import User
from files.models import Purpose, StoredFile
from guardiannest.api.errors import ApplicationError
from guardiannest.audit.models import AuditEvent
from messaging.models.notifications import Delivery, Notification
from messaging.services.delivery import delivery_enqueue
from messaging.tests.notifications.conftest import Broker
from sitters.models import CheckKind, CheckStatus, SitterProfile, VerificationCheck, VerificationStatus
from sitters.services import verification as services
from sitters.tasks.verification import verification_check_start_task, verification_checks_redrive_task
from sitters.tests.factories import SitterProfileFactory
from sitters.verification import ManualProvider, ProviderUnavailable, provider_for, verification_providers

pytestmark = pytest.mark.django_db


# --- helpers (also used by the API and admin tests) -----------------------------------------------


def id_document(owner: User, **overrides: Any) -> StoredFile:
    """A ready ID document as the files pipeline leaves it (no scanner configured: not_scanned)."""
    values: dict[str, Any] = {
        "owner": owner,
        "purpose": Purpose.ID_DOCUMENT,
        "status": StoredFile.Status.READY,
        "scan": StoredFile.Scan.NOT_SCANNED,
        "review": StoredFile.Review.PENDING,
        "content_type": "application/pdf",
        "size": 1234,
        "sha256": "0" * 64,
        "key": f"private/{uuid.uuid4()}.pdf",
    }
    return StoredFile.objects.create(**(values | overrides))


def unverified(user: User) -> SitterProfile:
    return cast(SitterProfile, SitterProfileFactory(user=user, verification_status=VerificationStatus.UNVERIFIED))


def submitted(user: User) -> SitterProfile:
    unverified(user)
    return services.verification_submit(sitter=user, id_document_id=id_document(user).pk, actor=user)


def decided_events(check: VerificationCheck) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(
            action="sitter.verification_decided", target_type="sitters.verificationcheck", target_id=str(check.pk)
        )
    )


def checks_of(user: User) -> dict[str, VerificationCheck]:
    latest: dict[str, VerificationCheck] = {}
    for check in VerificationCheck.objects.filter(sitter_id=user.pk).order_by("-submitted_at"):
        latest.setdefault(check.kind, check)
    return latest


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
    assert raised.value.status == 400
    assert raised.value.errors is not None and "id_document_id" in raised.value.errors
    assert not VerificationCheck.objects.exists()
    assert SitterProfile.objects.get(pk=sitter.pk).verification_status == VerificationStatus.UNVERIFIED


def test_a_second_submission_while_pending_conflicts(sitter: User) -> None:
    submitted(sitter)
    with pytest.raises(ApplicationError) as raised:
        services.verification_submit(sitter=sitter, id_document_id=id_document(sitter).pk, actor=sitter)
    assert (raised.value.status, raised.value.code) == (409, "verification_pending")
    assert VerificationCheck.objects.count() == 2


def test_a_verified_sitter_cannot_submit(sitter: User) -> None:
    SitterProfileFactory(user=sitter)  # verified
    with pytest.raises(ApplicationError) as raised:
        services.verification_submit(sitter=sitter, id_document_id=id_document(sitter).pk, actor=sitter)
    assert (raised.value.status, raised.value.code) == (409, "already_verified")


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
        assert raised.value.status == 400
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
    assert (raised.value.status, raised.value.code) == (409, "verification_not_pending")
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


# --- providers ------------------------------------------------------------------------------------


class RecordingProvider:
    """An automated provider twin: like a real one, it stores its reference on start; it can be made to fail."""

    name = "recording"

    def __init__(self) -> None:
        self.started: list[uuid.UUID] = []
        self.failures: list[Exception] = []  # raised, one per call, before anything is started

    def start(self, check: VerificationCheck) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.started.append(check.pk)
        services.verification_check_reference_set(
            check_id=check.pk, provider=self.name, reference=f"rpt_{len(self.started)}"
        )


@pytest.fixture
def recording(settings: Any) -> Any:
    provider = RecordingProvider()
    verification_providers.register(provider.name, provider)
    settings.SITTER_BACKGROUND_PROVIDER = provider.name
    yield provider
    verification_providers.unregister(provider.name)


def start_tasks_queued(callbacks: list[Callable[[], Any]]) -> list[str]:
    """The check ids of the ``sitters.verification_check_start`` tasks the transaction enqueued on commit."""
    return [
        callback.args[0]
        for callback in callbacks
        if isinstance(callback, partial)
        and getattr(getattr(callback.func, "__self__", None), "name", None) == "sitters.verification_check_start"
    ]


def run_start_task(check_id: Any) -> Any:
    """Play the worker: run the task in process, as Celery would (retries included)."""
    return verification_check_start_task.apply(args=(str(check_id),)).get()


def test_providers_default_to_manual_and_an_unknown_name_fails_loudly(settings: Any) -> None:
    assert provider_for(CheckKind.IDENTITY).name == "manual"
    settings.SITTER_IDENTITY_PROVIDER = "nobody"
    with pytest.raises(ImproperlyConfigured):
        provider_for(CheckKind.IDENTITY)


def test_checks_are_started_by_a_task_after_commit_never_in_the_request(
    sitter: User, recording: RecordingProvider, django_capture_on_commit_callbacks: Any
) -> None:
    unverified(sitter)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.verification_submit(sitter=sitter, id_document_id=id_document(sitter).pk, actor=sitter)
        assert start_tasks_queued(callbacks) == []  # nothing before commit
    checks = checks_of(sitter)
    background, identity = checks[CheckKind.BACKGROUND], checks[CheckKind.IDENTITY]
    assert (background.provider, identity.provider) == ("recording", "manual")
    # the commit enqueued one task per check; the provider was not called by the request
    assert sorted(start_tasks_queued(callbacks)) == sorted([str(background.pk), str(identity.pk)])
    assert recording.started == []

    assert run_start_task(background.pk) is True
    assert run_start_task(identity.pk) is True  # the manual provider has nothing to call
    assert recording.started == [background.pk]
    background.refresh_from_db()
    assert background.provider_reference == "rpt_1"
    # a redelivered task finds the check started (its reference stored) and leaves it alone
    assert run_start_task(background.pk) is False
    assert recording.started == [background.pk]


def test_the_start_task_leaves_gone_and_decided_checks_alone(
    sitter: User, staff: User, recording: RecordingProvider
) -> None:
    submitted(sitter)
    background = checks_of(sitter)[CheckKind.BACKGROUND]
    services.verification_decide(sitter=sitter, actor=staff, decision="verified", kind="background")

    assert run_start_task(background.pk) is False  # decided before the worker got to it
    assert run_start_task(uuid.uuid4()) is False  # gone (the account was erased meanwhile)
    assert recording.started == []


def test_a_provider_outage_is_retried_and_the_check_started_once(sitter: User, recording: RecordingProvider) -> None:
    submitted(sitter)
    background = checks_of(sitter)[CheckKind.BACKGROUND]
    recording.failures = [ProviderUnavailable("503"), ProviderUnavailable("timeout")]

    assert run_start_task(background.pk) is True

    assert recording.failures == [] and recording.started == [background.pk]
    background.refresh_from_db()
    assert (background.status, background.provider_reference) == (CheckStatus.PENDING, "rpt_1")


def test_a_provider_error_fails_the_task_and_leaves_the_check_to_staff(
    sitter: User, staff: User, recording: RecordingProvider
) -> None:
    submitted(sitter)
    background = checks_of(sitter)[CheckKind.BACKGROUND]
    recording.failures = [ValueError("bad API key")]

    with pytest.raises(ValueError, match="bad API key"):
        run_start_task(background.pk)

    background.refresh_from_db()
    assert (background.status, background.provider_reference) == (CheckStatus.PENDING, "")
    services.verification_check_decide(check_id=background.pk, actor=staff, decision="verified")
    background.refresh_from_db()
    assert background.status == CheckStatus.VERIFIED


def test_a_provider_reports_its_decision_once(sitter: User, recording: RecordingProvider) -> None:
    submitted(sitter)
    background = checks_of(sitter)[CheckKind.BACKGROUND]
    run_start_task(background.pk)
    assert not services.verification_check_reference_set(check_id=background.pk, provider="recording", reference="x")

    decided = services.verification_provider_report(provider="recording", reference="rpt_1", decision="verified")

    assert decided is not None and decided.status == CheckStatus.VERIFIED and decided.decided_by_id is None
    assert len(decided_events(background)) == 1
    # a repeated webhook and an unknown reference change nothing
    assert services.verification_provider_report(provider="recording", reference="rpt_1", decision="rejected") is None
    assert services.verification_provider_report(provider="recording", reference="nope", decision="verified") is None
    background.refresh_from_db()
    assert background.status == CheckStatus.VERIFIED
    assert len(decided_events(background)) == 1


@pytest.fixture
def broker() -> Any:
    """The real Redis broker's queues, emptied before and after (the messaging tests' reader)."""
    reader = Broker()
    reader.purge()
    yield reader
    reader.purge()


def test_an_automated_check_whose_start_was_lost_is_published_again(
    sitter: User, recording: RecordingProvider, broker: Broker, django_capture_on_commit_callbacks: Any
) -> None:
    # given: a background check submitted 20 minutes ago whose start task never reached a worker
    submitted(sitter)
    background = checks_of(sitter)[CheckKind.BACKGROUND]
    VerificationCheck.objects.filter(pk=background.pk).update(submitted_at=timezone.now() - timedelta(minutes=20))
    broker.purge()

    # when
    assert verification_checks_redrive_task.apply().get() == 1

    # then: the start is on the broker again (the manual identity check is not), and running it starts the check
    assert broker.messages("default") == [
        {"task": "sitters.verification_check_start", "args": [str(background.pk)], "eta": None}
    ]
    assert run_start_task(background.pk) is True and recording.started == [background.pk]
    # a started check (its reference stored) and a fresh one are left alone
    assert verification_checks_redrive_task.apply().get() == 0


def test_publishing_the_start_is_robust_so_a_broker_outage_cannot_fail_the_submission(
    sitter: User, recording: RecordingProvider, django_capture_on_commit_callbacks: Any
) -> None:
    unverified(sitter)
    with django_capture_on_commit_callbacks(execute=False):
        services.verification_submit(sitter=sitter, id_document_id=id_document(sitter).pk, actor=sitter)
        pending = connection.run_on_commit

        # a robust on-commit callback is logged, not raised, when it fails (Django runs it in try/except)
        starts = [robust for _sids, func, robust in pending if start_tasks_queued([func])]
        assert starts == [True, True]

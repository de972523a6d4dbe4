"""Verification providers: started from Celery after commit, retried, redriven, reporting their decisions."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.utils import timezone

from accounts.models import User
from messaging.tests.notifications_helpers import Broker
from sitters.models import CheckKind, CheckStatus, VerificationCheck
from sitters.services import verification as services
from sitters.tasks.verification import verification_check_start_task, verification_checks_redrive_task
from sitters.tests.verification_helpers import checks_of, decided_events, id_document, submitted, unverified
from sitters.verification import ProviderUnavailable, provider_for, verification_providers

pytestmark = pytest.mark.django_db

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

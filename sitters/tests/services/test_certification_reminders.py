"""Reminders 30 days before a certification expires: claimed once, sent once, renewed ones reminded again."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import User
from conftest import race
from messaging.models import Delivery, Notification
from sitters.models import Certification
from sitters.services.certifications import certification_reminders_send
from sitters.tasks.certifications import certification_reminders_send as reminders_task
from sitters.tests.factories import CertificationFactory, SitterProfileFactory

KIND = "sitter.certification_expiring"


def expiring_in(profile: Any, days: int, **kwargs: Any) -> Certification:
    certification: Certification = CertificationFactory(
        sitter=profile, expires_at=timezone.localdate() + timedelta(days=days), **kwargs
    )
    return certification


@pytest.fixture
def profile(sitter: User) -> Any:
    return SitterProfileFactory(user=sitter)


@pytest.mark.django_db
def test_due_certifications_are_reminded_once(
    profile: Any, sitter: User, django_capture_on_commit_callbacks: Any
) -> None:
    # given: due (today, in 20 and in 30 days), not yet due (31 days), already expired (yesterday)
    due = [expiring_in(profile, 0), expiring_in(profile, 20, kind="cpr"), expiring_in(profile, 30, kind="driving")]
    later = expiring_in(profile, 31, kind="early_years")
    expired = expiring_in(profile, -1, kind="other")

    # when
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        sent = certification_reminders_send()

    # then
    assert sent == 3
    notifications = Notification.objects.filter(user=sitter, kind=KIND)
    assert sorted(n.data["certification_id"] for n in notifications) == sorted(str(c.pk) for c in due)
    assert callbacks, "deliveries are enqueued after commit"
    assert Delivery.objects.filter(notification__in=notifications).exists()
    for certification in due:
        certification.refresh_from_db()
        assert certification.reminder_sent_for == certification.expires_at
    for certification in (later, expired):
        certification.refresh_from_db()
        assert certification.reminder_sent_for is None

    # a second run finds nothing left
    assert certification_reminders_send() == 0
    assert Notification.objects.filter(user=sitter, kind=KIND).count() == 3


@pytest.mark.django_db
def test_the_message_names_the_certification_and_the_date(profile: Any, sitter: User) -> None:
    certification = expiring_in(profile, 12, kind="cpr")

    assert certification_reminders_send() == 1

    notification = Notification.objects.get(user=sitter, kind=KIND)
    assert "CPR" in notification.title.upper()
    assert certification.expires_at is not None
    assert certification.expires_at.isoformat() in notification.title
    assert notification.body


@pytest.mark.django_db
def test_a_renewed_certification_is_reminded_again(profile: Any, sitter: User) -> None:
    certification = expiring_in(profile, 10)
    assert certification_reminders_send() == 1

    # renewed for a year: nothing due now
    certification.expires_at = timezone.localdate() + timedelta(days=365)
    certification.save()
    assert certification_reminders_send() == 0

    # 340 days later the new expiry is 25 days away
    later = timezone.localdate() + timedelta(days=340)
    assert certification_reminders_send(today=later) == 1
    assert certification_reminders_send(today=later) == 0
    certification.refresh_from_db()
    assert certification.reminder_sent_for == certification.expires_at
    assert Notification.objects.filter(user=sitter, kind=KIND).count() == 2


@pytest.mark.django_db
def test_inactive_sitters_are_not_reminded(profile: Any, sitter: User) -> None:
    expiring_in(profile, 5)
    User.objects.filter(pk=sitter.pk).update(is_active=False)

    assert certification_reminders_send() == 0
    assert not Notification.objects.filter(kind=KIND).exists()


@pytest.mark.django_db
def test_the_beat_task_runs_the_service(profile: Any, sitter: User) -> None:
    expiring_in(profile, 5)

    assert reminders_task.apply().get() == 1
    assert reminders_task.apply().get() == 0
    assert Notification.objects.filter(user=sitter, kind=KIND).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_never_both_send(sitter: User) -> None:
    profile = SitterProfileFactory(user=sitter)
    certifications = [expiring_in(profile, 7), expiring_in(profile, 8, kind="cpr")]

    results = race(6, certification_reminders_send)

    assert all(isinstance(result, int) for result in results), results
    assert sum(result for result in results if isinstance(result, int)) == 2
    assert Notification.objects.filter(user=sitter, kind=KIND).count() == 2
    for certification in certifications:
        certification.refresh_from_db()
        assert certification.reminder_sent_for == certification.expires_at

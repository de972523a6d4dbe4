"""The sitters back office: pages render, the queue is the pending checks, actions go through the services."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from accounts.tests.factories import StaffFactory
from files.models import Purpose, StoredFile
from guardiannest.audit.models import AuditEvent
from sitters.models import (
    Certification,
    CheckKind,
    CheckStatus,
    Hold,
    SitterProfile,
    VerificationCheck,
    VerificationStatus,
    WeeklyWindow,
)
from sitters.services.verification import verification_decide
from sitters.tests.verification_helpers import checks_of, id_document, submitted

pytestmark = pytest.mark.django_db

QUEUE = reverse("admin:sitters_verificationcheck_changelist")
PROFILES = reverse("admin:sitters_sitterprofile_changelist")


def demo_staff() -> User:
    return User.objects.get(email="staff@guardiannest.demo")


def action(client: Client, url: str, name: str, pks: list[object], **extra: str) -> object:
    data = {"action": name, "_selected_action": [str(pk) for pk in pks], "index": "0", "select_across": "0", **extra}
    return client.post(url, data)


def test_every_sitters_page_renders(staff_client: Client, sitter: User, other_sitter: User, staff: User) -> None:
    profile = submitted(sitter)
    verification_decide(sitter=other_sitter, actor=staff, decision="verified")
    document = id_document(sitter, purpose=Purpose.CERTIFICATION)
    Certification.objects.create(sitter=profile, kind="cpr", issued_at=datetime.date(2024, 1, 1), document=document)
    start = datetime.datetime(2030, 1, 1, 10, tzinfo=datetime.UTC)
    Hold.objects.create(sitter=profile, starts_at=start, ends_at=start + datetime.timedelta(hours=2))
    WeeklyWindow.objects.create(sitter=profile, weekday=0, start_minute=480, end_minute=1020)
    for model in (
        "sitterprofile",
        "verificationcheck",
        "certification",
        "review",
        "hold",
        "weeklywindow",
        "availabilityexception",
        "availabilityspan",
        "sitterclient",
    ):
        response = staff_client.get(reverse(f"admin:sitters_{model}_changelist"))
        assert response.status_code == 200, model
        assert staff_client.get(reverse(f"admin:sitters_{model}_add")).status_code == 403, model  # read-only
    detail = staff_client.get(reverse("admin:sitters_sitterprofile_change", args=[profile.pk]))
    assert detail.status_code == 200
    assert b"identity" in detail.content and b"background" in detail.content  # the checks inline
    check = checks_of(sitter)[CheckKind.IDENTITY]
    page = staff_client.get(reverse("admin:sitters_verificationcheck_change", args=[check.pk]))
    assert page.status_code == 200
    assert reverse("admin:files_storedfile_change", args=[check.document_id]).encode() in page.content
    assert b'name="_save"' not in page.content  # nothing to change here: decisions are actions


def test_the_queue_mints_no_links_to_id_documents(staff_client: Client, sitter: User, other_sitter: User) -> None:
    submitted(sitter)
    submitted(other_sitter)
    documents = [check.document for check in VerificationCheck.objects.exclude(document=None)]
    StoredFile.objects.filter(pk__in=[d.pk for d in documents if d]).update(scan=StoredFile.Scan.CLEAN)

    response = staff_client.get(QUEUE)

    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 4
    assert b"signature=" not in response.content
    for document in documents:
        assert document is not None
        assert reverse("files:content", kwargs={"file_id": document.pk}).encode() not in response.content
    assert b"ID document" in response.content  # only whether one is attached (a yes/no icon)
    assert not AuditEvent.objects.filter(action="file.viewed").exists()


def test_opening_a_check_shows_its_id_document_and_audits_the_view(staff_client: Client, sitter: User) -> None:
    submitted(sitter)
    checks = checks_of(sitter)
    identity, background = checks[CheckKind.IDENTITY], checks[CheckKind.BACKGROUND]
    StoredFile.objects.filter(pk=identity.document_id).update(scan=StoredFile.Scan.CLEAN)

    page = staff_client.get(reverse("admin:sitters_verificationcheck_change", args=[identity.pk]))

    assert page.status_code == 200
    link = reverse("files:content", kwargs={"file_id": identity.document_id})
    assert link.encode() in page.content and b"signature=" in page.content
    [event] = AuditEvent.objects.filter(action="file.viewed", data__file_id=str(identity.document_id))
    assert (event.actor_id, event.target_type, event.target_id, event.data["purpose"]) == (
        demo_staff().pk,
        "accounts.user",
        str(identity.sitter_id),
        "id_document",
    )

    # a check without a document (background) opens nothing and records nothing
    other = staff_client.get(reverse("admin:sitters_verificationcheck_change", args=[background.pk]))
    assert other.status_code == 200 and b"signature=" not in other.content
    assert AuditEvent.objects.filter(action="file.viewed").count() == 1


def test_profiles_filter_by_verification_status_and_search_by_email(
    staff_client: Client, sitter: User, other_sitter: User, staff: User
) -> None:
    submitted(sitter)
    verification_decide(sitter=other_sitter, actor=staff, decision="verified")
    pending = staff_client.get(PROFILES, {"verification_status__exact": "pending"})
    assert [p.pk for p in pending.context["cl"].result_list] == [sitter.pk]
    found = staff_client.get(PROFILES, {"q": "other.sitter@"})
    assert [p.pk for p in found.context["cl"].result_list] == [other_sitter.pk]


def test_the_queue_shows_pending_checks_oldest_first(
    staff_client: Client, sitter: User, other_sitter: User, staff: User
) -> None:
    submitted(sitter)
    submitted(other_sitter)
    verification_decide(sitter=other_sitter, actor=staff, decision="verified", kind="identity")

    response = staff_client.get(QUEUE)

    assert response.status_code == 200
    rows = list(response.context["cl"].result_list)
    assert {row.status for row in rows} == {CheckStatus.PENDING}
    assert len(rows) == 3
    assert [row.submitted_at for row in rows] == sorted(row.submitted_at for row in rows)
    everything = staff_client.get(QUEUE, {"status": "all"})
    ours = [row for row in everything.context["cl"].result_list if row.sitter_id in (sitter.pk, other_sitter.pk)]
    assert len(ours) == 4


def test_verify_action_decides_through_the_service(staff_client: Client, sitter: User) -> None:
    submitted(sitter)
    pks = [check.pk for check in checks_of(sitter).values()]

    response = action(staff_client, QUEUE, "verify", pks)

    assert response.status_code == 302
    assert SitterProfile.objects.get(pk=sitter.pk).verification_status == VerificationStatus.VERIFIED
    events = AuditEvent.objects.filter(action="sitter.verification_decided", actor=demo_staff())
    assert {(e.target_id, e.actor_id) for e in events} == {(str(pk), demo_staff().pk) for pk in pks}


def test_reject_action_asks_for_a_reason_first(staff_client: Client, sitter: User) -> None:
    submitted(sitter)
    identity = checks_of(sitter)[CheckKind.IDENTITY]

    form = action(staff_client, QUEUE, "reject", [identity.pk])
    assert form.status_code == 200
    assert b'name="reason"' in form.content
    identity.refresh_from_db()
    assert identity.status == CheckStatus.PENDING

    blank = action(staff_client, QUEUE, "reject", [identity.pk], apply="1", reason="")
    assert blank.status_code == 200 and blank.context["form"].errors
    identity.refresh_from_db()
    assert identity.status == CheckStatus.PENDING

    done = action(staff_client, QUEUE, "reject", [identity.pk], apply="1", reason="Name does not match")
    assert done.status_code == 302
    identity.refresh_from_db()
    assert (identity.status, identity.reason) == (CheckStatus.REJECTED, "Name does not match")
    assert identity.decided_by == demo_staff()
    assert SitterProfile.objects.get(pk=sitter.pk).verification_status == VerificationStatus.REJECTED
    assert AuditEvent.objects.filter(action="sitter.verification_decided", target_id=str(identity.pk)).count() == 1


def test_a_decided_check_is_not_decided_again(staff_client: Client, sitter: User) -> None:
    submitted(sitter)
    identity = checks_of(sitter)[CheckKind.IDENTITY]
    action(staff_client, QUEUE, "verify", [identity.pk])
    # still listed when staff look at every status; the second click warns and changes nothing
    response = staff_client.post(
        f"{QUEUE}?status=all",
        {"action": "reject", "_selected_action": [str(identity.pk)], "index": "0", "apply": "1", "reason": "late"},
        follow=True,
    )
    assert response.status_code == 200
    assert b"decided already" in response.content
    identity.refresh_from_db()
    assert identity.status == CheckStatus.VERIFIED


def test_profile_actions_verify_a_sitter_from_the_admin_alone(staff_client: Client, sitter: User) -> None:
    submitted(sitter)
    VerificationCheck.objects.all().delete()
    SitterProfile.objects.filter(pk=sitter.pk).update(verification_status=VerificationStatus.UNVERIFIED)

    action(staff_client, PROFILES, "verify", [sitter.pk])

    assert SitterProfile.objects.get(pk=sitter.pk).verification_status == VerificationStatus.VERIFIED
    assert {c.status for c in checks_of(sitter).values()} == {CheckStatus.VERIFIED}
    assert len(checks_of(sitter)) == 2


def test_certification_documents_are_reviewed_through_the_files_service(staff_client: Client, sitter: User) -> None:
    profile = submitted(sitter)
    document = id_document(sitter, purpose=Purpose.CERTIFICATION)
    certification = Certification.objects.create(
        sitter=profile, kind="first_aid", issued_at=datetime.date(2024, 1, 1), document=document
    )

    action(staff_client, reverse("admin:sitters_certification_changelist"), "approve_document", [certification.pk])

    document.refresh_from_db()
    assert document.review == StoredFile.Review.APPROVED
    assert document.reviewed_by == demo_staff()
    assert AuditEvent.objects.filter(action="file.reviewed", target_id=str(document.pk)).exists()


def test_the_sitters_admin_is_closed_to_everyone_else(client: Client, parent: User, sitter: User) -> None:
    submitted(sitter)
    for user in (parent, sitter, StaffFactory(email="no.otp@example.com")):  # staff without a verified OTP too
        client.force_login(user)
        for url in (QUEUE, PROFILES):
            response = client.get(url)
            assert response.status_code == 302, (user, url)
            assert response["Location"].startswith("/admin/login/")
        client.logout()
    assert VerificationCheck.objects.filter(status=CheckStatus.PENDING).count() == 2


def test_reviews_are_hidden_and_shown_through_the_review_service(staff_client: Client, sitter: User) -> None:
    from sitters.models import Review
    from sitters.services.reviews import review_hide

    profile = submitted(sitter)
    review = Review.objects.create(sitter=profile, rating=2, comment="Late", booking_id=uuid.uuid4())
    review_hide(review=review, actor=demo_staff(), hidden=False)  # no-op: already shown
    reviews = reverse("admin:sitters_review_changelist")

    action(staff_client, reviews, "hide", [review.pk])

    review.refresh_from_db()
    assert review.hidden
    assert AuditEvent.objects.filter(action="sitter.review_moderated", target_id=str(review.pk)).count() == 1
    assert SitterProfile.objects.get(pk=sitter.pk).rating_count == 0

    action(staff_client, reviews, "unhide", [review.pk])

    review.refresh_from_db()
    assert not review.hidden
    profile.refresh_from_db()
    assert (profile.rating_count, profile.rating_avg) == (1, 2)


def test_renaming_a_verified_sitter_in_the_admin_sends_the_identity_back_to_review(
    staff_client: Client, sitter: User, staff: User
) -> None:
    """The user page writes names through accounts' service, so the sitters hook runs here too."""
    submitted(sitter)
    verification_decide(sitter=sitter, actor=staff, decision="verified")
    verified = checks_of(sitter)[CheckKind.IDENTITY]
    page = {"first_name": "Forged", "last_name": sitter.last_name, "phone": ""}

    response = staff_client.post(reverse("admin:accounts_user_change", args=[sitter.pk]), page)

    assert response.status_code == 302, response.content[:2000]
    sitter.refresh_from_db()
    assert sitter.first_name == "Forged"
    identity = checks_of(sitter)[CheckKind.IDENTITY]
    assert identity.pk != verified.pk and identity.status == CheckStatus.PENDING
    assert SitterProfile.objects.get(pk=sitter.pk).verification_status == VerificationStatus.PENDING
    updated = AuditEvent.objects.get(action="user.updated", target_id=str(sitter.pk))
    assert (updated.actor_id, updated.data) == (demo_staff().pk, {"fields": ["first_name"]})
    assert AuditEvent.objects.filter(action="sitter.verification_reopened", actor=demo_staff()).count() == 1

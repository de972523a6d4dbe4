"""Object level (SECURITY.md, Access, API1): another family's or sitter's object answers 404.

Every route under ``/api/v1/`` with an id in its path needs an entry in CASES:
a function that makes an object belonging to one persona, asks for it as a
persona of another family (or another sitter), and asserts a 404 problem. The
walk below finds such routes, so a new ``/api/v1/.../<uuid:id>`` route fails
this file until its case is written. A case receives pytest's ``request`` and
takes what it needs with ``request.getfixturevalue``, for example::

    def _booking_detail(request):
        booking = BookingFactory(parent=request.getfixturevalue("parent"))
        other = client_for(request.getfixturevalue("other_parent"))
        assert_problem(other.get(f"/api/v1/bookings/{booking.pk}"), 404, "not_found")

    CASES = {"bookings:detail": _booking_detail}

One case per route name: list every method of the route in it (GET, PATCH,
DELETE, nested actions), since a route answers all of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, get_resolver, path, re_path

from bookings.tests import access_cases as access_cases_bookings
from emergencies.tests import access_cases as access_cases_emergencies
from feedback.tests import access_cases as access_cases_feedback
from payments.tests import access_cases as access_cases_payments
from sitters.tests import access_cases_calendar, access_cases_profile, access_cases_public, access_cases_verification

Case = Callable[[pytest.FixtureRequest], None]


def _session_detail(request: pytest.FixtureRequest) -> None:
    from accounts.services.sessions import session_start
    from accounts.tests.problems import assert_problem
    from conftest import client_for

    session = session_start(user=request.getfixturevalue("parent"), client=None, method="password")
    intruder = client_for(request.getfixturevalue("other_parent"))
    assert_problem(intruder.delete(f"/api/v1/security/sessions/{session.pk}"), 404, "not_found")
    session.refresh_from_db()
    assert session.active


def _passkey_detail(request: pytest.FixtureRequest) -> None:
    from accounts.models import Passkey
    from accounts.tests.problems import assert_problem
    from conftest import client_for

    passkey = Passkey.objects.create(
        user=request.getfixturevalue("parent"), name="Phone", credential_id="object-level-case", public_key=b"k"
    )
    intruder = client_for(request.getfixturevalue("other_parent"))
    assert_problem(intruder.delete(f"/api/v1/auth/passkeys/{passkey.pk}"), 404, "not_found")
    assert Passkey.objects.filter(pk=passkey.pk).exists()


def _ready_export(request: pytest.FixtureRequest) -> Any:
    from datetime import timedelta

    from django.utils import timezone

    from accounts.models import DataExport

    now = timezone.now()
    return DataExport.objects.create(
        user=request.getfixturevalue("parent"),
        status=DataExport.Status.READY,
        file_name="private/gdpr-exports/object-level-case.json",
        completed_at=now,
        expires_at=now + timedelta(days=1),
    )


def _data_export_detail(request: pytest.FixtureRequest) -> None:
    from accounts.tests.problems import assert_problem
    from conftest import client_for

    export = _ready_export(request)
    intruder = client_for(request.getfixturevalue("other_parent"))
    assert_problem(intruder.get(f"/api/v1/security/export/{export.pk}"), 404, "not_found")


def _data_export_download(request: pytest.FixtureRequest) -> None:
    from accounts.services.gdpr.exports import data_export_signature
    from accounts.tests.problems import assert_problem
    from conftest import client_for

    export = _ready_export(request)
    signature = data_export_signature(export=export)  # even with the owner's valid link
    intruder = client_for(request.getfixturevalue("other_parent"))
    url = f"/api/v1/security/export/{export.pk}/download?signature={signature}"
    assert_problem(intruder.get(url), 404, "not_found")


def _child_detail(request: pytest.FixtureRequest) -> None:
    from accounts.models import Child
    from accounts.tests.factories import ChildFactory
    from accounts.tests.problems import assert_problem
    from conftest import client_for

    child = ChildFactory(parent=request.getfixturevalue("parent"), medical_notes="mine")
    intruder = client_for(request.getfixturevalue("other_parent"))
    url = f"/api/v1/parents/me/children/{child.pk}"
    assert_problem(intruder.get(url), 404, "not_found")
    assert_problem(intruder.patch(url, {"medical_notes": "theirs"}, format="json"), 404, "not_found")
    assert_problem(intruder.delete(url), 404, "not_found")
    assert Child.objects.get(pk=child.pk).medical_notes == "mine"


def _emergency_contact_detail(request: pytest.FixtureRequest) -> None:
    from accounts.models import EmergencyContact
    from accounts.tests.factories import EmergencyContactFactory
    from accounts.tests.problems import assert_problem
    from conftest import client_for

    contact = EmergencyContactFactory(parent=request.getfixturevalue("parent"), name="Mine")
    intruder = client_for(request.getfixturevalue("other_parent"))
    url = f"/api/v1/parents/me/emergency-contacts/{contact.pk}"
    assert_problem(intruder.get(url), 404, "not_found")
    assert_problem(intruder.patch(url, {"name": "Theirs"}, format="json"), 404, "not_found")
    assert_problem(intruder.delete(url), 404, "not_found")
    assert EmergencyContact.objects.get(pk=contact.pk).name == "Mine"


def _favorite_detail(request: pytest.FixtureRequest) -> None:
    from accounts.models import FavoriteSitter
    from accounts.tests.factories import FavoriteSitterFactory
    from accounts.tests.problems import assert_problem
    from conftest import client_for

    favorite = FavoriteSitterFactory(parent=request.getfixturevalue("parent"))
    intruder = client_for(request.getfixturevalue("other_parent"))
    assert_problem(intruder.delete(f"/api/v1/parents/me/favorites/{favorite.sitter_id}"), 404, "not_found")
    assert FavoriteSitter.objects.filter(pk=favorite.pk).exists()


def _conversation_with_a_message(request: pytest.FixtureRequest) -> Any:
    """A parent-sitter conversation holding one message, and the two intruders' clients."""
    from conftest import client_for
    from messaging.services.chat import message_send
    from messaging.services.conversations import conversation_start

    parent, sitter = request.getfixturevalue("parent"), request.getfixturevalue("sitter")
    conversation, _ = conversation_start(actor=parent, participant_id=sitter.pk)
    message = message_send(conversation=conversation, sender=sitter, body="See you at six")
    intruders = [client_for(request.getfixturevalue(name)) for name in ("other_parent", "other_sitter")]
    return conversation, message, intruders


def _conversation_detail(request: pytest.FixtureRequest) -> None:
    from accounts.tests.problems import assert_problem

    conversation, _, intruders = _conversation_with_a_message(request)
    for intruder in intruders:
        assert_problem(intruder.get(f"/api/v1/conversations/{conversation.pk}"), 404, "not_found")


def _conversation_messages(request: pytest.FixtureRequest) -> None:
    from accounts.tests.problems import assert_problem
    from messaging.models import Message

    conversation, _, intruders = _conversation_with_a_message(request)
    url = f"/api/v1/conversations/{conversation.pk}/messages"
    before = Message.objects.filter(conversation=conversation).count()
    for intruder in intruders:
        assert_problem(intruder.get(url), 404, "not_found")
        assert_problem(intruder.post(url, {"body": "Hello"}, format="json"), 404, "not_found")
    assert Message.objects.filter(conversation=conversation).count() == before


def _conversation_read(request: pytest.FixtureRequest) -> None:
    from accounts.tests.problems import assert_problem
    from messaging.models import Conversation

    conversation, message, intruders = _conversation_with_a_message(request)
    url = f"/api/v1/conversations/{conversation.pk}/read"
    for intruder in intruders:
        assert_problem(intruder.post(url, {"message_id": str(message.pk)}, format="json"), 404, "not_found")
    assert Conversation.objects.get(pk=conversation.pk).parent_last_read_message_id is None


def _device_detail(request: pytest.FixtureRequest) -> None:
    from accounts.tests.problems import assert_problem
    from conftest import client_for
    from messaging.models import Device

    device = Device.objects.create(
        user=request.getfixturevalue("parent"), token="object-level-case-token-0123456789", platform="ios"
    )
    intruder = client_for(request.getfixturevalue("other_parent"))
    assert_problem(intruder.delete(f"/api/v1/devices/{device.pk}"), 404, "not_found")
    assert Device.objects.filter(pk=device.pk, user=device.user).exists()


def _notification_read(request: pytest.FixtureRequest) -> None:
    from accounts.tests.problems import assert_problem
    from conftest import client_for
    from messaging.models import Notification
    from messaging.services.notifications import notify

    context = {"booking_id": "b", "other_name": "Sam", "starts_at": "Friday"}
    notification = notify(user=request.getfixturevalue("parent"), kind="booking.accepted", context=context)
    intruder = client_for(request.getfixturevalue("other_parent"))
    assert_problem(intruder.post(f"/api/v1/notifications/{notification.pk}/read"), 404, "not_found")
    assert Notification.objects.get(pk=notification.pk).read_at is None


def _stored_file(request: pytest.FixtureRequest, owner_fixture: str, purpose: str = "id_document") -> Any:
    """A ready, servable file of ``owner_fixture`` whose bytes sit in a private per-test folder."""
    from files import storage
    from files.models import StoredFile

    settings = request.getfixturevalue("settings")
    settings.MEDIA_ROOT = str(request.getfixturevalue("tmp_path") / "media")
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
    settings.FILES_SERVE_UNSCANNED = True
    owner = request.getfixturevalue(owner_fixture)
    file = StoredFile.objects.create(
        owner=owner,
        purpose=purpose,
        status="ready",
        scan="not_scanned",
        content_type="application/pdf",
        size=9,
        sha256="0" * 64,
        key=f"files/private/{purpose}/{owner.pk}/object-level/original.pdf",
    )
    storage.put(file.key, b"%PDF-1.4\n", content_type="application/pdf")
    return file


def _file_detail(request: pytest.FixtureRequest) -> None:
    from accounts.tests.problems import assert_problem
    from conftest import client_for
    from files.models import StoredFile

    file = _stored_file(request, "parent")
    for name in ("other_parent", "sitter"):
        intruder = client_for(request.getfixturevalue(name))
        assert_problem(intruder.get(f"/api/v1/files/{file.pk}"), 404, "not_found")
        assert_problem(intruder.delete(f"/api/v1/files/{file.pk}"), 404, "not_found")
    assert StoredFile.objects.filter(pk=file.pk).exists()


def _file_content(request: pytest.FixtureRequest) -> None:
    """The signature is the credential: one signed for the intruder's own file opens nothing of ours."""
    from rest_framework.test import APIClient

    from accounts.tests.problems import assert_problem
    from files import storage

    file = _stored_file(request, "parent")
    theirs = _stored_file(request, "other_parent")
    theirs_signature = storage.link_signature(file_id=theirs.pk, variant="original")
    url = f"/api/v1/files/{file.pk}/content"
    assert_problem(APIClient().get(url, {"variant": "original", "signature": theirs_signature}), 404, "not_found")
    assert_problem(APIClient().get(url, {"variant": "original"}), 404, "not_found")
    own_signature = storage.link_signature(file_id=file.pk, variant="original")  # the control: the real link opens
    assert APIClient().get(url, {"variant": "original", "signature": own_signature}).status_code == 200


CASES: dict[str, Case] = {
    "files:detail": _file_detail,
    "files:content": _file_content,
    "messaging:conversation-detail": _conversation_detail,
    "messaging:conversation-messages": _conversation_messages,
    "messaging:conversation-read": _conversation_read,
    "accounts:child-detail": _child_detail,
    "accounts:emergency-contact-detail": _emergency_contact_detail,
    "accounts:favorite-detail": _favorite_detail,
    "accounts:data-export-detail": _data_export_detail,
    "accounts:data-export-download": _data_export_download,
    "accounts:session-detail": _session_detail,
    "accounts:passkey-detail": _passkey_detail,
    "messaging:notification-read": _notification_read,
    "messaging:device-detail": _device_detail,
}
# Apps with many routes keep their cases beside their tests.
for _module in (
    access_cases_calendar,
    access_cases_profile,
    access_cases_public,
    access_cases_verification,
    access_cases_payments,
    access_cases_bookings,
    access_cases_emergencies,
    access_cases_feedback,
):
    CASES.update(_module.CASES)


def _has_id(pattern: Any) -> bool:
    return bool(getattr(pattern, "converters", None)) or bool(getattr(getattr(pattern, "regex", None), "groups", 0))


def id_routes(resolver: URLResolver, prefix: str = "", namespace: str = "", has_id: bool = False) -> Iterator[str]:
    """Names (or paths, when unnamed) of ``/api/v1/`` routes with an id anywhere in their path."""
    for entry in resolver.url_patterns:
        full_path, entry_has_id = prefix + str(entry.pattern), has_id or _has_id(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from id_routes(entry, full_path, inner, entry_has_id)
        elif isinstance(entry, URLPattern) and entry_has_id and full_path.lstrip("^/").startswith("api/v1/"):
            yield f"{namespace}{entry.name}" if entry.name else full_path


def test_every_id_route_has_a_case() -> None:
    missing = sorted(set(id_routes(get_resolver())) - set(CASES))

    assert missing == [], "Add a case to CASES proving another family's object answers 404 on these routes."


def test_every_case_names_an_existing_id_route() -> None:
    assert set(CASES) <= set(id_routes(get_resolver()))


@pytest.mark.django_db
def test_another_familys_object_answers_404(request: pytest.FixtureRequest) -> None:
    """Runs every case; with no id route yet, the walk above must have found none."""
    assert set(CASES) == set(id_routes(get_resolver()))
    for route_name in sorted(CASES):
        CASES[route_name](request)


def _view(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    return HttpResponse()


def test_the_walk_finds_ids_in_the_path_and_in_prefixes() -> None:
    nested = ([path("reviews", _view, name="reviews"), path("", _view, name="detail")], "sitters", "sitters")
    resolver = URLResolver(
        get_resolver().pattern,
        [
            path("api/v1/bookings", _view, name="bookings"),
            path("api/v1/bookings/<uuid:id>/accept", _view, name="accept"),
            re_path(r"^api/v1/legacy/(?P<pk>\d+)$", _view, name="legacy"),
            path("api/v1/sitters/<uuid:id>/", nested),
            path("admin/users/<int:id>/", _view, name="admin-user"),
        ],
    )

    assert sorted(id_routes(resolver)) == ["accept", "legacy", "sitters:detail", "sitters:reviews"]

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

Case = Callable[[pytest.FixtureRequest], None]


def _session_detail(request: pytest.FixtureRequest) -> None:
    from accounts.services.sessions import session_start
    from accounts.tests.problems import assert_problem
    from conftest import client_for

    session = session_start(user=request.getfixturevalue("parent"), request=None, method="password")
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
    from accounts.tests.family.factories import ChildFactory
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
    from accounts.tests.family.factories import EmergencyContactFactory
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
    from accounts.tests.family.factories import FavoriteSitterFactory
    from accounts.tests.problems import assert_problem
    from conftest import client_for

    favorite = FavoriteSitterFactory(parent=request.getfixturevalue("parent"))
    intruder = client_for(request.getfixturevalue("other_parent"))
    assert_problem(intruder.delete(f"/api/v1/parents/me/favorites/{favorite.sitter_id}"), 404, "not_found")
    assert FavoriteSitter.objects.filter(pk=favorite.pk).exists()


CASES: dict[str, Case] = {
    "accounts:child-detail": _child_detail,
    "accounts:emergency-contact-detail": _emergency_contact_detail,
    "accounts:favorite-detail": _favorite_detail,
    "accounts:data-export-detail": _data_export_detail,
    "accounts:data-export-download": _data_export_download,
    "accounts:session-detail": _session_detail,
    "accounts:passkey-detail": _passkey_detail,
}


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

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


CASES: dict[str, Case] = {"accounts:session-detail": _session_detail}


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

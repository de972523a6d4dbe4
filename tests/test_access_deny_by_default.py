"""Deny by default (SECURITY.md, Access, API5).

Every route is found by walking the URL resolver, so a new endpoint is checked
without anyone remembering to add it. A DRF view that lets an anonymous user in
fails the suite unless its route name is listed in ANONYMOUS_ALLOWED with a
reason; a plain Django view outside ``/admin/`` fails unless it is listed in
PLAIN_DJANGO_VIEWS (those do their own checks, which this test cannot read).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, JsonResponse
from django.urls import URLPattern, URLResolver, get_resolver, path
from rest_framework.exceptions import APIException
from rest_framework.permissions import AllowAny, IsAuthenticatedOrReadOnly
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.test import APIClient, APIRequestFactory
from rest_framework.views import APIView

from accounts.tests.problems import assert_problem

ANONYMOUS_ALLOWED = {
    "payments:webhook-stripe": "Stripe's events: the Stripe-Signature over the raw body is the credential",
    "accounts:register": "sign-up",
    "accounts:login": "sign-in",
    "accounts:login-mfa": "second step of sign-in: the single-use mfa_token is the credential",
    "accounts:token-refresh": "the refresh token is the credential",
    "accounts:firebase": "sign-in: the Firebase ID token is the credential",
    "accounts:verify-email": "the signed link from the sign-up email is the credential",
    "accounts:password-reset": "forgot password: answers 202 whoever asks",
    "accounts:password-reset-confirm": "the signed reset link is the credential",
    "accounts:passkey-login-options": "passkey sign-in, step 1: a challenge for anyone (API.md)",
    "accounts:passkey-login-verify": "passkey sign-in, step 2: the signed assertion is the credential",
    "messaging:twilio-status": "Twilio's delivery reports: X-Twilio-Signature over the public URL is the credential",
    "messaging:notifications-unsubscribe": "one-click unsubscribe (RFC 8058): the signed link is the credential",
    "payments:receipt": "the printable receipt: the signed, expiring link from the receipt email is the credential",
    "files:content": "signed file links (embedded mode, API.md files): the 10-minute signature is the credential",
    "bookings:config": "GET config: the platform's public figures (currency, minimum booking, fees, policy)",
    "schema": "the OpenAPI schema is public",
    "docs": "Swagger UI is public",
}
PLAIN_DJANGO_VIEWS = {
    "health-live": "load-balancer probe, says only 'ok'",
    "health-ready": "load-balancer probe, says which dependency fails",
    "metrics": "answers staff or the METRICS_TOKEN bearer, 404 to anyone else",
    "payments:payout-simulated-onboarding": (
        "the simulated provider's hosted onboarding (embedded default): the signed one-hour link is the "
        "credential; 404 with Stripe or a bad link"
    ),
}
SAMPLE_ARGUMENTS = {"uuid": uuid.UUID(int=1), "int": 1, "slug": "x", "str": "x", "path": "x"}


@dataclass(frozen=True)
class Route:
    name: str
    path: str
    callback: Callable[..., Any]

    @property
    def view_class(self) -> type | None:
        return getattr(self.callback, "cls", None) or getattr(self.callback, "view_class", None)

    @property
    def is_drf(self) -> bool:
        return isinstance(self.view_class, type) and issubclass(self.view_class, APIView)


def walk(resolver: URLResolver, prefix: str = "", namespace: str = "") -> Iterator[Route]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from walk(entry, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            full_path = prefix + str(entry.pattern)
            yield Route(f"{namespace}{entry.name}" if entry.name else full_path, full_path, entry.callback)


def anonymous_methods(callback: Callable[..., Any]) -> list[str]:
    """The HTTP methods of a DRF view whose permissions all admit an anonymous user."""
    view_class: Any = callback.cls  # type: ignore[attr-defined]
    actions = getattr(callback, "actions", None)  # viewsets map methods to actions
    methods = list(actions) if actions else [m for m in view_class.http_method_names if hasattr(view_class, m)]
    admitted = []
    for method in sorted(set(methods) - {"options", "head"}):
        view = view_class(**getattr(callback, "initkwargs", {}))
        view.args, view.kwargs, view.format_kwarg = (), {}, None
        if actions:
            view.action_map, view.action = actions, actions[method]
        request = view.initialize_request(getattr(APIRequestFactory(), method)("/"))
        request.user = AnonymousUser()
        view.request = request
        if all(_admits(permission, request, view) for permission in view.get_permissions()):
            admitted.append(method)
    return admitted


def _admits(permission: Any, request: Request, view: APIView) -> bool:
    try:
        return bool(permission.has_permission(request, view))
    except APIException:  # a permission may refuse by raising
        return False


def findings(resolver: URLResolver) -> tuple[dict[str, list[str]], list[str]]:
    """(open DRF views not allowlisted → methods, plain Django views not allowlisted)."""
    open_views, unknown_plain = {}, []
    for route in walk(resolver):
        if route.is_drf:
            if route.name not in ANONYMOUS_ALLOWED and (methods := anonymous_methods(route.callback)):
                open_views[route.name] = methods
        elif not route.path.startswith("admin/") and route.name not in PLAIN_DJANGO_VIEWS:
            unknown_plain.append(route.name)
    return open_views, unknown_plain


def test_no_view_admits_anonymous_users_unless_allowlisted() -> None:
    open_views, unknown_plain = findings(get_resolver())

    assert open_views == {}, "These views let anonymous users in: protect them or allowlist them with a reason."
    assert unknown_plain == [], "Plain Django views bypass DRF permissions: use an APIView or allowlist with a reason."


def test_the_allowlists_name_existing_open_routes() -> None:
    routes = {route.name: route for route in walk(get_resolver())}

    assert set(ANONYMOUS_ALLOWED) | set(PLAIN_DJANGO_VIEWS) <= set(routes)
    still_open = {name for name in ANONYMOUS_ALLOWED if anonymous_methods(routes[name].callback)}
    assert still_open == set(ANONYMOUS_ALLOWED), "An allowlisted view is no longer open: drop it from the list."


# --- the checker itself can fail -----------------------------------------------------------


class _OpenApi(APIView):
    permission_classes = [AllowAny]

    def get(self, request: Request) -> Response:
        return Response()


class _ReadOnlyForAnonymousApi(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly]

    def get(self, request: Request) -> Response:
        return Response()

    def post(self, request: Request) -> Response:
        return Response()


class _DefaultApi(APIView):
    def delete(self, request: Request) -> Response:
        return Response()


def _plain(request: HttpRequest) -> JsonResponse:
    return JsonResponse({})


def test_the_checker_flags_open_views_and_unknown_plain_views() -> None:
    resolver = URLResolver(
        get_resolver().pattern,
        [
            path("api/v1/open", _OpenApi.as_view(), name="open"),
            path("api/v1/read-only", _ReadOnlyForAnonymousApi.as_view(), name="read-only"),
            path("api/v1/default", _DefaultApi.as_view(), name="default"),
            path("api/v1/plain", _plain, name="plain"),
            path("admin/plain", _plain, name="admin-plain"),
            path("api/v1/register-lookalike", _OpenApi.as_view(), name="register"),  # not accounts:register
        ],
    )

    assert findings(resolver) == ({"open": ["get"], "read-only": ["get"], "register": ["get"]}, ["plain"])


# --- and over real HTTP ----------------------------------------------------------------------


def _sample_url(route_path: str) -> str:
    """``api/v1/x/<uuid:id>`` → ``/api/v1/x/00000000-…-000000000001``."""
    return "/" + re.sub(r"<(?:(\w+):)?\w+>", lambda m: str(SAMPLE_ARGUMENTS.get(m.group(1) or "str", "x")), route_path)


def _protected_routes() -> list[Any]:
    return [
        pytest.param(_sample_url(route.path), id=route.name)
        for route in walk(get_resolver())
        if route.is_drf and route.name not in ANONYMOUS_ALLOWED
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("url", _protected_routes())
@pytest.mark.parametrize("method", ["get", "post", "patch", "delete"])
def test_anonymous_calls_to_protected_routes_answer_401(api: APIClient, url: str, method: str) -> None:
    assert_problem(getattr(api, method)(url), 401)


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["parent_api", "sitter_api"])
def test_parent_or_sitter_token_on_staff_routes_answers_403(request: pytest.FixtureRequest, persona: str) -> None:
    client: APIClient = request.getfixturevalue(persona)

    assert_problem(client.get("/health/services"), 403, "permission_denied")


@pytest.mark.django_db
def test_staff_token_on_staff_routes_is_let_in(staff_api: APIClient) -> None:
    response = staff_api.get("/health/services")

    assert response.status_code == 200, response.content
    assert "services" in response.json()

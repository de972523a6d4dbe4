"""The lockout where a real request is at hand: django-axes's hooks, and the admin's code step.

The rule (who is locked, for how long) is ``accounts.services.lockout``, which
knows the caller as a ``Client``. Here is only how axes sees an account and
how its refusal looks on the wire (settings ``AXES_USERNAME_CALLABLE``,
``AXES_LOCKOUT_CALLABLE``: the same problem as every other locked way in), and
how a failure met on a request the ``AxesMiddleware`` answers is reported.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse

from accounts.services import lockout
from accounts.services.lockout import locked_error
from guardiannest.api.errors import PROBLEM_CONTENT_TYPE, http_status, problem
from guardiannest.api.net import client_of
from guardiannest.errors import ApplicationError


def username_from_credentials(request: HttpRequest, credentials: dict[str, Any] | None) -> str | None:
    """Axes's idea of the account: the email, lower-cased, whatever field carried it."""
    source = credentials or {}
    value = source.get("username") or source.get("email")
    return str(value).strip().lower() if value else None


def lockout_response(request: HttpRequest, original_response: Any = None, credentials: Any = None) -> HttpResponse:
    """What axes answers when it refuses (the admin login): the ``account_locked`` problem."""
    error = locked_error()
    status = http_status(error)
    response = HttpResponse(
        json.dumps(problem(status, error.code, error.detail)), status=status, content_type=PROBLEM_CONTENT_TYPE
    )
    response["Retry-After"] = str(error.retry_after)
    return response


def lockout_failure(*, request: HttpRequest, email: str, way: str) -> None:
    """Count a failure met on ``request`` (the admin's code step); the one that locks flags the request.

    The flag is axes's own, so ``AxesMiddleware`` answers this request with
    :func:`lockout_response`, as it does when the admin's password step locks.
    """
    try:
        lockout.lockout_failure(client=client_of(request), email=email, way=way)
    except ApplicationError:
        request.axes_locked_out = True  # type: ignore[attr-defined]
        raise

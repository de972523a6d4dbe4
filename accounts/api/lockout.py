"""django-axes's hooks (settings ``AXES_USERNAME_CALLABLE``, ``AXES_LOCKOUT_CALLABLE``).

Axes calls them with the request it watches: the admin login, and the API's
password sign-in. The rule itself (who is locked, for how long) is
``accounts.services.lockout``; this is only how axes sees an account and how
its refusal looks on the wire: the same problem as every other locked way in.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse

from accounts.services.lockout import locked_error
from guardiannest.api.errors import PROBLEM_CONTENT_TYPE, http_status, problem


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

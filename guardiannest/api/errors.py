"""The one error shape (RFC 9457 problem details) for every error the API returns.

``{"type", "title", "status", "detail", "code", "request_id"}`` always, plus
``"errors": {"field": ["message"]}`` on invalid input, served as
``application/problem+json``. Services raise :class:`~guardiannest.errors.ApplicationError`,
whose refusal becomes a status here (:data:`STATUS_BY_REFUSAL`, the only such map); DRF's
exceptions, Django's 404/403/400/500 and anything unhandled all leave here too.
"""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

import structlog
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from guardiannest.api.exceptions import RequestTooLarge
from guardiannest.errors import ApplicationError, ErrorCode, Refusal
from guardiannest.middleware import current_request_id
from guardiannest.observability import count_unhandled

logger = structlog.get_logger("guardiannest.api")

PROBLEM_CONTENT_TYPE = "application/problem+json"


# The one map from a domain refusal to an HTTP status. Codes declare their refusal (guardiannest.errors).
STATUS_BY_REFUSAL: dict[Refusal, int] = {
    Refusal.INVALID: status.HTTP_400_BAD_REQUEST,
    Refusal.UNAUTHENTICATED: status.HTTP_401_UNAUTHORIZED,
    Refusal.FORBIDDEN: status.HTTP_403_FORBIDDEN,
    Refusal.NOT_FOUND: status.HTTP_404_NOT_FOUND,
    Refusal.CONFLICT: status.HTTP_409_CONFLICT,
    Refusal.TOO_LARGE: status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    Refusal.UNPROCESSABLE: status.HTTP_422_UNPROCESSABLE_ENTITY,
    Refusal.UNSUPPORTED: status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
    Refusal.RATE_LIMITED: status.HTTP_429_TOO_MANY_REQUESTS,
    Refusal.UNAVAILABLE: status.HTTP_503_SERVICE_UNAVAILABLE,
}


def http_status(exc: ApplicationError) -> int:
    """The status an application error is answered with."""
    return STATUS_BY_REFUSAL[exc.refusal]


def application_error_response(exc: ApplicationError) -> Response:
    """An application error in the one shape, with ``Retry-After`` when it says when to come back."""
    headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after is not None else None
    return _problem_response(problem(http_status(exc), exc.code, exc.detail, errors=exc.errors), headers)


def problem(
    status_code: int,
    code: str,
    detail: str,
    *,
    errors: dict[str, list[str]] | None = None,
    title: str | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": f"urn:guardiannest:problem:{code}",
        "title": title or HTTPStatus(status_code).phrase,
        "status": status_code,
        "detail": detail,
        "code": str(code),
        "request_id": current_request_id(),
    }
    if errors is not None:
        body["errors"] = errors
    return body


def flatten_errors(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """Turn DRF's nested error detail into ``{"field.sub.0": ["message"]}``."""
    flat: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = "non_field_errors" if key == "non_field_errors" and not prefix else f"{prefix}{key}"
            for sub_key, messages in flatten_errors(value, f"{name}.").items():
                flat.setdefault(sub_key, []).extend(messages)
    elif isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            flat[prefix.rstrip(".") or "non_field_errors"] = [str(item) for item in detail]
        else:
            for index, item in enumerate(detail):
                if item:
                    for sub_key, messages in flatten_errors(item, f"{prefix}{index}.").items():
                        flat.setdefault(sub_key, []).extend(messages)
    else:
        flat[prefix.rstrip(".") or "non_field_errors"] = [str(detail)]
    return flat


def _first_code(detail: Any) -> str | None:
    if isinstance(detail, exceptions.ErrorDetail):
        return str(detail.code) if detail.code else None
    if isinstance(detail, dict):
        if isinstance(detail.get("code"), str):  # simplejwt puts its specific code here
            return str(detail["code"])
        for value in detail.values():
            if found := _first_code(value):
                return found
    if isinstance(detail, list):
        for value in detail:
            if found := _first_code(value):
                return found
    return None


_DRF_CODES: dict[type[exceptions.APIException], ErrorCode] = {
    exceptions.ParseError: ErrorCode.PARSE_ERROR,
    exceptions.NotAuthenticated: ErrorCode.NOT_AUTHENTICATED,
    exceptions.AuthenticationFailed: ErrorCode.AUTHENTICATION_FAILED,
    exceptions.PermissionDenied: ErrorCode.PERMISSION_DENIED,
    exceptions.NotFound: ErrorCode.NOT_FOUND,
    exceptions.MethodNotAllowed: ErrorCode.METHOD_NOT_ALLOWED,
    exceptions.NotAcceptable: ErrorCode.NOT_ACCEPTABLE,
    exceptions.UnsupportedMediaType: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
    exceptions.Throttled: ErrorCode.THROTTLED,
}


def _problem_response(body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    response = Response(body, status=body["status"], headers=headers, content_type=PROBLEM_CONTENT_TYPE)
    return response


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """DRF's EXCEPTION_HANDLER: every exception from a view leaves in the one shape."""
    headers: dict[str, str] = {}
    if isinstance(exc, ApplicationError):
        set_rollback()
        return application_error_response(exc)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        exc = RequestTooLarge()
    elif isinstance(exc, SuspiciousOperation):
        exc = exceptions.ParseError("The request could not be understood.")

    if not isinstance(exc, exceptions.APIException):
        set_rollback()
        count_unhandled(exc, "http")
        logger.error("unhandled_error", view=type(context.get("view")).__name__, exc_info=exc)
        return _problem_response(
            problem(500, ErrorCode.SERVER_ERROR, "Something went wrong on our side. Quote the request id to support.")
        )

    set_rollback()
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header  # type: ignore[attr-defined]
    wait = getattr(exc, "wait", None) if isinstance(exc, exceptions.Throttled) else None
    if wait is not None:
        headers["Retry-After"] = str(max(1, int(wait + 0.999)))
    # DRF answers 403 when no authenticator offers a challenge; we always have one.
    status_code = exc.status_code
    if isinstance(exc, exceptions.ValidationError):
        errors = flatten_errors(exc.detail)
        message = "The request is invalid: see errors."
        if list(errors) == ["non_field_errors"] and len(errors["non_field_errors"]) == 1:
            message = errors["non_field_errors"][0]
        return _problem_response(problem(status_code, ErrorCode.INVALID, message, errors=errors), headers)
    code_str = _first_code(exc.detail) or _DRF_CODES.get(type(exc), ErrorCode.BAD_REQUEST)
    detail: Any = exc.detail
    if isinstance(detail, dict):
        detail = detail.get("detail") or next(iter(detail.values()), "")
    if isinstance(detail, list):
        detail = " ".join(str(item) for item in detail)
    return _problem_response(problem(status_code, code_str, str(detail)), headers)


# --- Django-level handlers: errors raised outside DRF views -------------------------------


def _json_problem(request: HttpRequest, status_code: int, code: str, detail: str) -> HttpResponse:
    response = HttpResponse(
        json.dumps(problem(status_code, code, detail)),
        status=status_code,
        content_type=PROBLEM_CONTENT_TYPE,
    )
    response["Cache-Control"] = "no-store"
    return response


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _json_problem(request, 400, ErrorCode.BAD_REQUEST, "The request could not be understood.")


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _json_problem(request, 403, ErrorCode.PERMISSION_DENIED, "You may not do this.")


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _json_problem(request, 404, ErrorCode.NOT_FOUND, "Not found.")


def server_error(request: HttpRequest) -> HttpResponse:
    return _json_problem(
        request, 500, ErrorCode.SERVER_ERROR, "Something went wrong on our side. Quote the request id to support."
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return _json_problem(request, 403, ErrorCode.PERMISSION_DENIED, "CSRF verification failed.")

"""``Idempotency-Key`` on POSTs that create money or bookings.

Same key and body within the TTL: the first answer is returned again (with
``Idempotent-Replayed: true``). Same key, other body: 422. A duplicate that
arrives while the first is still running waits for its answer, so the
operation runs once. A 5xx is not stored: the client may retry with the key.

Usage on an APIView::

    @idempotent
    def post(self, request): ...
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.response import Response

from guardiannest.api.errors import PROBLEM_CONTENT_TYPE
from guardiannest.api.models import IdempotencyRecord
from guardiannest.errors import ApplicationError, ErrorCode

HEADER = "Idempotency-Key"
_VALID_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")


def _fingerprint(request: Request) -> str:
    try:
        body: Any = request.data
    except Exception:  # an unparsable body is the view's to refuse
        body = None
    payload = json.dumps(
        {"method": request.method, "path": request.path, "body": body}, sort_keys=True, default=str
    ).encode()
    return hashlib.sha256(payload).hexdigest()


def _claim(request: Request, key: str, fingerprint: str) -> tuple[IdempotencyRecord, bool]:
    user_id = request.user.pk
    assert user_id is not None  # only authenticated requests get here
    cutoff = timezone.now() - settings.IDEMPOTENCY_KEY_TTL
    IdempotencyRecord.objects.filter(user_id=user_id, key=key, created_at__lt=cutoff).delete()
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(
                user_id=user_id, key=key, method=request.method or "POST", path=request.path, fingerprint=fingerprint
            )
        return record, True
    except IntegrityError:
        return IdempotencyRecord.objects.get(user_id=user_id, key=key), False


def _await_answer(record: IdempotencyRecord) -> IdempotencyRecord | None:
    deadline = time.monotonic() + settings.IDEMPOTENCY_WAIT_SECONDS
    delay = 0.02
    while record.state != IdempotencyRecord.State.DONE:
        if time.monotonic() >= deadline:
            return None
        time.sleep(delay)
        delay = min(delay * 2, 0.25)
        try:
            record.refresh_from_db()
        except IdempotencyRecord.DoesNotExist:
            return None  # the first attempt failed and gave the key back
    return record


def idempotent(handler: Callable[..., Response]) -> Callable[..., Response]:
    @functools.wraps(handler)
    def wrapper(view: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = request.headers.get(HEADER)
        if key is None or not request.user.is_authenticated:
            return handler(view, request, *args, **kwargs)
        if not _VALID_KEY.match(key):
            raise ApplicationError(
                ErrorCode.INVALID,
                "The Idempotency-Key header must be 1 to 255 printable ASCII characters.",
                errors={HEADER: ["Invalid key."]},
            )
        fingerprint = _fingerprint(request)
        record, claimed = _claim(request, key, fingerprint)
        if not claimed:
            if record.fingerprint != fingerprint:
                raise ApplicationError(
                    ErrorCode.IDEMPOTENCY_KEY_REUSED, "This Idempotency-Key was used with another request."
                )
            answered = _await_answer(record)
            if answered is None:
                raise ApplicationError(
                    ErrorCode.IDEMPOTENCY_IN_PROGRESS,
                    "A request with this Idempotency-Key is still being processed; retry shortly.",
                    retry_after=1,
                )
            return Response(
                answered.response_body,
                status=answered.response_status,
                headers={"Idempotent-Replayed": "true"},
                content_type=PROBLEM_CONTENT_TYPE if (answered.response_status or 0) >= 400 else None,
            )

        try:
            response = handler(view, request, *args, **kwargs)
        except Exception as exc:
            # Render the refusal as DRF would, so a 4xx is remembered like any answer.
            response = view.handle_exception(exc)
        if response.status_code >= 500:
            record.delete()
            return response
        record.state = IdempotencyRecord.State.DONE
        record.response_status = response.status_code
        record.response_body = response.data
        record.completed_at = timezone.now()
        record.save(update_fields=["state", "response_status", "response_body", "completed_at"])
        return response

    return wrapper


def idempotency_purge_expired() -> int:
    """Delete answers older than the TTL; returns how many went."""
    cutoff = timezone.now() - settings.IDEMPOTENCY_KEY_TTL
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted

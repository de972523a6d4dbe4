"""Bench-only URLconf: bare DRF views, the baselines the app's endpoints are compared with.

- ``BareApi``: DRF's own cost (request wrapping, content negotiation, JSON rendering), nothing else.
- ``SameWorkMeApi``: what GET /api/v1/auth/me must do, and nothing more: PyJWT decode of the same
  token (same key, algorithm, audience, issuer), the same user query (the one API authentication
  runs: MFA flag included, and since issue 11 the token's session, which must still be live),
  one Redis pipeline (a throttle's count), the same JSON fields.
- ``FloorMessageApi``: what a chat message POST must do, and nothing more: PyJWT decode, one INSERT,
  one redis-py PUBLISH (read by a bare redis-py subscriber), a 201 with the message.

None has authentication, permission or throttle classes; served without middleware
(bench/settings_bare.py, or the bare handler of bench/wsgi_chat.py).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from typing import Any

import jwt
import redis
from django.conf import settings
from django.db import connection
from django.urls import path
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from bench.floor import FLOOR_TABLE, floor_channel

BARE_PATH = "/bench/bare"
# The same view under the API prefix, where the API's middleware (CORS, no-store) act on it.
API_BARE_PATH = "/api/v1/bench/bare"
SAME_WORK_ME_PATH = "/bench/me"
FLOOR_MESSAGE_PATH = "/bench/floor/{conversation_id}/messages"


class BareApi(APIView):
    """DRF's own cost: request wrapping, content negotiation, JSON rendering; nothing else."""

    authentication_classes: list[Any] = []
    permission_classes: list[Any] = []
    throttle_classes: list[Any] = []

    def get(self, request: Request) -> Response:
        return Response({"status": "ok"})


_redis_lock = threading.Lock()
_redis: redis.Redis | None = None


def _client() -> redis.Redis:
    """One redis-py client per process, as the app keeps one."""
    global _redis
    if _redis is None:
        with _redis_lock:
            if _redis is None:
                _redis = redis.Redis.from_url(settings.REDIS_URL)
    return _redis


def _claims(request: Request) -> dict[str, Any]:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    jwt_settings = settings.SIMPLE_JWT
    return dict(
        jwt.decode(
            header.removeprefix("Bearer "),
            jwt_settings["SIGNING_KEY"],
            algorithms=[jwt_settings["ALGORITHM"]],
            audience=jwt_settings["AUDIENCE"],
            issuer=jwt_settings["ISSUER"],
            leeway=jwt_settings["LEEWAY"],
        )
    )


class SameWorkMeApi(APIView):
    authentication_classes: list[Any] = []
    permission_classes: list[Any] = []
    throttle_classes: list[Any] = []

    def get(self, request: Request) -> Response:
        try:
            claims = _claims(request)
        except jwt.PyJWTError:
            return Response({"detail": "bad token"}, status=status.HTTP_401_UNAUTHORIZED)
        with connection.cursor() as cursor:
            # The query API authentication runs (UserManager.get_for_authentication): the user with its
            # MFA flag, found only while the token's session (``sid``) is live, its sign-in method along.
            cursor.execute(
                "SELECT u.*, EXISTS (SELECT 1 FROM accounts_totpdevice d WHERE d.user_id = u.id AND d.confirmed) "
                "AS mfa_on, s.method AS session_method FROM accounts_user u JOIN accounts_usersession s "
                "ON s.user_id = u.id AND s.id = %s AND s.ended_at IS NULL WHERE u.id = %s",
                [claims.get("sid"), claims["sub"]],
            )
            found = cursor.fetchone()
            names = [column.name for column in cursor.description or ()]
        user = dict(zip(names, found, strict=True)) if found is not None else None
        if user is None or not user["is_active"]:
            return Response({"detail": "no user"}, status=status.HTTP_401_UNAUTHORIZED)
        window = int(time.time() // 60)
        pipeline = _client().pipeline(transaction=True)
        key = f"bench:me:{user['id']}:{window}"
        pipeline.set(key, 0, ex=61, nx=True)
        pipeline.incr(key)
        pipeline.execute()
        return Response(
            {
                "id": str(user["id"]),
                "email": user["email"],
                "role": user["role"],
                "first_name": user["first_name"],
                "last_name": user["last_name"],
                "phone": user["phone"],
                "email_verified": user["email_verified_at"] is not None,
                "mfa_enabled": user["mfa_on"],
                "is_staff": user["is_staff"],
            }
        )


class FloorMessageApi(APIView):
    authentication_classes: list[Any] = []
    permission_classes: list[Any] = []
    throttle_classes: list[Any] = []

    def post(self, request: Request, conversation_id: uuid.UUID) -> Response:
        try:
            claims = _claims(request)
        except jwt.PyJWTError:
            return Response({"detail": "bad token"}, status=status.HTTP_401_UNAUTHORIZED)
        message_id = uuid.uuid4()
        body = str(request.data.get("body", ""))
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {FLOOR_TABLE} (id, conversation_id, sender_id, body) VALUES (%s, %s, %s, %s) "
                "RETURNING created_at",
                [message_id, conversation_id, claims["sub"], body],
            )
            created_at = cursor.fetchone()[0]
        data = {
            "id": str(message_id),
            "conversation_id": str(conversation_id),
            "sender_id": claims["sub"],
            "body": body,
            "created_at": created_at.isoformat(),
        }
        _client().publish(floor_channel(conversation_id), json.dumps(data))
        return Response(data, status=status.HTTP_201_CREATED)


urlpatterns = [
    path(BARE_PATH.lstrip("/"), BareApi.as_view(), name="bench-bare"),
    path(API_BARE_PATH.lstrip("/"), BareApi.as_view(), name="bench-api-bare"),
    path(SAME_WORK_ME_PATH.lstrip("/"), SameWorkMeApi.as_view(), name="bench-same-work-me"),
    path("bench/floor/<uuid:conversation_id>/messages", FloorMessageApi.as_view(), name="bench-floor-message"),
]

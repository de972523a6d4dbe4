"""JWT authentication that also tags every following log line with the user id."""

from __future__ import annotations

from typing import Any

import structlog
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request
from rest_framework_simplejwt.authentication import JWTAuthentication as BaseJWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.settings import api_settings

from guardiannest.api.throttling import count_ahead
from guardiannest.cache import redis_batch


class JWTAuthentication(BaseJWTAuthentication):
    def get_user(self, validated_token: Any) -> Any:
        """simplejwt's lookup, through the user manager's ``get_for_authentication()`` when it has one.

        One query then carries what most views need about the user (MFA state),
        and the manager may refuse a token by the other claims it carries (None:
        accounts returns None once the token's session has ended).
        """
        return self._checked(self._load(validated_token, None))

    def _load(self, validated_token: Any, snapshot: Any) -> Any:
        manager = self.user_model._default_manager
        loader = getattr(manager, "get_for_authentication", None)
        if loader is None:
            return super().get_user(validated_token)
        try:
            user_id = validated_token[api_settings.USER_ID_CLAIM]
        except KeyError as exc:
            raise InvalidToken(str(_("Token contained no recognizable user identification"))) from exc
        if snapshot is None:
            return loader(user_id, validated_token)
        return loader(user_id, validated_token, snapshot=snapshot)

    def _checked(self, user: Any) -> Any:
        if user is None:
            raise AuthenticationFailed(_("User not found"), code="user_not_found")
        if not user.is_active:
            raise AuthenticationFailed(_("User is inactive"), code="user_inactive")
        return user

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        """simplejwt's ``authenticate``, with one Redis round trip for the session's snapshot and the throttles.

        The request's throttle counts (``guardiannest.api.throttling.count_ahead``)
        and the user manager's look-up of a kept answer
        (``authentication_snapshot``: ``accounts.auth_snapshot``) go to Redis
        in one write. A current snapshot is the user, with no database query;
        otherwise the database answers and the answer is kept. A token refused
        after all gets its counts taken back. Without Redis (the embedded
        default) the counts are taken and the user loaded as before.
        """
        header = self.get_header(request)
        if header is None:
            return None
        raw_token = self.get_raw_token(header)
        if raw_token is None:
            return None
        validated_token = self.get_validated_token(raw_token)
        user_id = validated_token.get(api_settings.USER_ID_CLAIM)
        batch = redis_batch() if user_id is not None else None
        finish = count_ahead(request, user_id, batch) if user_id is not None else None
        # The user manager's look-up of a kept answer (accounts.auth_snapshot), riding in the same write.
        lookup = getattr(self.user_model._default_manager, "authentication_snapshot", None)
        snapshot = lookup(batch, user_id, validated_token) if batch is not None and lookup is not None else None
        if batch is not None:
            batch.send()
        user = None
        try:
            user = self._checked(self._load(validated_token, snapshot))
        finally:
            if finish is not None:
                finish(user is not None)
            if batch is not None:
                batch.close()
        structlog.contextvars.bind_contextvars(user_id=str(user.pk))
        return user, validated_token

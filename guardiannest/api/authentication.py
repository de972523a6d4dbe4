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


class JWTAuthentication(BaseJWTAuthentication):
    def get_user(self, validated_token: Any) -> Any:
        """simplejwt's lookup, through the user manager's ``get_for_authentication()`` when it has one.

        One query then carries what most views need about the user (MFA state),
        and the manager may refuse a token by the other claims it carries (None:
        accounts returns None once the token's session has ended).
        """
        manager = self.user_model._default_manager
        loader = getattr(manager, "get_for_authentication", None)
        if loader is None:
            return super().get_user(validated_token)
        try:
            user_id = validated_token[api_settings.USER_ID_CLAIM]
        except KeyError as exc:
            raise InvalidToken(str(_("Token contained no recognizable user identification"))) from exc
        user = loader(user_id, validated_token)
        if user is None:
            raise AuthenticationFailed(_("User not found"), code="user_not_found")
        if not user.is_active:
            raise AuthenticationFailed(_("User is inactive"), code="user_inactive")
        return user

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        """simplejwt's ``authenticate``, with the request's throttle counts sent while the user loads.

        Redis counts the throttle windows while PostgreSQL answers the user
        query (``guardiannest.api.throttling.count_ahead``): one wait instead
        of two in a row. A token refused after all gets its counts taken back.
        """
        header = self.get_header(request)
        if header is None:
            return None
        raw_token = self.get_raw_token(header)
        if raw_token is None:
            return None
        validated_token = self.get_validated_token(raw_token)
        user_id = validated_token.get(api_settings.USER_ID_CLAIM)
        finish = count_ahead(request, user_id) if user_id is not None else None
        user = None
        try:
            user = self.get_user(validated_token)
        finally:
            if finish is not None:
                finish(user is not None)
        structlog.contextvars.bind_contextvars(user_id=str(user.pk))
        return user, validated_token

"""The security screen: signed-in devices and the account's audit trail."""

from __future__ import annotations

from typing import Any, cast
from uuid import UUID

from django.urls import path
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User, UserSession
from accounts.selectors.sessions import session_get_for_user, session_list_for_user
from accounts.services.sessions import SESSION_CLAIM, session_revoke
from accounts.services.step_up import STEP_UP_TTL, session_step_up, sign_in_change_authorize
from guardiannest.api.net import client_of
from guardiannest.api.pagination import CursorPagination
from guardiannest.api.serializers import StrictSerializer
from guardiannest.audit.models import AuditEvent
from guardiannest.audit.selectors import audit_event_list_for_user


def _current_session_id(request: Request) -> str | None:
    token = request.auth
    return str(token.get(SESSION_CLAIM)) if token is not None and hasattr(token, "get") else None


def sign_in_change_authorize_request(request: Request) -> None:
    """Refuse, before a passkey, Firebase link or authenticator changes, unless the caller stepped up lately."""
    sign_in_change_authorize(user=cast(User, request.user), session_id=_current_session_id(request))


class StepUpApi(APIView):
    """Prove it is you again (password, or a TOTP or backup code) before changing how you sign in."""

    throttle_scope = "otp"

    @extend_schema_serializer(component_name="StepUpInput")
    class InputSerializer(StrictSerializer):
        password = serializers.CharField(required=False, allow_blank=True, max_length=4096, trim_whitespace=False)
        code = serializers.CharField(required=False, allow_blank=True, max_length=64)

        any_of = ("password", "code")  # at least one, not blank

    @extend_schema_serializer(component_name="StepUp")
    class OutputSerializer(serializers.Serializer):
        stepped_up_at = serializers.DateTimeField()
        valid_for = serializers.IntegerField(help_text="Seconds a sign-in change is allowed from now.")

    @extend_schema(request=InputSerializer, responses={200: OutputSerializer}, tags=["auth"])
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        at = session_step_up(
            client=client_of(request),
            user=cast(User, request.user),
            session_id=_current_session_id(request),
            password=data.validated_data.get("password", ""),
            code=data.validated_data.get("code", ""),
        )
        body = {"stepped_up_at": at, "valid_for": int(STEP_UP_TTL.total_seconds())}
        return Response(self.OutputSerializer(body).data)


class SessionListApi(APIView):
    @extend_schema_serializer(component_name="Session")
    class OutputSerializer(serializers.ModelSerializer[UserSession]):
        current = serializers.SerializerMethodField()

        class Meta:
            model = UserSession
            fields = ["id", "created_at", "last_used_at", "ip", "user_agent", "method", "current"]

        def get_current(self, session: UserSession) -> bool:
            return str(session.pk) == self.context.get("current")

    class Pagination(CursorPagination):
        ordering = "-last_used_at"

    pagination_class = Pagination

    @extend_schema(responses={200: OutputSerializer(many=True)}, tags=["security"])
    def get(self, request: Request) -> Response:
        paginator = self.Pagination()
        sessions = session_list_for_user(user=cast(User, request.user))
        page = paginator.paginate_queryset(sessions, request, view=self)
        data = self.OutputSerializer(page, many=True, context={"current": _current_session_id(request)}).data
        return paginator.get_paginated_response(data)


class SessionDetailApi(APIView):
    @extend_schema(responses={204: None}, tags=["security"])
    def delete(self, request: Request, session_id: UUID) -> Response:
        user = cast(User, request.user)
        session = session_get_for_user(session_id=session_id, user=user)
        session_revoke(session=session, actor=user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SecurityEventListApi(APIView):
    """Logins, MFA and password changes, revoked sessions, and reads of this family's data by others."""

    @extend_schema_serializer(component_name="SecurityEvent")
    class OutputSerializer(serializers.ModelSerializer[AuditEvent]):
        by = serializers.SerializerMethodField(help_text="you, staff, someone_else or system")
        ip = serializers.SerializerMethodField(help_text="Only for what you did yourself.")

        class Meta:
            model = AuditEvent
            fields = ["id", "created_at", "action", "by", "ip"]

        def get_by(self, event: AuditEvent) -> str:
            if event.actor_id is None:
                return "system"
            if str(event.actor_id) == self.context["user_id"]:
                return "you"
            return "staff" if event.actor_id in self.context["staff_ids"] else "someone_else"

        def get_ip(self, event: AuditEvent) -> str | None:
            return event.ip if str(event.actor_id) == self.context["user_id"] else None

    class Pagination(CursorPagination):
        ordering = "-id"

    pagination_class = Pagination

    @extend_schema(responses={200: OutputSerializer(many=True)}, tags=["security"])
    def get(self, request: Request) -> Response:
        paginator = self.Pagination()
        page: list[Any] = (
            paginator.paginate_queryset(audit_event_list_for_user(user=request.user), request, view=self) or []
        )
        actor_ids = {event.actor_id for event in page if event.actor_id is not None}
        staff_ids = set(User.objects.filter(pk__in=actor_ids, is_staff=True).values_list("pk", flat=True))
        context = {"user_id": str(request.user.pk), "staff_ids": staff_ids}
        return paginator.get_paginated_response(self.OutputSerializer(page, many=True, context=context).data)


urlpatterns = [
    path("auth/step-up", StepUpApi.as_view(), name="step-up"),
    path("security/sessions", SessionListApi.as_view(), name="sessions"),
    path("security/sessions/<uuid:session_id>", SessionDetailApi.as_view(), name="session-detail"),
    path("security/events", SecurityEventListApi.as_view(), name="security-events"),
]

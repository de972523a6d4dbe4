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
from guardiannest.api.pagination import CursorPagination
from guardiannest.audit.models import AuditEvent
from guardiannest.audit.selectors import audit_event_list_for_user


def _current_session_id(request: Request) -> str | None:
    token = request.auth
    return str(token.get(SESSION_CLAIM)) if token is not None and hasattr(token, "get") else None


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
    path("security/sessions", SessionListApi.as_view(), name="sessions"),
    path("security/sessions/<uuid:session_id>", SessionDetailApi.as_view(), name="session-detail"),
    path("security/events", SecurityEventListApi.as_view(), name="security-events"),
]

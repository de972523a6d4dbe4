from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from guardiannest.realtime.serializers import TicketOutputSerializer
from guardiannest.realtime.tickets import ticket_issue


class RealtimeTicketApi(APIView):
    """A single-use ticket (30 s) to open the websocket without putting a JWT in a URL."""

    throttle_scope = "ticket"

    @extend_schema(request=None, responses={201: TicketOutputSerializer}, tags=["realtime"])
    def post(self, request: Request) -> Response:
        ticket = ticket_issue(user_id=request.user.pk)  # type: ignore[arg-type]  # authenticated: pk set
        data = {"ticket": ticket, "expires_in": settings.REALTIME_TICKET_TTL}
        return Response(TicketOutputSerializer(data).data, status=status.HTTP_201_CREATED)

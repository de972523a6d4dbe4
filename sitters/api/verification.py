"""Sitter verification on the wire (API.md, Sitters): the sitter submits, staff decide.

``sitters/me/verification``: GET is the caller's state; POST
``{id_document_id}`` opens an identity check with that ID document (the
caller's own ready upload of purpose ``id_document``, else 400
``id_document_id``) and a background check → 201 with the state. 409
``verification_pending`` while a decision is awaited, 409
``already_verified`` once verified; a rejected sitter may submit again.
Sitters only (403). ``Idempotency-Key`` is honoured.

``staff/sitters/{id}/verification``: POST ``{decision, reason?, check?}`` →
200 with the state. Staff only: anyone else gets 403 before the id is
looked at, so the route says nothing about who exists. An id that is not a
sitter's answers 404. Rejecting needs a reason (400 ``reason``).

The state: ``{verification_status, verified_at, checks: [{id, kind, status,
reason, submitted_at, decided_at}]}`` with the newest check of each kind.
"""

from __future__ import annotations

from typing import cast
from uuid import UUID

from django.urls import path
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.permissions import IsAdminUser, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from guardiannest.api.idempotency import idempotent
from guardiannest.api.serializers import CleanTextField, StrictSerializer
from sitters.api.common import IsSitter
from sitters.models import CheckKind, CheckStatus, SitterProfile, VerificationStatus
from sitters.selectors.verification import sitter_user_get_for_staff, verification_state_get
from sitters.services import verification as services
from sitters.services.profile import sitter_profile_for

TAGS = ["sitters"]
STAFF_TAGS = ["staff"]


@extend_schema_serializer(component_name="SitterVerificationCheck")
class CheckSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    kind = serializers.ChoiceField(choices=CheckKind.choices)
    status = serializers.ChoiceField(choices=CheckStatus.choices)
    reason = serializers.CharField(help_text="Why it was rejected; empty otherwise.")
    submitted_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField(allow_null=True)


@extend_schema_serializer(component_name="SitterVerification")
class StateSerializer(serializers.Serializer):
    verification_status = serializers.ChoiceField(choices=VerificationStatus.choices)
    verified_at = serializers.DateTimeField(allow_null=True)
    checks = CheckSerializer(many=True, help_text="The newest check of each kind.")


def _state(profile: SitterProfile) -> dict[str, object]:
    return cast(dict[str, object], StateSerializer(verification_state_get(profile=profile)).data)


class SitterVerificationApi(APIView):
    """The caller's own verification (sitters only)."""

    permission_classes = [IsAuthenticated, IsSitter]

    @extend_schema_serializer(component_name="SitterVerificationSubmit")
    class InputSerializer(StrictSerializer):
        id_document_id = serializers.UUIDField(help_text="Your own ready upload of purpose id_document.")

    @extend_schema(responses={200: StateSerializer}, tags=TAGS)
    def get(self, request: Request) -> Response:
        return Response(_state(sitter_profile_for(user=cast(User, request.user))))

    @extend_schema(
        request=InputSerializer,
        responses={201: StateSerializer},
        tags=TAGS,
    )
    @idempotent
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = cast(User, request.user)
        profile = services.verification_submit(
            sitter=user, id_document_id=data.validated_data["id_document_id"], actor=user
        )
        return Response(_state(profile), status=status.HTTP_201_CREATED)


class StaffSitterVerificationApi(APIView):
    """Staff decide a sitter's verification (the admin's queue does the same through the same service)."""

    permission_classes = [IsAuthenticated, IsAdminUser]

    @extend_schema_serializer(component_name="StaffSitterVerificationDecision")
    class InputSerializer(StrictSerializer):
        decision = serializers.ChoiceField(choices=[CheckStatus.VERIFIED.value, CheckStatus.REJECTED.value])
        reason = CleanTextField(
            max_length=services.REASON_MAX_LENGTH,
            required=False,
            allow_blank=True,
            help_text="Required when rejecting; shown to the sitter.",
        )
        check = serializers.ChoiceField(
            choices=CheckKind.choices,
            required=False,
            help_text="Decide only this kind; without it, every pending check (or both kinds when none is pending).",
        )

    @extend_schema(
        request=InputSerializer,
        responses={200: StateSerializer},
        tags=STAFF_TAGS,
    )
    def post(self, request: Request, sitter_id: UUID) -> Response:
        sitter = sitter_user_get_for_staff(sitter_id=sitter_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        profile = services.verification_decide(
            sitter=sitter,
            actor=cast(User, request.user),
            decision=data.validated_data["decision"],
            reason=data.validated_data.get("reason", ""),
            kind=data.validated_data.get("check"),
        )
        return Response(_state(profile))


urlpatterns = [
    path("sitters/me/verification", SitterVerificationApi.as_view(), name="me-verification"),
    path(
        "staff/sitters/<uuid:sitter_id>/verification",
        StaffSitterVerificationApi.as_view(),
        name="staff-verification",
    ),
]

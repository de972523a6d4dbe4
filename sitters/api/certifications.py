"""A sitter's certifications: CRUD ``sitters/me/certifications`` (API.md, Sitters). Sitters only; others 403.

``{id, kind, issued_at, expires_at, document_id}`` plus ``status``
(``valid|expiring|expired|unconfirmed``) and ``badge``, computed on every read
(see :mod:`sitters.selectors.profile`). ``document_id`` names one of the
sitter's own uploads with purpose ``certification`` (else 400
``document_id``); the badge shows once staff approve it and until expiry.
One certification of each kind except ``other`` (409 ``certification_exists``).
Another sitter's certification answers 404.
"""

from __future__ import annotations

from typing import Any, cast
from uuid import UUID

from django.urls import path
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from guardiannest.api.pagination import CursorPagination
from guardiannest.api.serializers import StrictSerializer
from sitters.api.common import IsSitter
from sitters.models import Certification, CertificationKind
from sitters.selectors import profile as selectors
from sitters.services import certifications as services
from sitters.services.profile import sitter_profile_for

TAGS = ["sitters"]


def _sitter(request: Request) -> User:
    return cast(User, request.user)


@extend_schema_serializer(component_name="SitterCertification")
class CertificationSerializer(StrictSerializer):
    id = serializers.UUIDField(read_only=True)
    kind = serializers.ChoiceField(choices=CertificationKind.choices)
    issued_at = serializers.DateField(help_text="Not after today in your time zone.")
    expires_at = serializers.DateField(
        required=False, allow_null=True, help_text="After issued_at; null: does not expire."
    )
    document_id = serializers.UUIDField(
        required=False, allow_null=True, help_text="One of your uploads with purpose certification."
    )
    status = serializers.ChoiceField(choices=[s.value for s in selectors.CertificationStatus], read_only=True)
    badge = serializers.BooleanField(read_only=True, help_text="Unexpired and its document approved by staff.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        issued, expires = attrs.get("issued_at"), attrs.get("expires_at")
        if issued is not None and expires is not None and expires <= issued:
            raise serializers.ValidationError({"expires_at": ["The expiry date must be after the issue date."]})
        return attrs


def certification_data(certification: Certification) -> dict[str, Any]:
    state = selectors.certification_status(certification)
    return {
        "id": certification.pk,
        "kind": certification.kind,
        "issued_at": certification.issued_at,
        "expires_at": certification.expires_at,
        "document_id": certification.document_id,
        "status": state.value,
        "badge": state.badge,
    }


def _answer(certification: Certification, code: int = status.HTTP_200_OK) -> Response:
    fresh = Certification.objects.select_related("document").get(pk=certification.pk)
    return Response(CertificationSerializer(certification_data(fresh)).data, status=code)


class CertificationApi(APIView):
    permission_classes = [IsAuthenticated, IsSitter]


class CertificationListApi(CertificationApi):
    class Pagination(CursorPagination):
        ordering = "created_at"

    pagination_class = Pagination

    @extend_schema(responses={200: CertificationSerializer(many=True)}, tags=TAGS)
    def get(self, request: Request) -> Response:
        profile = sitter_profile_for(user=_sitter(request))
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(selectors.certification_list_for_sitter(sitter=profile), request, self)
        return paginator.get_paginated_response(
            CertificationSerializer([certification_data(item) for item in page or []], many=True).data
        )

    @extend_schema(request=CertificationSerializer, responses={201: CertificationSerializer}, tags=TAGS)
    def post(self, request: Request) -> Response:
        sitter = _sitter(request)
        profile = sitter_profile_for(user=sitter)
        data = CertificationSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        certification = services.certification_create(sitter=profile, actor=sitter, **data.validated_data)
        return _answer(certification, status.HTTP_201_CREATED)


class CertificationDetailApi(CertificationApi):
    def _get(self, request: Request, certification_id: UUID) -> Certification:
        profile = sitter_profile_for(user=_sitter(request))
        return selectors.certification_get_for_sitter(certification_id=certification_id, sitter=profile)

    @extend_schema(responses={200: CertificationSerializer}, tags=TAGS)
    def get(self, request: Request, certification_id: UUID) -> Response:
        return _answer(self._get(request, certification_id))

    @extend_schema(request=CertificationSerializer, responses={200: CertificationSerializer}, tags=TAGS)
    def patch(self, request: Request, certification_id: UUID) -> Response:
        certification = self._get(request, certification_id)
        data = CertificationSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        updated = services.certification_update(
            certification=certification, actor=_sitter(request), **data.validated_data
        )
        return _answer(updated)

    @extend_schema(responses={204: None}, tags=TAGS)
    def delete(self, request: Request, certification_id: UUID) -> Response:
        services.certification_delete(certification=self._get(request, certification_id), actor=_sitter(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


urlpatterns = [
    path("sitters/me/certifications", CertificationListApi.as_view(), name="certification-list"),
    path(
        "sitters/me/certifications/<uuid:certification_id>",
        CertificationDetailApi.as_view(),
        name="certification-detail",
    ),
]

"""GDPR on the security screen: a copy of my data, and deleting my account."""

from __future__ import annotations

from typing import Any, cast
from uuid import UUID

from django.http import FileResponse
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import DataExport, User
from accounts.selectors.gdpr import data_export_get_for_user
from accounts.services import gdpr as services
from accounts.services.gdpr.exports import download_file_name
from guardiannest.api.net import client_of
from guardiannest.api.serializers import StrictSerializer


class DataExportRequestApi(APIView):
    """Ask for a copy of everything we hold about you; poll the status for the download link."""

    @extend_schema_serializer(component_name="DataExportRequestInput")
    class InputSerializer(StrictSerializer):
        pass

    @extend_schema_serializer(component_name="DataExportRequested")
    class OutputSerializer(serializers.Serializer):
        id = serializers.UUIDField()

    @extend_schema(request=InputSerializer, responses={202: OutputSerializer}, tags=["security"])
    def post(self, request: Request) -> Response:
        self.InputSerializer(data=request.data).is_valid(raise_exception=True)
        export = services.data_export_request(user=cast(User, request.user))
        return Response(self.OutputSerializer(export).data, status=status.HTTP_202_ACCEPTED)


class DataExportDetailApi(APIView):
    @extend_schema_serializer(component_name="DataExport")
    class OutputSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=DataExport.Status.choices)
        download_url = serializers.SerializerMethodField(
            help_text="A link valid for a few minutes once the export is ready; null before and after."
        )

        def get_download_url(self, export: DataExport) -> str | None:
            url = services.data_export_download_url(export=export)
            request = self.context.get("request")
            # A presigned storage URL is absolute already; build_absolute_uri leaves it as it is.
            return request.build_absolute_uri(url) if url is not None and request is not None else url

    @extend_schema(responses={200: OutputSerializer}, tags=["security"])
    def get(self, request: Request, export_id: UUID) -> Response:
        export = data_export_get_for_user(export_id=export_id, user=cast(User, request.user))
        return Response(self.OutputSerializer(export, context={"request": request}).data)


class _AnyAccept(BaseContentNegotiation):
    """The file is JSON whatever the client accepts; only errors go through a renderer."""

    def select_parser(self, request: Request, parsers: Any) -> Any:
        return parsers[0] if parsers else None

    def select_renderer(self, request: Request, renderers: Any, format_suffix: str | None = None) -> Any:
        return (renderers[0], renderers[0].media_type)


class DataExportDownloadApi(APIView):
    """The export file, for its owner, through the signed link the status gave (the owner's token is needed too)."""

    content_negotiation_class = _AnyAccept

    @extend_schema(
        parameters=[OpenApiParameter("signature", str, required=True, description="From `download_url`.")],
        responses={
            (200, "application/json"): OpenApiResponse(OpenApiTypes.BINARY, description="The export, as a file."),
            403: OpenApiResponse(description="The link is invalid or expired."),
            404: OpenApiResponse(description="No such export of yours, or it is not ready or expired."),
        },
        tags=["security"],
    )
    def get(self, request: Request, export_id: UUID) -> FileResponse:
        user = cast(User, request.user)
        export = data_export_get_for_user(export_id=export_id, user=user)
        signature = str(request.query_params.get("signature", ""))[:200]
        handle = services.data_export_open(export=export, signature=signature, actor=user)
        response = FileResponse(
            handle, as_attachment=True, filename=download_file_name(export), content_type="application/json"
        )
        response["Cache-Control"] = "no-store"
        return response


class AccountDeleteApi(APIView):
    """Erase my account: personal data goes, bookings and payments stay with nobody's name on them."""

    throttle_scope = "login"

    @extend_schema_serializer(component_name="DeleteAccountInput")
    class InputSerializer(StrictSerializer):
        password = serializers.CharField(max_length=256, trim_whitespace=False, style={"input_type": "password"})

    @extend_schema(request=InputSerializer, responses={202: None}, tags=["security"])
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.user_erase(
            user=cast(User, request.user), password=data.validated_data["password"], client=client_of(request)
        )
        return Response(status=status.HTTP_202_ACCEPTED)


urlpatterns = [
    path("security/export", DataExportRequestApi.as_view(), name="data-export"),
    path("security/export/<uuid:export_id>", DataExportDetailApi.as_view(), name="data-export-detail"),
    path("security/export/<uuid:export_id>/download", DataExportDownloadApi.as_view(), name="data-export-download"),
    path("security/delete-account", AccountDeleteApi.as_view(), name="delete-account"),
]

"""POST files, GET/DELETE files/{id}, and the signed content link of the embedded mode."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.conf import settings
from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from files import policies, services
from files.models import Purpose, StoredFile
from files.selectors import file_get_for_owner, file_get_for_user
from files.services.links import VARIANTS
from guardiannest.api.parsers import MultiPartParser
from guardiannest.api.serializers import StrictSerializer
from guardiannest.api.throttling import UserRateThrottle

_STATUS_HELP = "pending until scanned and processed; rejected when infected or unprocessable (never served)."
_SCAN_HELP = "not_scanned when no virus scanner is configured: never clean."


class FileUploadThrottle(UserRateThrottle):
    """Uploads per user: ``uploads`` in DEFAULT_THROTTLE_RATES if set, else ``FILES_UPLOAD_RATE``."""

    scope = "uploads"

    def get_rate(self) -> str | None:
        from rest_framework.settings import api_settings

        rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope) or getattr(settings, "FILES_UPLOAD_RATE", None)
        return None if rate is None else str(rate)


class FileOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    purpose = serializers.ChoiceField(choices=Purpose.choices)
    status = serializers.ChoiceField(choices=StoredFile.Status.choices, help_text=_STATUS_HELP)
    scan = serializers.ChoiceField(choices=StoredFile.Scan.choices, help_text=_SCAN_HELP)
    content_type = serializers.CharField(help_text="Decided from the file's bytes.")
    size = serializers.IntegerField(help_text="Bytes.")
    created_at = serializers.DateTimeField()


class FileCreateApi(APIView):
    """Upload a file (multipart): its type is read from its bytes; it is scanned and processed before it is served."""

    parser_classes = [MultiPartParser]
    throttle_classes = [*APIView.throttle_classes, FileUploadThrottle]

    @property
    def max_body_bytes(self) -> int:
        """Read by the parser before the body: the largest file any purpose takes, plus multipart framing."""
        return policies.max_body_bytes()

    @extend_schema_serializer(component_name="FileUploadInput")
    class InputSerializer(StrictSerializer):
        file = serializers.FileField(allow_empty_file=True, help_text="JPEG, PNG or WebP; PDF for documents.")
        purpose = serializers.ChoiceField(choices=Purpose.choices)

    @extend_schema_serializer(component_name="FileUploaded")
    class OutputSerializer(FileOutputSerializer):
        pass

    @extend_schema(
        request={"multipart/form-data": InputSerializer},
        responses={
            201: OutputSerializer,
            413: OpenApiResponse(description="The body, the file or the image's pixel count is over the limit."),
            415: OpenApiResponse(description="Not a type this purpose accepts (decided from the bytes)."),
        },
        tags=["files"],
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        file = services.file_create(
            owner=request.user, purpose=data.validated_data["purpose"], upload=data.validated_data["file"]
        )
        return Response(self.OutputSerializer(file).data, status=status.HTTP_201_CREATED)


@extend_schema_serializer(component_name="FileThumbnails")
class _ThumbnailsSerializer(serializers.Serializer):
    small = serializers.URLField(allow_null=True)
    medium = serializers.URLField(allow_null=True)


@extend_schema_serializer(component_name="FileWebpVariants")
class _WebpSerializer(serializers.Serializer):
    url = serializers.URLField(allow_null=True)
    small = serializers.URLField(allow_null=True)
    medium = serializers.URLField(allow_null=True)


class _FileDetailFields(FileOutputSerializer):
    width = serializers.IntegerField(allow_null=True)
    height = serializers.IntegerField(allow_null=True)
    review = serializers.ChoiceField(
        choices=StoredFile.Review.choices, help_text="Staff review of ID documents and certifications."
    )


class FileDetailApi(APIView):
    """A file with short-lived links; only its owner (and staff for documents, anyone for approved
    certifications) may see it. DELETE removes it and its variants (owner only)."""

    @extend_schema_serializer(component_name="FileDetail")
    class OutputSerializer(_FileDetailFields):
        url = serializers.URLField(allow_null=True, help_text="Null until the file may be served.")
        thumbnails = _ThumbnailsSerializer()
        webp = _WebpSerializer()
        expires_in = serializers.IntegerField(
            allow_null=True, help_text="Seconds the signed links stay valid (CDN links of avatars do not expire)."
        )

    @extend_schema(responses={200: OutputSerializer}, tags=["files"])
    def get(self, request: Request, file_id: UUID) -> Response:
        file = file_get_for_user(file_id=file_id, user=request.user)
        links = services.file_links(file=file, viewer=request.user, request=request._request)
        return Response({**_FileDetailFields(file).data, **links})

    @extend_schema(responses={204: None}, tags=["files"])
    def delete(self, request: Request, file_id: UUID) -> Response:
        file = file_get_for_owner(file_id=file_id, user=request.user)
        services.file_delete(file=file, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class _AnyAccept(BaseContentNegotiation):
    """The bytes are what they are whatever the client accepts; only errors go through a renderer."""

    def select_parser(self, request: Request, parsers: Any) -> Any:
        return parsers[0] if parsers else None

    def select_renderer(self, request: Request, renderers: Any, format_suffix: str | None = None) -> Any:
        return (renderers[0], renderers[0].media_type)


class FileContentApi(APIView):
    """The bytes behind a signed link (embedded mode; S3 serves its own presigned links).

    The signature is the credential, so no token is needed (an ``<img>`` can
    load it); it lives at most 10 minutes and the file is re-checked each time.
    """

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    # No per-IP throttle: a chat full of pictures behind one NAT would hit it, and an HMAC cannot be guessed.
    throttle_classes: list[Any] = []
    content_negotiation_class = _AnyAccept

    @extend_schema(
        parameters=[
            OpenApiParameter("variant", str, required=True, enum=["original", *VARIANTS]),
            OpenApiParameter("signature", str, required=True, description="From the links of GET files/{id}."),
        ],
        responses={
            (200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY, description="The file."),
            403: OpenApiResponse(description="The link has expired."),
            404: OpenApiResponse(description="No such file, or the link is not valid."),
        },
        auth=[],
        tags=["files"],
    )
    def get(self, request: Request, file_id: UUID) -> FileResponse:
        handle, target = services.file_open_signed(
            file_id=file_id,
            variant=str(request.query_params.get("variant", ""))[:20],
            signature=str(request.query_params.get("signature", "")),
        )
        response = FileResponse(
            handle, as_attachment=target.attachment, filename=target.filename, content_type=target.content_type
        )
        response["Cache-Control"] = policies.PRIVATE_CACHE_CONTROL
        # Served bytes never run as a page of ours, whatever a browser thinks they are.
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        response["X-Content-Type-Options"] = "nosniff"
        return response

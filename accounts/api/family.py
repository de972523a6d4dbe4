"""A parent's family: profile, children, emergency contacts and favourite sitters (API.md, Families).

Every route is the caller's own (``parents/me/...``) and open to parents only:
a sitter or staff member gets 403. Ids of another family's rows answer 404.
Free text is cleaned of markup and bounded (``CleanTextField``).

Emergency contact priorities (1-10) are unique per parent: a POST or PATCH
that takes a priority in use answers 409 ``priority_taken`` (a conflict with
another row, not malformed input); move the other contact first.
A repeated favourite POST is harmless: it answers 200 with the existing one.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, cast
from uuid import UUID

from django.urls import path
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.permissions import role_permission
from accounts.api.serializers import PhoneField
from accounts.models import Role, User
from accounts.models.family import PRIORITY_MAX, PRIORITY_MIN
from accounts.selectors import family as selectors
from accounts.services import family as services
from guardiannest.api.pagination import CursorPagination
from guardiannest.api.serializers import CleanTextField, StrictSerializer

ADDRESS_MAX = 500
NAME_MAX = 100
CONTACT_NAME_MAX = 200
RELATIONSHIP_MAX = 100
ALLERGIES_MAX = 2000
MEDICAL_NOTES_MAX = 5000
SPECIAL_NEEDS_MAX = 2000
COORDINATE_PLACES = Decimal("0.000001")


IsParent = role_permission(Role.PARENT, "Only parents have a family profile.")


class CoordinateField(serializers.DecimalField):
    """Degrees within ``±limit``, rounded to 6 places (phones send 15), a JSON number on the way out."""

    def __init__(self, *, limit: int, **kwargs: Any) -> None:
        self.limit = Decimal(limit)
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_null", True)
        super().__init__(
            max_digits=9,
            decimal_places=6,
            min_value=-self.limit,
            max_value=self.limit,
            coerce_to_string=False,
            rounding=ROUND_HALF_EVEN,
            **kwargs,
        )

    def validate_precision(self, value: Decimal) -> Decimal:
        # Range first: quantizing 1e30 to 6 places would overflow the decimal context.
        if value > self.limit:
            self.fail("max_value", max_value=self.limit)
        if value < -self.limit:
            self.fail("min_value", min_value=-self.limit)
        return super().validate_precision(value.quantize(COORDINATE_PLACES, rounding=ROUND_HALF_EVEN))


def _parent(request: Request) -> User:
    return cast(User, request.user)


class FamilyApi(APIView):
    permission_classes = [IsAuthenticated, IsParent]


# --- profile ------------------------------------------------------------------------------------


@extend_schema_serializer(component_name="ParentProfile")
class ProfileSerializer(StrictSerializer):
    """A family's address (encrypted at rest), its coordinates, and its phone (E.164, encrypted)."""

    address = CleanTextField(max_length=ADDRESS_MAX, required=False, allow_blank=True)
    latitude = CoordinateField(limit=90)
    longitude = CoordinateField(limit=180)
    phone = PhoneField()


class ParentProfileApi(FamilyApi):
    """The caller's family profile; made empty on first access. Address and phone are encrypted at rest."""

    @extend_schema(responses={200: ProfileSerializer}, tags=["families"])
    def get(self, request: Request) -> Response:
        profile = services.parent_profile_get_or_create(parent=_parent(request))
        return Response(ProfileSerializer(profile).data)

    @extend_schema(request=ProfileSerializer, responses={200: ProfileSerializer}, tags=["families"])
    def patch(self, request: Request) -> Response:
        data = ProfileSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        parent = _parent(request)
        profile = services.parent_profile_update(parent=parent, actor=parent, data=data.validated_data)
        return Response(ProfileSerializer(profile).data)


# --- children -----------------------------------------------------------------------------------


@extend_schema_serializer(component_name="Child")
class ChildSerializer(StrictSerializer):
    """A child; allergies, medical notes and special needs are encrypted at rest."""

    id = serializers.UUIDField(read_only=True)
    first_name = CleanTextField(max_length=NAME_MAX, multiline=False)
    birth_date = serializers.DateField(help_text="Not in the future, at most 18 years ago.")
    allergies = CleanTextField(max_length=ALLERGIES_MAX, required=False, allow_blank=True)
    medical_notes = CleanTextField(max_length=MEDICAL_NOTES_MAX, required=False, allow_blank=True)
    special_needs = CleanTextField(max_length=SPECIAL_NEEDS_MAX, required=False, allow_blank=True)


class ChildListApi(FamilyApi):
    class Pagination(CursorPagination):
        ordering = "created_at"

    pagination_class = Pagination  # also tells the schema the list is paginated

    @extend_schema(responses={200: ChildSerializer(many=True)}, tags=["families"])
    def get(self, request: Request) -> Response:
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(selectors.child_list_for_parent(parent=_parent(request)), request, self)
        return paginator.get_paginated_response(ChildSerializer(page, many=True).data)

    @extend_schema(request=ChildSerializer, responses={201: ChildSerializer}, tags=["families"])
    def post(self, request: Request) -> Response:
        data = ChildSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        parent = _parent(request)
        child = services.child_create(parent=parent, actor=parent, data=data.validated_data)
        return Response(ChildSerializer(child).data, status=status.HTTP_201_CREATED)


class ChildDetailApi(FamilyApi):
    @extend_schema(responses={200: ChildSerializer}, tags=["families"])
    def get(self, request: Request, child_id: UUID) -> Response:
        return Response(
            ChildSerializer(selectors.child_get_for_parent(child_id=child_id, parent=_parent(request))).data
        )

    @extend_schema(request=ChildSerializer, responses={200: ChildSerializer}, tags=["families"])
    def patch(self, request: Request, child_id: UUID) -> Response:
        parent = _parent(request)
        child = selectors.child_get_for_parent(child_id=child_id, parent=parent)
        data = ChildSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        child = services.child_update(child=child, actor=parent, data=data.validated_data)
        return Response(ChildSerializer(child).data)

    @extend_schema(responses={204: None}, tags=["families"])
    def delete(self, request: Request, child_id: UUID) -> Response:
        parent = _parent(request)
        services.child_delete(child=selectors.child_get_for_parent(child_id=child_id, parent=parent), actor=parent)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- emergency contacts -------------------------------------------------------------------------


@extend_schema_serializer(component_name="EmergencyContact")
class EmergencyContactSerializer(StrictSerializer):
    """Who to call when the parents cannot be reached; name and phone are encrypted at rest."""

    id = serializers.UUIDField(read_only=True)
    name = CleanTextField(max_length=CONTACT_NAME_MAX, multiline=False)
    phone = PhoneField(required=True, allow_blank=False)
    relationship = CleanTextField(max_length=RELATIONSHIP_MAX, multiline=False, required=False, allow_blank=True)
    priority = serializers.IntegerField(
        min_value=PRIORITY_MIN,
        max_value=PRIORITY_MAX,
        required=False,
        help_text="1 is called first; unique per family (a taken one is 409 priority_taken). "
        "Omitted on create: the first free one.",
    )


class EmergencyContactListApi(FamilyApi):
    class Pagination(CursorPagination):
        ordering = "priority"

    pagination_class = Pagination

    @extend_schema(responses={200: EmergencyContactSerializer(many=True)}, tags=["families"])
    def get(self, request: Request) -> Response:
        paginator = self.pagination_class()
        contacts = selectors.emergency_contact_list_for_parent(parent=_parent(request))
        page = paginator.paginate_queryset(contacts, request, self)
        return paginator.get_paginated_response(EmergencyContactSerializer(page, many=True).data)

    @extend_schema(request=EmergencyContactSerializer, responses={201: EmergencyContactSerializer}, tags=["families"])
    def post(self, request: Request) -> Response:
        data = EmergencyContactSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        parent = _parent(request)
        contact = services.emergency_contact_create(parent=parent, actor=parent, data=data.validated_data)
        return Response(EmergencyContactSerializer(contact).data, status=status.HTTP_201_CREATED)


class EmergencyContactDetailApi(FamilyApi):
    @extend_schema(responses={200: EmergencyContactSerializer}, tags=["families"])
    def get(self, request: Request, contact_id: UUID) -> Response:
        contact = selectors.emergency_contact_get_for_parent(contact_id=contact_id, parent=_parent(request))
        return Response(EmergencyContactSerializer(contact).data)

    @extend_schema(request=EmergencyContactSerializer, responses={200: EmergencyContactSerializer}, tags=["families"])
    def patch(self, request: Request, contact_id: UUID) -> Response:
        parent = _parent(request)
        contact = selectors.emergency_contact_get_for_parent(contact_id=contact_id, parent=parent)
        data = EmergencyContactSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        contact = services.emergency_contact_update(contact=contact, actor=parent, data=data.validated_data)
        return Response(EmergencyContactSerializer(contact).data)

    @extend_schema(responses={204: None}, tags=["families"])
    def delete(self, request: Request, contact_id: UUID) -> Response:
        parent = _parent(request)
        contact = selectors.emergency_contact_get_for_parent(contact_id=contact_id, parent=parent)
        services.emergency_contact_delete(contact=contact, actor=parent)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- favourites ---------------------------------------------------------------------------------


@extend_schema_serializer(component_name="FavoriteSitter")
class FavoriteSerializer(serializers.Serializer):
    """A favourite sitter: their user id and first name."""

    sitter_id = serializers.UUIDField(read_only=True)
    first_name = serializers.CharField(source="sitter.first_name", read_only=True)
    created_at = serializers.DateTimeField(read_only=True)


@extend_schema_serializer(component_name="FavoriteSitterAdd")
class FavoriteInputSerializer(StrictSerializer):
    """The sitter to bookmark: an active sitter's user id."""

    sitter_id = serializers.UUIDField()


class FavoriteListApi(FamilyApi):
    class Pagination(CursorPagination):
        ordering = "-created_at"

    pagination_class = Pagination

    @extend_schema(responses={200: FavoriteSerializer(many=True)}, tags=["families"])
    def get(self, request: Request) -> Response:
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(selectors.favorite_list_for_parent(parent=_parent(request)), request, self)
        return paginator.get_paginated_response(FavoriteSerializer(page, many=True).data)

    @extend_schema(
        request=FavoriteInputSerializer,
        responses={201: FavoriteSerializer, 200: FavoriteSerializer},
        description="201 with the new favourite; 200 with the existing one when the sitter already is one.",
        tags=["families"],
    )
    def post(self, request: Request) -> Response:
        data = FavoriteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        parent = _parent(request)
        favorite, created = services.favorite_add(
            parent=parent, actor=parent, sitter_id=data.validated_data["sitter_id"]
        )
        return Response(
            FavoriteSerializer(favorite).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


class FavoriteDetailApi(FamilyApi):
    @extend_schema(responses={204: None}, tags=["families"])
    def delete(self, request: Request, sitter_id: UUID) -> Response:
        parent = _parent(request)
        favorite = selectors.favorite_get_for_parent(sitter_id=sitter_id, parent=parent)
        services.favorite_remove(favorite=favorite, actor=parent)
        return Response(status=status.HTTP_204_NO_CONTENT)


urlpatterns = [
    path("parents/me", ParentProfileApi.as_view(), name="parent-profile"),
    path("parents/me/children", ChildListApi.as_view(), name="children"),
    path("parents/me/children/<uuid:child_id>", ChildDetailApi.as_view(), name="child-detail"),
    path("parents/me/emergency-contacts", EmergencyContactListApi.as_view(), name="emergency-contacts"),
    path(
        "parents/me/emergency-contacts/<uuid:contact_id>",
        EmergencyContactDetailApi.as_view(),
        name="emergency-contact-detail",
    ),
    path("parents/me/favorites", FavoriteListApi.as_view(), name="favorites"),
    path("parents/me/favorites/<uuid:sitter_id>", FavoriteDetailApi.as_view(), name="favorite-detail"),
]

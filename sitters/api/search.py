"""``GET search/sitters`` (API.md, Search): sitters near a point, for anyone signed in.

Every parameter is validated; a bad or unknown one answers 400 naming it.
Only sitters whose service area reaches the point are found: the point must
be within both the search radius and the sitter's own service radius. The
account must be active and the profile complete (rate and location).

Locations are approximate on purpose: each sitter is placed at a search
point up to 500 m from their real one (kept while they only correct their
pin, drawn again when they move), the point
searched from is rounded to 3 decimals, and ``radius_km`` is rounded up to
a whole number of km.
Distances (``distance_km``, rounded to 0.1 km) are to the search point.

Pages are numbered; the order always ends with distance then id, so pages
are stable. A page past the end is a 400 on ``page``. Each result is the
public profile plus ``distance_km``.
"""

# The view's description (the module docstring) is the API's; this is for readers of the code:
# results are plain dicts (no serializer per row), the serializers below document the shape. The
# serializer parses the query string; the search's own rules (the rounding, the whole-km radius and every
# limit: the search half of location privacy) are sitters.selectors.search.query's, for every caller, and
# its refusals come back here as the same field errors.

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from django.conf import settings
from django.urls import path
from django.utils.dateparse import parse_datetime
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from guardiannest.api.serializers import StrictSerializer
from guardiannest.errors import ApplicationError
from sitters.api.public import PublicProfileFields
from sitters.models import AgeGroup, CertificationKind
from sitters.selectors.search import Filters, SearchQuery, sitter_search
from sitters.selectors.search.geo import QUERY_POINT_DECIMALS
from sitters.selectors.search.query import (
    DEFAULT_PAGE_SIZE,
    DEFAULT_RADIUS_KM,
    LIST_CHOICES,
    MAX_LATITUDE,
    MAX_LIST_ITEMS,
    MAX_LONGITUDE,
    MAX_PAGE,
    MAX_PAGE_SIZE,
    MAX_RADIUS_KM,
    MAX_RATE_FILTER,
    MAX_RATING,
    SORTS,
)


class FiniteFloatField(serializers.FloatField):
    """A float that is a number: ``nan`` and ``inf`` parse as floats but compare with nothing."""

    def to_internal_value(self, data: Any) -> float:
        value = float(super().to_internal_value(data))
        if not math.isfinite(value):
            self.fail("invalid")
        return value


class RadiusKmField(FiniteFloatField):
    """A radius in km, more than 0 and at most MAX_RADIUS_KM (the search rounds it up to a whole km)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_value=MAX_RADIUS_KM, **kwargs)

    def to_internal_value(self, data: Any) -> float:
        value = super().to_internal_value(data)
        if value <= 0:
            raise serializers.ValidationError("Must be more than 0.")
        return value


class OffsetDateTimeField(serializers.DateTimeField):
    """ISO 8601 with a UTC offset (``Z`` or ``+02:00``): a naive time is ambiguous for a search."""

    def to_internal_value(self, value: Any) -> datetime:
        if isinstance(value, str):
            try:
                parsed = parse_datetime(value.strip())
            except ValueError:
                parsed = None
            if parsed is not None and parsed.tzinfo is None:
                raise serializers.ValidationError("Give the time with its UTC offset, e.g. 2030-05-01T18:00:00+02:00.")
        return super().to_internal_value(value)


class CommaListField(serializers.CharField):
    """A comma-separated list of allowed values, de-duplicated, in the order given."""

    def __init__(self, *, allowed: frozenset[str], lower: bool = False, **kwargs: Any) -> None:
        self.allowed = allowed
        self.lower = lower
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> tuple[str, ...]:  # type: ignore[override]
        text = super().to_internal_value(data)
        items = [item.strip().lower() if self.lower else item.strip() for item in text.split(",")]
        items = [item for item in items if item]
        if not items:
            raise serializers.ValidationError("Give at least one value.")
        if len(items) > MAX_LIST_ITEMS:
            raise serializers.ValidationError(f"Give at most {MAX_LIST_ITEMS} values.")
        unknown = [item for item in items if item not in self.allowed]
        if unknown:
            raise serializers.ValidationError(f"Unknown: {', '.join(sorted(set(unknown))[:5])}.")
        return tuple(dict.fromkeys(items))


class CommaListFieldSchema(OpenApiSerializerFieldExtension):
    """In the schema a comma list is what it accepts: an array of its allowed values (repeated or comma-joined)."""

    target_class = CommaListField

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        field: CommaListField = self.target
        return {
            "type": "array",
            "items": {"type": "string", "enum": sorted(field.allowed)},
            "minItems": 1,
            "maxItems": MAX_LIST_ITEMS,
        }


class SearchQuerySerializer(StrictSerializer):
    """The query string of ``GET search/sitters``; unknown parameters are refused."""

    latitude = FiniteFloatField(
        min_value=-MAX_LATITUDE,
        max_value=MAX_LATITUDE,
        help_text=f"Degrees, -90 to 90; rounded to {QUERY_POINT_DECIMALS} decimals.",
    )
    longitude = FiniteFloatField(
        min_value=-MAX_LONGITUDE,
        max_value=MAX_LONGITUDE,
        help_text=f"Degrees, -180 to 180; rounded to {QUERY_POINT_DECIMALS} decimals.",
    )
    radius_km = RadiusKmField(
        required=False,
        default=DEFAULT_RADIUS_KM,
        help_text=f"Search radius in km, more than 0 and at most {MAX_RADIUS_KM} (default {DEFAULT_RADIUS_KM}); "
        "rounded up to a whole km. Only sitters whose service area reaches the point are found: it must also "
        "be within their own service radius.",
    )
    start = OffsetDateTimeField(
        required=False,
        help_text="With `end`: only sitters free for all of [start, end): their availability covers it and "
        "nothing holds them then (a booking, or time they blocked). ISO 8601 with offset, not in the past.",
    )
    end = OffsetDateTimeField(
        required=False,
        help_text="With `start`: after it, at most 24 hours later, and at most "
        f"{settings.SITTER_AVAILABILITY_HORIZON_DAYS - 1} days from now (the availability horizon, "
        f"{settings.SITTER_AVAILABILITY_HORIZON_DAYS} days, less the day that may not be computed yet).",
    )
    min_rate = serializers.IntegerField(
        required=False, min_value=0, max_value=MAX_RATE_FILTER, help_text="Hourly rate at least, minor units."
    )
    max_rate = serializers.IntegerField(
        required=False, min_value=0, max_value=MAX_RATE_FILTER, help_text="Hourly rate at most, minor units."
    )
    min_rating = FiniteFloatField(
        required=False,
        min_value=0,
        max_value=MAX_RATING,
        help_text="Average rating at least (0-5); above 0 leaves out unrated.",
    )
    languages = CommaListField(
        allowed=LIST_CHOICES["languages"], lower=True, help_text="Comma list of ISO 639-1 codes: speaks any of them."
    )
    certifications = CommaListField(
        allowed=LIST_CHOICES["certifications"],
        help_text=f"Comma list of {', '.join(CertificationKind.values)}: holds all of them "
        "(unexpired, document approved).",
    )
    age_groups = CommaListField(
        allowed=LIST_CHOICES["age_groups"],
        help_text=f"Comma list of {', '.join(AgeGroup.values)}: looks after all of them.",
    )
    verified = serializers.BooleanField(
        required=False, default=False, help_text="true: verified sitters only; absent or false: no filter."
    )
    sort = serializers.ChoiceField(
        choices=list(SORTS),
        required=False,
        default="distance",
        help_text="distance (nearest first), rating (best first, unrated last) or price (cheapest first); "
        "ties by distance, then id.",
    )
    page = serializers.IntegerField(required=False, default=1, min_value=1, max_value=MAX_PAGE)
    page_size = serializers.IntegerField(
        required=False, default=DEFAULT_PAGE_SIZE, min_value=1, max_value=MAX_PAGE_SIZE
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """The search's rules judge the combination (start and end, rates); a refusal names its field here."""
        try:
            filters = Filters(
                latitude=attrs["latitude"],
                longitude=attrs["longitude"],
                radius_km=attrs["radius_km"],
                start=attrs.get("start"),
                end=attrs.get("end"),
                min_rate=attrs.get("min_rate"),
                max_rate=attrs.get("max_rate"),
                min_rating=attrs.get("min_rating"),
                languages=attrs.get("languages", ()),
                certifications=attrs.get("certifications", ()),
                age_groups=attrs.get("age_groups", ()),
                verified=attrs["verified"],
                sort=attrs["sort"],
            )
            attrs["query"] = SearchQuery(filters=filters, page=attrs["page"], page_size=attrs["page_size"])
        except ApplicationError as exc:
            raise serializers.ValidationError(exc.errors or {"non_field_errors": [exc.detail]}) from exc
        return attrs

    def to_query(self) -> SearchQuery:
        query: SearchQuery = self.validated_data["query"]
        return query


@extend_schema_serializer(component_name="SitterSearchResult")
class SearchResultSerializer(PublicProfileFields):
    distance_km = serializers.FloatField(help_text="From the search point, km rounded to 0.1.")


class PageNumberLinks(BasePagination):
    """Schema only: ``{results, next, previous}`` with page-number URLs (the view pages by hand)."""

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        link = {"type": "string", "nullable": True, "format": "uri"}
        return {
            "type": "object",
            "required": ["results", "next", "previous"],
            "properties": {"results": schema, "next": link, "previous": link},
        }

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return []  # page and page_size are documented with the other query parameters


def _query_data(request: Request) -> dict[str, str]:
    """The query string as one value per name; list parameters may also repeat (joined with commas)."""
    data: dict[str, str] = {}
    repeated: dict[str, list[str]] = {}
    for key, values in request.query_params.lists():
        if key in LIST_CHOICES:  # the list filters
            data[key] = ",".join(values)
        elif len(values) > 1:
            repeated[key] = ["Give this parameter once."]
        else:
            data[key] = values[0]
    if repeated:
        raise serializers.ValidationError(repeated)
    return data


class SitterSearchApi(APIView):
    pagination_class = PageNumberLinks  # tells the schema the list shape

    @extend_schema(
        operation_id="search_sitters",
        parameters=[SearchQuerySerializer],
        responses={200: SearchResultSerializer(many=True)},
        tags=["search"],
        description=__doc__,
    )
    def get(self, request: Request) -> Response:
        params = SearchQuerySerializer(data=_query_data(request))
        params.is_valid(raise_exception=True)
        query = params.to_query()
        page = sitter_search(query=query, request=request)
        if query.page > 1 and not page.results:
            raise serializers.ValidationError({"page": [f"There is no page {query.page}: the results end earlier."]})
        url = request.build_absolute_uri()
        return Response(
            {
                "results": page.results,
                "next": replace_query_param(url, "page", query.page + 1) if page.has_next else None,
                "previous": replace_query_param(url, "page", query.page - 1) if query.page > 1 else None,
            }
        )


urlpatterns = [path("search/sitters", SitterSearchApi.as_view(), name="search")]

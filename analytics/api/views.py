"""Staff-only analytics (API.md, Feedback and analytics): GET ``analytics/bookings|revenue|users|retention``.

Every endpoint takes ``?from=YYYY-MM-DD&to=YYYY-MM-DD&interval=day|week|month``: UTC days, both included
(``to`` defaults to today, ``from`` to 30 days before it; ``from`` after ``to`` → 400 ``from``; more than
731 days → 400 ``to``), and answers ``{"series": [{"period": "YYYY-MM-DD", …figures}]}`` with a row for every
period that meets the window (a week starts on Monday, a month on the 1st; the first and last may be partial,
counting only days inside the window). Figures are computed by the database; with a read replica configured
(DATABASE_REPLICA_URL) they are read there and may lag the primary by the replication delay.
Anyone but staff: 403 (anonymous: 401).
"""

from __future__ import annotations

from typing import Any

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAdminUser, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics.api.serializers import (
    BookingsSerializer,
    RetentionQuerySerializer,
    RetentionSerializer,
    RevenueSerializer,
    UsersSerializer,
    WindowQuerySerializer,
)
from analytics.selectors.bookings import __doc__ as BOOKINGS_DOC
from analytics.selectors.bookings import (
    booking_area_list,
    booking_figures_list,
    booking_patterns_get,
    reliability_list,
)
from analytics.selectors.periods import Window
from analytics.selectors.retention import __doc__ as RETENTION_DOC
from analytics.selectors.retention import retention_list
from analytics.selectors.revenue import FIGURES, revenue_list
from analytics.selectors.revenue import __doc__ as REVENUE_DOC
from analytics.selectors.users import __doc__ as USERS_DOC
from analytics.selectors.users import active_user_list, signup_list

TAGS = ["analytics"]


def _window(request: Request, query: type[WindowQuerySerializer] = WindowQuerySerializer) -> Window:
    params = query(data=request.query_params.dict())
    params.is_valid(raise_exception=True)
    return params.window()


def _merge(*series: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows of the same periods side by side (each selector answers every period of the window, in order)."""
    return [{key: value for row in rows for key, value in row.items()} for rows in zip(*series, strict=True)]


class _StaffAnalyticsApi(APIView):
    permission_classes = [IsAuthenticated, IsAdminUser]


class BookingAnalyticsApi(_StaffAnalyticsApi):
    @extend_schema(
        operation_id="analytics_bookings",
        parameters=[WindowQuerySerializer],
        responses={200: BookingsSerializer},
        tags=TAGS,
        description=f"{__doc__}\n\n{BOOKINGS_DOC}\n\nReliability per period: sitters.ReliabilityEvent outcomes "
        "(sitter_completed, sitter_cancellations, no_shows) and their reliability_score, the rule of the public "
        "profile.\n\nPatterns over the whole window, beside the series: by_weekday_hour (168 cells), by_hour "
        "and by_weekday count the requests made in the window by when they start on the sitter's wall clock; "
        "by_area by the sitter's area: their fuzzed search point rounded to 0.1 degree (about 11 km), the "
        "20 busiest.",
    )
    def get(self, request: Request) -> Response:
        window = _window(request)
        series = _merge(booking_figures_list(window=window), reliability_list(window=window))
        patterns = booking_patterns_get(window=window)
        body = {"series": series, **patterns, "by_area": booking_area_list(window=window)}
        return Response(BookingsSerializer(body).data)


class RevenueAnalyticsApi(_StaffAnalyticsApi):
    @extend_schema(
        operation_id="analytics_revenue",
        parameters=[WindowQuerySerializer],
        responses={200: RevenueSerializer},
        tags=TAGS,
        description=f"{__doc__}\n\n{REVENUE_DOC}",
    )
    def get(self, request: Request) -> Response:
        rows = revenue_list(window=_window(request))
        series = [
            {
                "period": row["period"],
                "currency": row["currency"],
                **{name: {"amount": row[name], "currency": row["currency"]} for name in FIGURES},
            }
            for row in rows
        ]
        return Response(RevenueSerializer({"series": series}).data)


class UserAnalyticsApi(_StaffAnalyticsApi):
    @extend_schema(
        operation_id="analytics_users",
        parameters=[WindowQuerySerializer],
        responses={200: UsersSerializer},
        tags=TAGS,
        description=f"{__doc__}\n\n{USERS_DOC}",
    )
    def get(self, request: Request) -> Response:
        window = _window(request)
        series = _merge(signup_list(window=window), active_user_list(window=window))
        return Response(UsersSerializer({"series": series}).data)


class RetentionAnalyticsApi(_StaffAnalyticsApi):
    @extend_schema(
        operation_id="analytics_retention",
        parameters=[RetentionQuerySerializer],
        responses={200: RetentionSerializer},
        tags=TAGS,
        description=f"{__doc__}\n\n{RETENTION_DOC}\n\nHere interval is week or month (month by default).",
    )
    def get(self, request: Request) -> Response:
        return Response(
            RetentionSerializer({"series": retention_list(window=_window(request, RetentionQuerySerializer))}).data
        )


urlpatterns = [
    path("analytics/bookings", BookingAnalyticsApi.as_view(), name="bookings"),
    path("analytics/revenue", RevenueAnalyticsApi.as_view(), name="revenue"),
    path("analytics/users", UserAnalyticsApi.as_view(), name="users"),
    path("analytics/retention", RetentionAnalyticsApi.as_view(), name="retention"),
]

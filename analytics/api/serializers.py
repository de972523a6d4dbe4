"""Analytics on the wire: the window a request asks for, and the shape of each answer (API.md, analytics)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from analytics.selectors.periods import MAX_SPAN_DAYS, Interval, Window, window_of
from guardiannest.api.serializers import StrictSerializer


class WindowQuerySerializer(StrictSerializer):
    """``?from=&to=&interval=``: dates (UTC days, both included) and the period length."""

    to = serializers.DateField(required=False, help_text="The last day counted (UTC), YYYY-MM-DD; today when left out.")

    default_interval = Interval.DAY

    def __init__(self, *args: Any, intervals: tuple[Interval, ...] = tuple(Interval), **kwargs: Any) -> None:
        self.intervals = intervals
        super().__init__(*args, **kwargs)

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields["interval"] = serializers.ChoiceField(
            choices=[interval.value for interval in self.intervals],
            required=False,
            help_text=f"The period length; {self.default_interval.value} when left out.",
        )
        # "from" is a Python keyword: the field is added here rather than declared.
        return {
            "from": serializers.DateField(
                required=False,
                help_text=f"The first day counted (UTC), YYYY-MM-DD; at most {MAX_SPAN_DAYS} days before to, "
                "and 30 days before it when left out.",
            ),
            **fields,
        }

    def window(self) -> Window:
        data = self.validated_data
        return window_of(
            start=data.get("from"), last=data.get("to"), interval=data.get("interval", self.default_interval)
        )


class RetentionQuerySerializer(WindowQuerySerializer):
    default_interval = Interval.MONTH

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, intervals=(Interval.WEEK, Interval.MONTH), **kwargs)


@extend_schema_serializer(component_name="AnalyticsMoney")
class MoneySerializer(serializers.Serializer):
    amount = serializers.IntegerField(help_text="Minor units.")
    currency = serializers.CharField()


@extend_schema_serializer(component_name="AnalyticsBookingPeriod")
class BookingPeriodSerializer(serializers.Serializer):
    period = serializers.DateField(help_text="The period's first day.")
    requested = serializers.IntegerField()
    accepted = serializers.IntegerField()
    declined = serializers.IntegerField()
    expired = serializers.IntegerField()
    confirmed = serializers.IntegerField()
    completed = serializers.IntegerField()
    cancelled = serializers.IntegerField(help_text="Held bookings (accepted or confirmed) cancelled.")
    withdrawn = serializers.IntegerField(help_text="Requests cancelled before an answer.")
    cancellation_rate = serializers.FloatField(
        allow_null=True, help_text="cancelled / (cancelled + completed), percent; null when none ended."
    )
    response_median_seconds = serializers.FloatField(allow_null=True, help_text="Request to accept or decline.")
    response_p90_seconds = serializers.FloatField(allow_null=True)
    sitter_completed = serializers.IntegerField()
    sitter_cancellations = serializers.IntegerField()
    no_shows = serializers.IntegerField()
    reliability_score = serializers.IntegerField(
        allow_null=True, help_text="Percent of the period's outcomes that went ahead, a no-show weighing twice."
    )


@extend_schema_serializer(component_name="AnalyticsWeekdayHour")
class WeekdayHourSerializer(serializers.Serializer):
    weekday = serializers.IntegerField(min_value=0, max_value=6, help_text="Monday 0.")
    hour = serializers.IntegerField(min_value=0, max_value=23)
    requested = serializers.IntegerField()


@extend_schema_serializer(component_name="AnalyticsHour")
class HourSerializer(serializers.Serializer):
    hour = serializers.IntegerField(min_value=0, max_value=23)
    requested = serializers.IntegerField()


@extend_schema_serializer(component_name="AnalyticsWeekday")
class WeekdaySerializer(serializers.Serializer):
    weekday = serializers.IntegerField(min_value=0, max_value=6, help_text="Monday 0.")
    requested = serializers.IntegerField()


@extend_schema_serializer(component_name="AnalyticsArea")
class AreaSerializer(serializers.Serializer):
    area = serializers.CharField(allow_null=True, help_text='"lat,lon" to one decimal; null: sitter without location.')
    latitude = serializers.FloatField(allow_null=True)
    longitude = serializers.FloatField(allow_null=True)
    requested = serializers.IntegerField()


@extend_schema_serializer(component_name="AnalyticsBookings")
class BookingsSerializer(serializers.Serializer):
    series = BookingPeriodSerializer(many=True)
    by_weekday_hour = WeekdayHourSerializer(many=True, help_text="All 168 cells, on the sitter's wall clock.")
    by_hour = HourSerializer(many=True)
    by_weekday = WeekdaySerializer(many=True)
    by_area = AreaSerializer(many=True, help_text="The 20 busiest areas.")


@extend_schema_serializer(component_name="AnalyticsRevenuePeriod")
class RevenuePeriodSerializer(serializers.Serializer):
    period = serializers.DateField(help_text="The period's first day.")
    currency = serializers.CharField()
    gross_captured = MoneySerializer()
    refunded = MoneySerializer()
    platform_fees = MoneySerializer(help_text="Fees on captures less the fee shares refunded.")
    net = MoneySerializer(help_text="gross_captured - refunded.")


@extend_schema_serializer(component_name="AnalyticsRevenue")
class RevenueSerializer(serializers.Serializer):
    series = RevenuePeriodSerializer(many=True, help_text="One row per period and currency.")


@extend_schema_serializer(component_name="AnalyticsUsersPeriod")
class UsersPeriodSerializer(serializers.Serializer):
    period = serializers.DateField(help_text="The period's first day.")
    new_parents = serializers.IntegerField()
    new_sitters = serializers.IntegerField()
    new_users = serializers.IntegerField()
    active_parents = serializers.IntegerField()
    active_sitters = serializers.IntegerField()
    active_users = serializers.IntegerField()


@extend_schema_serializer(component_name="AnalyticsUsers")
class UsersSerializer(serializers.Serializer):
    series = UsersPeriodSerializer(many=True)


@extend_schema_serializer(component_name="AnalyticsRetentionCell")
class RetentionCellSerializer(serializers.Serializer):
    offset = serializers.IntegerField(help_text="Periods after the cohort's own (0: the signup period).")
    period = serializers.DateField()
    retained = serializers.IntegerField(help_text="Cohort members who requested a booking in the period.")
    share = serializers.FloatField(allow_null=True, help_text="retained / cohort_size, percent.")


@extend_schema_serializer(component_name="AnalyticsRetentionCohort")
class RetentionCohortSerializer(serializers.Serializer):
    period = serializers.DateField(help_text="The cohort: parents who joined in this period.")
    cohort_size = serializers.IntegerField()
    retention = RetentionCellSerializer(many=True)
    churned = serializers.IntegerField(help_text="Joined 60+ days before the end, no booking in the last 60 days.")
    churn_rate = serializers.FloatField(allow_null=True)


@extend_schema_serializer(component_name="AnalyticsRetention")
class RetentionSerializer(serializers.Serializer):
    series = RetentionCohortSerializer(many=True)

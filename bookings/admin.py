"""The bookings back office: bookings with their event history, filtered by status and date.

Read-only; staff change a booking only through its services: the cancel
actions call :func:`bookings.services.booking_cancel` (with the policy's fee,
or waiving it), the dispute actions :func:`bookings.services.booking_dispute_resolve`
(no refund, or a refund asked for on an intermediate page), the no-show action
:func:`bookings.services.booking_no_show`, exactly as the API does, with the
same checks, booking events and audit. Overtime charges (worked time
beyond the authorisation) are listed by status, attempts and last error; a
failed one is tried again with :func:`bookings.services.overtime.booking_overtime_retry`.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse

from accounts.models import User
from bookings.models import Booking, BookingEvent, BookingLocation, OvertimeCharge, SafetyAlert
from bookings.services import booking_cancel, booking_dispute_resolve, booking_no_show
from bookings.services.overtime import booking_overtime_retry
from guardiannest.admin import ReadOnlyAdmin, ReadOnlyInline, form_action, service_action


def _cancel_with_fee(booking: Booking, actor: User) -> object:
    return booking_cancel(booking_id=booking.pk, actor=actor, reason="Cancelled by support")


def _cancel_waiving_fee(booking: Booking, actor: User) -> object:
    return booking_cancel(booking_id=booking.pk, actor=actor, reason="Cancelled by support", waive_fee=True)


def _resolve_without_refund(booking: Booking, actor: User) -> object:
    return booking_dispute_resolve(booking_id=booking.pk, actor=actor, refund=0, note="Resolved by support")


def _no_show(booking: Booking, actor: User) -> object:
    return booking_no_show(booking_id=booking.pk, actor=actor)


class ResolveForm(forms.Form):
    refund = forms.IntegerField(
        min_value=1, help_text="Minor units (cents) given back to the family, at most what the hours cost."
    )
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "cols": 60}), required=False, max_length=500)


class BookingEventInline(ReadOnlyInline):
    model = BookingEvent
    fields = readonly_fields = ("created_at", "from_status", "to_status", "actor", "reason", "data")
    show_change_link = False


@admin.register(Booking)
class BookingAdmin(ReadOnlyAdmin):
    list_display = ("id", "status", "starts_at", "ends_at", "parent", "sitter", "price_amount", "hours_status")
    list_filter = ("status", "hours_status", "check_in_flagged", "starts_at")
    search_fields = ("=id", "parent__email", "sitter__email")
    list_select_related = ("parent", "sitter")
    date_hierarchy = "starts_at"
    ordering = ("-starts_at",)
    fields = readonly_fields = (
        "id",
        "status",
        "parent",
        "sitter",
        "starts_at",
        "ends_at",
        "timezone",
        "hourly_rate",
        "price_amount",
        "currency",
        "payment",
        "expires_at",
        "cancellation_fee_amount",
        "cancelled_by",
        "cancel_reason",
        "checked_in_at",
        "check_in_flagged",
        "checked_out_at",
        "hours_status",
        "created_at",
        "updated_at",
    )
    inlines = (BookingEventInline,)
    actions = [
        service_action("cancel_with_fee", "Cancel (the policy's fee applies)", "cancel", _cancel_with_fee),
        service_action("cancel_waiving_fee", "Cancel without a fee", "cancel", _cancel_waiving_fee),
        service_action("resolve_without_refund", "Resolve the dispute: no refund", "cancel", _resolve_without_refund),
        "resolve_with_refund",
        service_action("no_show", "Report a no-show (the sitter never checked in)", "cancel", _no_show),
    ]

    def has_cancel_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_staff and request.user.has_perm("bookings.change_booking"))

    @admin.action(description="Resolve the dispute with a refund…", permissions=["cancel"])
    def resolve_with_refund(self, request: HttpRequest, queryset: QuerySet[Any]) -> TemplateResponse | None:
        """First an intermediate page asking the amount (and a note), then the resolution of each booking."""
        actor = cast(User, request.user)
        return form_action(
            self,
            request,
            queryset,
            form_class=ResolveForm,
            run=lambda values: self.apply_each(
                request,
                queryset,
                lambda row: booking_dispute_resolve(
                    booking_id=row.pk, actor=actor, refund=values["refund"], note=values["note"]
                ),
                "Resolved with a refund",
            ),
            action="resolve_with_refund",
            title="Resolve the dispute with a refund",
            prompt="Resolve these disputes, refunding the family:",
            submit_label="Resolve and refund",
        )


@admin.register(BookingEvent)
class BookingEventAdmin(ReadOnlyAdmin):
    """Every booking's timeline across bookings (one booking's shows on its page): never changed."""

    list_display = ("created_at", "booking", "from_status", "to_status", "actor", "reason")
    list_filter = ("to_status", "from_status", ("created_at", admin.DateFieldListFilter))
    search_fields = ("=booking__id", "actor__email")
    list_select_related = ("booking", "actor")
    date_hierarchy = "created_at"
    ordering = ("-id",)
    show_full_result_count = False
    fields = readonly_fields = ("id", "booking", "from_status", "to_status", "actor", "reason", "data", "created_at")


@admin.register(BookingLocation)
class BookingLocationAdmin(ReadOnlyAdmin):
    """That a sitter's phone reported, and when; never where.

    The coordinates stay out of the back office: a family reads the trail
    through the audited selector (``booking.locations_read``), and a staff page
    listing positions would be an unaudited read of where children are.
    """

    list_display = ("recorded_at", "booking", "accuracy_m", "received_at")
    list_filter = (("recorded_at", admin.DateFieldListFilter),)
    search_fields = ("=booking__id",)
    list_select_related = ("booking",)
    ordering = ("-id",)
    show_full_result_count = False
    fields = readonly_fields = ("id", "booking", "accuracy_m", "recorded_at", "received_at")


@admin.register(SafetyAlert)
class SafetyAlertAdmin(ReadOnlyAdmin):
    """Missed check-ins and overdue returns the safety timers raised (each once per booking): never changed."""

    list_display = ("created_at", "kind", "booking", "raised_by", "alert_id", "settled_at")
    list_filter = ("kind", ("created_at", admin.DateFieldListFilter), ("settled_at", admin.EmptyFieldListFilter))
    search_fields = ("=booking__id", "raised_by__email")
    list_select_related = ("booking", "raised_by")
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    fields = readonly_fields = ("id", "booking", "kind", "raised_by", "created_at", "alert_id", "settled_at")


def _retry_overtime(charge: OvertimeCharge, actor: User) -> object:
    return booking_overtime_retry(charge=charge, actor=actor)


@admin.register(OvertimeCharge)
class OvertimeChargeAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "booking", "amount", "status", "attempts", "next_attempt_at", "last_error")
    list_filter = ("status", "last_error")
    search_fields = ("=booking__id", "booking__parent__email")
    list_select_related = ("booking",)
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    fields = readonly_fields = (
        "booking",
        "amount",
        "status",
        "attempts",
        "next_attempt_at",
        "claimed_at",
        "last_error",
        "payment",
        "created_at",
        "updated_at",
    )
    actions = [service_action("retry_overtime", "Try the failed overtime charge again", "finance", _retry_overtime)]

    def has_finance_permission(self, request: HttpRequest) -> bool:
        # Money moves only for those who hold the finance permission (payments' refund permission).
        return bool(request.user.is_staff and request.user.has_perm("payments.refund_payment"))

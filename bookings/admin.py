"""The bookings back office: bookings with their event history, filtered by status and date.

Read-only; staff change a booking only through its services: the cancel
actions call :func:`bookings.services.booking_cancel` (with the policy's fee,
or waiving it), exactly as the API does, with the same checks and audit.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from accounts.models import User
from bookings.models import Booking, BookingEvent
from bookings.services import booking_cancel
from guardiannest.admin import ReadOnlyAdmin, ReadOnlyInline, service_action


def _cancel_with_fee(booking: Booking, actor: User) -> object:
    return booking_cancel(booking_id=booking.pk, actor=actor, reason="Cancelled by support")


def _cancel_waiving_fee(booking: Booking, actor: User) -> object:
    return booking_cancel(booking_id=booking.pk, actor=actor, reason="Cancelled by support", waive_fee=True)


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
    ]

    def has_cancel_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_staff and request.user.has_perm("bookings.change_booking"))

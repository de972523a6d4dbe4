"""Notifications in the back office: what went out, on which channel, and what failed.

Addresses and rendered messages are encrypted personal data and stay out of
these pages; support sees kinds, statuses, attempts and provider ids, and can
give failed deliveries another round through the service.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from guardiannest.admin import ReadOnlyAdmin, ReadOnlyInline
from messaging.models.notifications import Delivery, Notification, NotificationPreference
from messaging.services.delivery import delivery_retry_failed


class DeliveryInline(ReadOnlyInline):
    model = Delivery
    fields = ("channel", "status", "attempts", "next_attempt_at", "provider", "provider_id", "last_error", "sent_at")
    readonly_fields = fields


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "kind", "category", "user", "read_at")
    list_filter = ("category", "kind")
    search_fields = ("=user__email", "=id")
    list_select_related = ("user",)
    date_hierarchy = "created_at"
    show_full_result_count = False
    fields = ("id", "user", "actor", "kind", "category", "data", "created_at", "read_at")
    readonly_fields = fields
    inlines = [DeliveryInline]


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "kind", "channel", "status", "attempts", "next_attempt_at", "provider", "last_error")
    list_filter = ("status", "channel", "kind")
    search_fields = ("=id", "=provider_id", "=delivery_key", "=notification__user__email")
    date_hierarchy = "created_at"
    show_full_result_count = False
    fields = (
        "id",
        "notification",
        "kind",
        "channel",
        "status",
        "attempts",
        "next_attempt_at",
        "claimed_at",
        "maybe_sent_since",
        "last_error",
        "provider",
        "provider_id",
        "delivery_key",
        "created_at",
        "updated_at",
        "sent_at",
    )
    readonly_fields = fields
    actions = ["retry_failed"]

    def has_retry_permission(self, request: HttpRequest) -> bool:
        """Rows are never edited by hand, but whoever may change deliveries may send them again."""
        return request.user.has_perm("messaging.change_delivery")

    @admin.action(description="Retry the selected failed deliveries", permissions=["retry"])
    def retry_failed(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        done = delivery_retry_failed(delivery_ids=queryset.values_list("pk", flat=True), actor=request.user)
        self.message_user(request, f"{done} deliveries queued again.")


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(ReadOnlyAdmin):
    list_display = ("user", "updated_at")
    search_fields = ("=user__email",)
    list_filter = (("updated_at", admin.DateFieldListFilter),)
    list_select_related = ("user",)
    fields = ("user", "overrides", "updated_at")
    readonly_fields = fields

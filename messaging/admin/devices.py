"""Push devices and phone verifications in the back office: whether a user can be reached, read-only.

The push token, the phone number and the code's hash stay out of the pages:
they are credentials and personal data, and support needs only to know that a
device or a verification exists and when it was last used.
"""

from __future__ import annotations

from django.contrib import admin

from guardiannest.admin import ReadOnlyAdmin
from messaging.models import Device, PhoneVerification


@admin.register(Device)
class DeviceAdmin(ReadOnlyAdmin):
    list_display = ("user", "platform", "created_at", "last_seen_at")
    list_filter = ("platform", ("last_seen_at", admin.DateFieldListFilter))
    search_fields = ("=user__email", "=id")
    list_select_related = ("user",)
    ordering = ("-last_seen_at",)
    fields = readonly_fields = ("id", "user", "platform", "created_at", "last_seen_at")


@admin.register(PhoneVerification)
class PhoneVerificationAdmin(ReadOnlyAdmin):
    list_display = ("user", "created_at", "expires_at", "attempts", "verified_at")
    list_filter = (("verified_at", admin.EmptyFieldListFilter), ("created_at", admin.DateFieldListFilter))
    search_fields = ("=user__email", "=id")
    list_select_related = ("user",)
    ordering = ("-created_at",)
    fields = readonly_fields = ("id", "user", "attempts", "created_at", "expires_at", "verified_at")

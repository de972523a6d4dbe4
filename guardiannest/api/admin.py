"""Idempotency keys in the back office: which request a key answered, and whether it finished.

Read-only. The stored response body and the body's fingerprint stay out: a
response can carry a family's details, and only its caller may read it again.
"""

from __future__ import annotations

from django.contrib import admin

from guardiannest.admin import ReadOnlyAdmin
from guardiannest.api.models import IdempotencyRecord


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "user", "method", "path", "state", "response_status", "completed_at")
    list_filter = ("state", "method", "response_status", ("created_at", admin.DateFieldListFilter))
    search_fields = ("=key", "=user__email", "path")
    list_select_related = ("user",)
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    show_full_result_count = False
    fields = readonly_fields = (
        "id",
        "user",
        "key",
        "method",
        "path",
        "state",
        "response_status",
        "created_at",
        "completed_at",
    )

"""The audit log in the back office: staff read it, nobody edits it."""

from __future__ import annotations

import json

from django.contrib import admin
from django.utils.html import format_html
from django.utils.safestring import SafeString

from guardiannest.admin import ReadOnlyAdmin
from guardiannest.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """Read-only: no add, change or delete, whatever the user's permissions.

    The actor is shown by id and never joined: an actor erased from the users
    table (no constraint holds the row) must not break the page.
    """

    list_display = ("id", "created_at", "action", "actor_id", "target_type", "target_id", "ip", "request_id")
    list_filter = ("action", ("created_at", admin.DateFieldListFilter))
    # Exact matches: ids are looked up whole, and LIKE '%…%' would scan the table.
    search_fields = ("=target_id", "=request_id")
    date_hierarchy = "created_at"
    ordering = ("-id",)
    # COUNT(*) over the whole log on every page is wasted work on a big table.
    show_full_result_count = False
    list_per_page = 50
    fields = (
        "id",
        "created_at",
        "action",
        "actor_id",
        "target_type",
        "target_id",
        "ip",
        "request_id",
        "data_pretty",
        "prev_hash",
        "hash",
    )
    readonly_fields = fields
    actions = None

    @admin.display(description="data")
    def data_pretty(self, obj: AuditEvent) -> SafeString:
        return format_html("<pre>{}</pre>", json.dumps(obj.data, indent=2, sort_keys=True, ensure_ascii=False))

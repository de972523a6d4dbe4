"""Staff review ID documents and certifications here; every change goes through the services (audited)."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from files.models import StoredFile
from files.selectors import STAFF_VISIBLE
from files.services import file_delete, file_link, file_review
from guardiannest.admin import ReadOnlyAdmin, service_action

_FIELDS: tuple[str, ...] = (
    "id",
    "owner",
    "purpose",
    "status",
    "scan",
    "scan_signature",
    "scanned_at",
    "rejection",
    "last_error",
    "review",
    "reviewed_by",
    "reviewed_at",
    "content_type",
    "size",
    "width",
    "height",
    "sha256",
    "links",
    "created_at",
    "processed_at",
    "detached_at",
)


def _review(file: StoredFile, actor: Any, *, approved: bool) -> object:
    return file_review(file=file, actor=actor, approved=approved)


@admin.register(StoredFile)
class StoredFileAdmin(ReadOnlyAdmin):
    """Files come in through the upload checks only; the review actions and deleting are the only changes."""

    list_display = ["id", "purpose", "owner", "status", "scan", "review", "content_type", "size", "created_at"]
    list_filter = ["purpose", "status", "scan", "review"]
    search_fields = ["=id", "owner__email", "sha256"]
    list_select_related = ["owner"]
    date_hierarchy = "created_at"
    actions = [
        service_action("approve", "Approve (ID documents, certifications)", "review", partial(_review, approved=True)),
        service_action("reject", "Reject (ID documents, certifications)", "review", partial(_review, approved=False)),
    ]
    fields = _FIELDS
    readonly_fields = _FIELDS

    def has_review_permission(self, request: HttpRequest) -> bool:
        """Reviewing is changing the file's review: it takes the model's change permission."""
        return bool(request.user.has_perm("files.change_storedfile"))

    @admin.display(description="Open (links valid a few minutes)")
    def links(self, obj: StoredFile) -> str:
        """The processed picture and, for documents under review, the original as uploaded. Never if infected."""
        variants = ["display", "original"] if obj.purpose in STAFF_VISIBLE else ["display"]
        if not obj.is_image:
            variants = ["original"]
        rows = [(variant, url) for variant in variants if (url := file_link(file=obj, variant=variant, request=None))]
        if not rows:
            return "-"
        return format_html_join(mark_safe("<br>"), '<a href="{1}" rel="noreferrer" target="_blank">{0}</a>', rows)

    def delete_row(self, obj: StoredFile, actor: Any) -> None:
        file_delete(file=obj, actor=actor)

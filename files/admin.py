"""Staff review ID documents and certifications here; every change goes through the services (audited)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from files.models import StoredFile
from files.selectors import STAFF_VISIBLE
from files.services import file_delete, file_link, file_review
from guardiannest.api.errors import ApplicationError

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


@admin.register(StoredFile)
class StoredFileAdmin(admin.ModelAdmin):
    list_display = ["id", "purpose", "owner", "status", "scan", "review", "content_type", "size", "created_at"]
    list_filter = ["purpose", "status", "scan", "review"]
    search_fields = ["=id", "owner__email", "sha256"]
    list_select_related = ["owner"]
    date_hierarchy = "created_at"
    actions = ["approve", "reject"]
    fields = _FIELDS
    readonly_fields = _FIELDS

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # files come in through the upload checks only

    def has_change_permission(self, request: HttpRequest, obj: StoredFile | None = None) -> bool:
        return False  # the actions below are the only changes (view permission still shows the page)

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

    def _review(self, request: HttpRequest, queryset: QuerySet[StoredFile], *, approved: bool) -> None:
        done = 0
        for file in queryset:
            try:
                file_review(file=file, actor=request.user, approved=approved)
                done += 1
            except ApplicationError as exc:
                self.message_user(request, f"{file.pk}: {exc.detail}", level=messages.WARNING)
        self.message_user(request, f"{done} file(s) {'approved' if approved else 'rejected'}.")

    @admin.action(description="Approve (ID documents, certifications)", permissions=["review"])
    def approve(self, request: HttpRequest, queryset: QuerySet[StoredFile]) -> None:
        self._review(request, queryset, approved=True)

    @admin.action(description="Reject (ID documents, certifications)", permissions=["review"])
    def reject(self, request: HttpRequest, queryset: QuerySet[StoredFile]) -> None:
        self._review(request, queryset, approved=False)

    def delete_model(self, request: HttpRequest, obj: StoredFile) -> None:
        file_delete(file=obj, actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[StoredFile]) -> None:
        for file in queryset:
            file_delete(file=file, actor=request.user)

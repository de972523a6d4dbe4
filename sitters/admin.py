"""The back office of the sitters app: profiles, the verification queue, certifications, reviews, calendars.

Nothing here changes a row directly. Verifying and rejecting go through
:mod:`sitters.services.verification` (locked, audited, notified, caches
forgotten); certification documents through the files review service. Every
other sitter table is read-only here: its changes belong to the sitter's own
API (profile, calendar) or to bookings (holds, reviews), whose services keep
the search index and the caches in step.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from accounts.models import User
from files.services import file_link
from guardiannest.api.errors import ApplicationError
from sitters.models import (
    AvailabilityException,
    AvailabilitySpan,
    Certification,
    CheckStatus,
    Hold,
    Review,
    SitterClient,
    SitterProfile,
    VerificationCheck,
    WeeklyWindow,
)
from sitters.services import verification as verification_services
from sitters.services.reviews import review_hide

REJECT_TEMPLATE = "admin/sitters/reject_with_reason.html"


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shown to staff, changed only by the services that own the table."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyTabularInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# --- verifying and rejecting, shared by the queue and the profile list ------------------------------


class RejectForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        max_length=verification_services.REASON_MAX_LENGTH,
        help_text="Shown to the sitter in the notification.",
    )


class VerifyingAdmin(ReadOnlyAdmin):
    """Adds the "verify" and "reject (with a reason)" actions; ``decide`` says what one row's decision calls."""

    actions = ["verify", "reject"]

    def has_verify_permission(self, request: HttpRequest) -> bool:
        """Deciding a check changes it: the check's change permission (the row itself stays read-only here)."""
        return bool(request.user.has_perm("sitters.change_verificationcheck"))

    def decide(self, *, obj: Any, actor: User, decision: str, reason: str) -> None:
        raise NotImplementedError

    def _apply(self, request: HttpRequest, queryset: QuerySet[Any], *, decision: str, reason: str = "") -> None:
        done = 0
        for obj in queryset:
            try:
                self.decide(obj=obj, actor=cast(User, request.user), decision=decision, reason=reason)
                done += 1
            except ApplicationError as exc:
                self.message_user(request, f"{obj}: {exc.detail}", level=messages.WARNING)
        self.message_user(request, f"{done} {decision}.")

    @admin.action(description="Verify", permissions=["verify"])
    def verify(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        self._apply(request, queryset, decision=CheckStatus.VERIFIED)

    @admin.action(description="Reject (with a reason)…", permissions=["verify"])
    def reject(self, request: HttpRequest, queryset: QuerySet[Any]) -> TemplateResponse | None:
        """First an intermediate page asking the reason (the sitter reads it), then the decision on each row."""
        form = RejectForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            self._apply(request, queryset, decision=CheckStatus.REJECTED, reason=form.cleaned_data["reason"])
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Reject with a reason",
            "opts": self.model._meta,
            "form": form,
            "objects": list(queryset),
            "action": "reject",
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, REJECT_TEMPLATE, context)


# --- profiles -------------------------------------------------------------------------------------


class CertificationInline(ReadOnlyTabularInline):
    model = Certification
    fields = readonly_fields = ("kind", "issued_at", "expires_at", "document")


class VerificationCheckInline(ReadOnlyTabularInline):
    model = VerificationCheck
    fields = readonly_fields = ("kind", "status", "reason", "provider", "submitted_at", "decided_at", "decided_by")
    ordering = ["-submitted_at"]


@admin.register(SitterProfile)
class SitterProfileAdmin(VerifyingAdmin):
    list_display = ["user", "name", "verification_status", "verified_at", "hourly_rate", "rating_avg", "rating_count"]
    list_filter = ["verification_status"]
    search_fields = ["user__email", "user__first_name", "user__last_name"]
    list_select_related = ["user"]
    readonly_fields = (
        "user",
        "bio",
        "hourly_rate",
        "currency",
        "years_experience",
        "languages",
        "age_groups",
        "service_radius_km",
        "timezone",
        "photo",
        "verification_status",
        "verified_at",
        "rating_avg",
        "rating_count",
        "availability_until",
        "created_at",
        "updated_at",
    )
    fields = readonly_fields
    inlines = [CertificationInline, VerificationCheckInline]

    @admin.display(description="Name", ordering="user__last_name")
    def name(self, obj: SitterProfile) -> str:
        return f"{obj.user.first_name} {obj.user.last_name}".strip()

    def decide(self, *, obj: SitterProfile, actor: User, decision: str, reason: str) -> None:
        verification_services.verification_decide(sitter=obj.user, actor=actor, decision=decision, reason=reason)


# --- the verification queue -----------------------------------------------------------------------


class QueueStatusFilter(admin.SimpleListFilter):
    """Pending unless asked otherwise: the changelist opens as the staff's queue."""

    title = "status"
    parameter_name = "status"
    DEFAULT = CheckStatus.PENDING.value
    ALL = "all"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [*((value, f"{label}") for value, label in CheckStatus.choices), (self.ALL, "All")]

    def choices(self, changelist: Any) -> Any:
        current = self.value() or self.DEFAULT
        for lookup, title in self.lookup_choices:
            yield {
                "selected": current == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value() or self.DEFAULT
        if value == self.ALL:
            return queryset
        return queryset.filter(status=value)


@admin.register(VerificationCheck)
class VerificationCheckAdmin(VerifyingAdmin):
    """The queue: pending checks, oldest first, with the ID document a click away."""

    list_display = ["submitted_at", "sitter", "kind", "status", "id_document", "provider", "decided_at", "decided_by"]
    list_filter = [QueueStatusFilter, "kind", "provider"]
    search_fields = ["sitter__user__email", "sitter__user__first_name", "sitter__user__last_name", "=id"]
    list_select_related = ["sitter__user", "document", "decided_by"]
    ordering = ["submitted_at"]
    fields = readonly_fields = (
        "id",
        "sitter",
        "kind",
        "status",
        "reason",
        "provider",
        "provider_reference",
        "id_document",
        "submitted_at",
        "decided_at",
        "decided_by",
    )

    @admin.display(description="ID document")
    def id_document(self, obj: VerificationCheck) -> str:
        """The file's admin page (review state, scan) and, when it may be served, a short-lived link to open it."""
        if obj.document is None:
            return "-"
        page = reverse("admin:files_storedfile_change", args=[obj.document.pk])
        url = file_link(file=obj.document, variant="original", request=None)
        if url is None:
            return format_html('<a href="{}">file</a>', page)
        return format_html('<a href="{}">file</a> · <a href="{}" rel="noreferrer" target="_blank">open</a>', page, url)

    def decide(self, *, obj: VerificationCheck, actor: User, decision: str, reason: str) -> None:
        verification_services.verification_check_decide(check_id=obj.pk, actor=actor, decision=decision, reason=reason)


# --- certifications -------------------------------------------------------------------------------


@admin.register(Certification)
class CertificationAdmin(ReadOnlyAdmin):
    """Staff approve or reject the document behind a badge; the badge shows only once approved."""

    list_display = ["sitter", "kind", "issued_at", "expires_at", "document_review", "created_at"]
    list_filter = ["kind", "document__review"]
    search_fields = ["sitter__user__email"]
    list_select_related = ["sitter__user", "document"]
    fields = readonly_fields = (
        "id",
        "sitter",
        "kind",
        "issued_at",
        "expires_at",
        "document",
        "reminder_sent_for",
        "created_at",
    )
    actions = ["approve_document", "reject_document"]

    def has_review_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("files.change_storedfile"))

    @admin.display(description="Document review")
    def document_review(self, obj: Certification) -> str:
        return obj.document.review if obj.document is not None else "-"

    def _review(self, request: HttpRequest, queryset: QuerySet[Certification], *, approved: bool) -> None:
        done = 0
        for certification in queryset:
            try:
                verification_services.certification_document_review(
                    certification=certification, actor=cast(User, request.user), approved=approved
                )
                done += 1
            except ApplicationError as exc:
                self.message_user(request, f"{certification}: {exc.detail}", level=messages.WARNING)
        self.message_user(request, f"{done} document(s) {'approved' if approved else 'rejected'}.")

    @admin.action(description="Approve the document", permissions=["review"])
    def approve_document(self, request: HttpRequest, queryset: QuerySet[Certification]) -> None:
        self._review(request, queryset, approved=True)

    @admin.action(description="Reject the document", permissions=["review"])
    def reject_document(self, request: HttpRequest, queryset: QuerySet[Certification]) -> None:
        self._review(request, queryset, approved=False)


# --- reviews; calendars and clients (read-only) ----------------------------------------------


@admin.register(Review)
class ReviewAdmin(ReadOnlyAdmin):
    """Moderation: hide or show a review through the review service, which recounts the rating in step."""

    list_display = ["sitter", "rating", "hidden", "booking_id", "created_at"]
    list_filter = ["hidden", "rating"]
    search_fields = ["sitter__user__email", "=booking_id"]
    list_select_related = ["sitter__user"]
    fields = readonly_fields = ("id", "sitter", "author", "booking_id", "rating", "comment", "hidden", "created_at")
    actions = ["hide", "unhide"]

    def has_moderate_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("sitters.change_review"))

    def _moderate(self, request: HttpRequest, queryset: QuerySet[Review], *, hidden: bool) -> None:
        done = 0
        for review in queryset:
            try:
                review_hide(review=review, actor=cast(User, request.user), hidden=hidden)
                done += 1
            except ApplicationError as exc:
                self.message_user(request, f"{review}: {exc.detail}", level=messages.WARNING)
        self.message_user(request, f"{done} review(s) {'hidden' if hidden else 'shown'}.")

    @admin.action(description="Hide (not shown, not counted)", permissions=["moderate"])
    def hide(self, request: HttpRequest, queryset: QuerySet[Review]) -> None:
        self._moderate(request, queryset, hidden=True)

    @admin.action(description="Show again", permissions=["moderate"])
    def unhide(self, request: HttpRequest, queryset: QuerySet[Review]) -> None:
        self._moderate(request, queryset, hidden=False)


class CalendarAdmin(ReadOnlyAdmin):
    search_fields = ["sitter__user__email"]
    list_select_related = ["sitter__user"]


@admin.register(Hold)
class HoldAdmin(CalendarAdmin):
    list_display = ["sitter", "kind", "starts_at", "ends_at", "reference"]
    list_filter = ["kind"]


@admin.register(WeeklyWindow)
class WeeklyWindowAdmin(CalendarAdmin):
    list_display = ["sitter", "weekday", "start_minute", "end_minute"]


@admin.register(AvailabilityException)
class AvailabilityExceptionAdmin(CalendarAdmin):
    list_display = ["sitter", "date", "available", "start_minute", "end_minute"]


@admin.register(AvailabilitySpan)
class AvailabilitySpanAdmin(CalendarAdmin):
    list_display = ["sitter", "starts_at", "ends_at"]


@admin.register(SitterClient)
class SitterClientAdmin(CalendarAdmin):
    list_display = ["sitter", "parent", "bookings_count", "first_booked_at", "last_booked_at"]
    list_select_related = ["sitter__user", "parent"]

"""The back office of the sitters app: profiles, the verification queue, certifications, reviews, calendars.

Nothing here changes a row directly. Verifying and rejecting go through
:mod:`sitters.services.verification` (locked, audited, notified, caches
forgotten); certification documents through the files review service. ID
documents are opened only from a check's own page, through the files link
service, which records each staff view in the sitter's security events. Every
other sitter table is read-only here: its changes belong to the sitter's own
API (profile, calendar) or to bookings (holds, reviews), whose services keep
the search index and the caches in step.
"""

from __future__ import annotations

from functools import partial
from typing import Any, cast

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from accounts.models import User
from files.services import file_links
from guardiannest.admin import ReadOnlyAdmin, ReadOnlyInline, form_action, service_action
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
from sitters.models.profile import SitterLanguage
from sitters.models.reliability import ReliabilityEvent
from sitters.services import verification as verification_services
from sitters.services.certifications import certification_document_review
from sitters.services.reviews import review_hide


def _document_review(certification: Certification, actor: User, *, approved: bool) -> object:
    return certification_document_review(certification=certification, actor=actor, approved=approved)


def _review_hide(review: Review, actor: User, *, hidden: bool) -> object:
    return review_hide(review=review, actor=actor, hidden=hidden)


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
        actor = cast(User, request.user)
        self.apply_each(
            request,
            queryset,
            lambda obj: self.decide(obj=obj, actor=actor, decision=decision, reason=reason),
            decision.capitalize(),
        )

    @admin.action(description="Verify", permissions=["verify"])
    def verify(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        self._apply(request, queryset, decision=CheckStatus.VERIFIED)

    @admin.action(description="Reject (with a reason)…", permissions=["verify"])
    def reject(self, request: HttpRequest, queryset: QuerySet[Any]) -> TemplateResponse | None:
        """First an intermediate page asking the reason (the sitter reads it), then the decision on each row."""
        return form_action(
            self,
            request,
            queryset,
            form_class=RejectForm,
            run=lambda values: self._apply(request, queryset, decision=CheckStatus.REJECTED, reason=values["reason"]),
            action="reject",
            title="Reject with a reason",
            prompt="Reject these, telling the sitter why:",
            submit_label="Reject",
        )


# --- profiles -------------------------------------------------------------------------------------


class CertificationInline(ReadOnlyInline):
    model = Certification
    fields = readonly_fields = ("kind", "issued_at", "expires_at", "document")


class VerificationCheckInline(ReadOnlyInline):
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
    """The queue: pending checks, oldest first. The ID document opens from the check's own page only.

    The changelist says only whether a document is attached: listing the queue
    must not mint a link to every pending ID document. The change page builds
    the link with :func:`files.services.file_links` for the viewing staff
    member, which audits the view (``file.viewed``, in the sitter's security
    events); the template ``admin/sitters/verificationcheck/change_form.html``
    shows it.
    """

    change_form_template = "admin/sitters/verificationcheck/change_form.html"
    list_display = [
        "submitted_at",
        "sitter",
        "kind",
        "status",
        "has_id_document",
        "provider",
        "decided_at",
        "decided_by",
    ]
    list_filter = [QueueStatusFilter, "kind", "provider"]
    search_fields = ["sitter__user__email", "sitter__user__first_name", "sitter__user__last_name", "=id"]
    list_select_related = ["sitter__user", "decided_by"]
    ordering = ["submitted_at"]
    fields = readonly_fields = (
        "id",
        "sitter",
        "kind",
        "status",
        "reason",
        "provider",
        "provider_reference",
        "id_document_record",
        "submitted_at",
        "decided_at",
        "decided_by",
    )

    @admin.display(description="ID document", boolean=True)
    def has_id_document(self, obj: VerificationCheck) -> bool:
        return obj.document_id is not None

    @admin.display(description="ID document record")
    def id_document_record(self, obj: VerificationCheck) -> str:
        """The file's own admin page (review state, scan); no link to its bytes."""
        if obj.document_id is None:
            return "-"
        return format_html('<a href="{}">file</a>', reverse("admin:files_storedfile_change", args=[obj.document_id]))

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """Adds ``id_document_url``: a short-lived link for this staff member, audited by the files service."""
        context = dict(extra_context or {})
        check = self.get_object(request, object_id) if request.method == "GET" else None
        # Only for whoever may see the page (the view is audited): super() answers everyone else.
        if check is not None and check.document is not None and self.has_view_or_change_permission(request, check):
            links = file_links(file=check.document, viewer=request.user, request=request)
            context["id_document_url"] = links["url"]
            context["id_document_expires_in"] = links["expires_in"]
        return super().change_view(request, object_id, form_url, extra_context=context)

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
    actions = [
        service_action("approve_document", "Approve the document", "review", partial(_document_review, approved=True)),
        service_action("reject_document", "Reject the document", "review", partial(_document_review, approved=False)),
    ]

    def has_review_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("files.change_storedfile"))

    @admin.display(description="Document review")
    def document_review(self, obj: Certification) -> str:
        return obj.document.review if obj.document is not None else "-"


# --- reviews; calendars and clients (read-only) ----------------------------------------------


@admin.register(Review)
class ReviewAdmin(ReadOnlyAdmin):
    """Moderation: hide or show a review through the review service, which recounts the rating in step."""

    list_display = ["sitter", "rating", "flagged", "hidden", "booking_id", "created_at"]
    list_filter = ["flagged", "hidden", "rating"]
    search_fields = ["sitter__user__email", "=booking_id"]
    list_select_related = ["sitter__user"]
    fields = readonly_fields = (
        "id",
        "sitter",
        "author",
        "booking_id",
        "rating",
        "comment",
        "flagged",
        "hidden",
        "reply",
        "replied_at",
        "created_at",
    )
    actions = [
        service_action("hide", "Hide (not shown, not counted)", "moderate", partial(_review_hide, hidden=True)),
        service_action("unhide", "Show again", "moderate", partial(_review_hide, hidden=False)),
    ]

    def has_moderate_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("sitters.change_review"))


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
    list_filter = ["weekday"]


@admin.register(AvailabilityException)
class AvailabilityExceptionAdmin(CalendarAdmin):
    list_display = ["sitter", "date", "available", "start_minute", "end_minute"]
    list_filter = ["available", "date"]


@admin.register(AvailabilitySpan)
class AvailabilitySpanAdmin(CalendarAdmin):
    list_display = ["sitter", "starts_at", "ends_at"]
    list_filter = [("starts_at", admin.DateFieldListFilter)]


@admin.register(SitterClient)
class SitterClientAdmin(CalendarAdmin):
    list_display = ["sitter", "parent", "bookings_count", "first_booked_at", "last_booked_at"]
    list_select_related = ["sitter__user", "parent"]
    list_filter = [("last_booked_at", admin.DateFieldListFilter)]


@admin.register(SitterLanguage)
class SitterLanguageAdmin(CalendarAdmin):
    """The search index of a profile's languages, kept in step by the profile service: read-only."""

    list_display = ["sitter", "code"]
    list_filter = ["code"]


@admin.register(ReliabilityEvent)
class ReliabilityEventAdmin(CalendarAdmin):
    """Bookings' outcomes that count toward a sitter's reliability (recorded by bookings), never edited."""

    list_display = ["sitter", "kind", "booking_id", "occurred_at"]
    list_filter = ["kind", ("occurred_at", admin.DateFieldListFilter)]
    search_fields = ["sitter__user__email", "=booking_id"]
    fields = readonly_fields = ("id", "sitter", "kind", "booking_id", "occurred_at")

"""The staff side of emergencies: the alerts still open first, each with its kind, map link and timeline.

Every kind is here: an SOS, and a booking's safety timers (missed check-in,
parent overdue), filtered by kind on the right.

Read-only; the acknowledge and resolve actions call
:func:`emergencies.services.emergency_acknowledge` and
:func:`emergencies.services.emergency_resolve`, exactly as the API does, with
the same checks and audit. The admin index shows the count of active alerts
(templates/admin/index.html), and the list reloads itself when an
``emergency.*`` event reaches the staff socket (static/emergencies/admin-live.js).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.db.models.expressions import Combinable
from django.http import HttpRequest, HttpResponseNotAllowed, JsonResponse
from django.urls import URLPattern, path
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from accounts.models import User
from emergencies.models import Emergency, EmergencyResponse, EmergencyStatus, EscalationStep
from emergencies.selectors import emergency_timeline
from emergencies.services import emergency_acknowledge, emergency_resolve, osm_url
from guardiannest.admin import ReadOnlyAdmin, ReadOnlyInline, service_action
from guardiannest.realtime.tickets import ticket_issue

RESOLVED_FROM_ADMIN = "Resolved by support from the back office."


def _acknowledge(emergency: Emergency, actor: User) -> object:
    return emergency_acknowledge(emergency_id=emergency.pk, actor=actor)


def _resolve(emergency: Emergency, actor: User) -> object:
    return emergency_resolve(emergency_id=emergency.pk, actor=actor, notes=RESOLVED_FROM_ADMIN)


class EscalationStepInline(ReadOnlyInline):
    model = EscalationStep
    fields = readonly_fields = ("number", "rung", "status", "due_at", "sent_at", "recipients")
    show_change_link = False

    @admin.display(description="recipients")
    def recipients(self, step: EscalationStep) -> int:
        return len(step.notices)


class EmergencyResponseInline(ReadOnlyInline):
    model = EmergencyResponse
    fields = readonly_fields = ("action", "actor", "actor_role", "created_at")
    show_change_link = False


@admin.register(Emergency)
class EmergencyAdmin(ReadOnlyAdmin):
    list_display = ("short_id", "kind", "status", "created_at", "raised_by", "booking", "map_link", "acknowledged_at")
    list_filter = ("kind", "status", "created_at")
    search_fields = ("=id", "raised_by__email", "=booking__id")
    list_select_related = ("raised_by", "booking")
    date_hierarchy = "created_at"
    fields = readonly_fields = (
        "id",
        "kind",
        "status",
        "raised_by",
        "booking",
        "family",
        "map_link",
        "message",
        "created_at",
        "acknowledged_at",
        "acknowledged_by",
        "resolved_at",
        "resolved_by",
        "resolution_notes",
        "timeline",
    )
    inlines = (EscalationStepInline, EmergencyResponseInline)
    actions = [
        service_action("acknowledge", "Acknowledge (stops the escalation)", "respond", _acknowledge),
        service_action("resolve", "Resolve", "respond", _resolve),
    ]

    class Media:
        js = ("emergencies/admin-live.js",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Emergency]:
        # Active alerts first, then acknowledged, then the rest; newest first within each.
        rank = Case(
            When(status=EmergencyStatus.ACTIVE, then=Value(0)),
            When(status=EmergencyStatus.ACKNOWLEDGED, then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        )
        rows = self.model._default_manager.get_queryset().annotate(open_rank=rank)
        return rows.order_by(*self.get_ordering(request))

    def get_ordering(self, request: HttpRequest) -> list[str | Combinable]:
        return ["open_rank", "-created_at"]

    def get_urls(self) -> list[Any]:
        live: list[URLPattern] = [
            path(
                "live-ticket/",
                self.admin_site.admin_view(self.live_ticket),
                name="emergencies_emergency_live_ticket",
            )
        ]
        return live + super().get_urls()

    def live_ticket(self, request: HttpRequest) -> JsonResponse | HttpResponseNotAllowed:
        """A socket ticket for this staff member's browser (POST, CSRF-checked): the page follows the staff socket."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_view_permission(request):
            return JsonResponse({"detail": "Not allowed."}, status=403)
        return JsonResponse({"ticket": ticket_issue(user_id=str(request.user.pk))}, status=201)

    def has_respond_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_staff and request.user.has_perm("emergencies.change_emergency"))

    @admin.display(description="alert", ordering="created_at")
    def short_id(self, emergency: Emergency) -> str:
        return str(emergency.pk)[:8]

    @admin.display(description="map")
    def map_link(self, emergency: Emergency) -> SafeString | str:
        url = osm_url(emergency)
        if url is None:  # a missed check-in: nobody's place is known
            return "—"
        return format_html(
            '<a href="{}" target="_blank" rel="noopener noreferrer">{}, {}</a>',
            url,
            emergency.latitude,
            emergency.longitude,
        )

    @admin.display(description="timeline")
    def timeline(self, emergency: Emergency) -> SafeString:
        rows = [_timeline_row(entry) for entry in emergency_timeline(emergency=emergency)]
        body = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td></tr>", rows)
        return format_html("<table><thead><tr><th>when</th><th>what</th><th>detail</th></tr></thead>{}</table>", body)


def _timeline_row(entry: dict[str, Any]) -> tuple[str, str, str]:
    kind = entry["type"]
    if kind == "delivery":
        who = entry["audience"] + (f" #{entry['contact_priority']}" if entry.get("contact_priority") else "")
        detail = f"step {entry['step']} · {who} · {entry['channel']} · {entry['status']}"
        if entry.get("provider"):
            detail += f" via {entry['provider']}"
        if entry.get("error"):
            detail += f" ({entry['error']})"
        return str(entry["at"]), kind, detail
    if kind == "escalation":
        return str(entry["at"]), kind, f"step {entry['step']} {entry['rung']}: {entry['status']}"
    return str(entry["at"]), kind, entry.get("actor_role", "")


@admin.register(EscalationStep)
class EscalationStepAdmin(ReadOnlyAdmin):
    """Every alert's escalation ladder across alerts (one alert's shows on its page): the ladder's history."""

    list_display = ("created_at", "emergency", "number", "rung", "status", "due_at", "sent_at")
    list_filter = ("status", "rung", ("due_at", admin.DateFieldListFilter))
    search_fields = ("=emergency__id",)
    list_select_related = ("emergency",)
    ordering = ("-id",)
    fields = readonly_fields = (
        "id",
        "emergency",
        "number",
        "rung",
        "status",
        "due_at",
        "sent_at",
        "cancelled_at",
        "created_at",
    )


@admin.register(EmergencyResponse)
class EmergencyResponseAdmin(ReadOnlyAdmin):
    """Who acknowledged or resolved which alert, and in which role: the record of the response, never changed."""

    list_display = ("created_at", "emergency", "action", "actor", "actor_role")
    list_filter = ("action", "actor_role", ("created_at", admin.DateFieldListFilter))
    search_fields = ("=emergency__id", "actor__email")
    list_select_related = ("emergency", "actor")
    ordering = ("-id",)
    fields = readonly_fields = ("id", "emergency", "action", "actor", "actor_role", "created_at")

"""The staff side of emergencies: the alerts still open first, each with its kind, map link and timeline.

Every kind is here: an SOS, and a booking's safety timers (missed check-in,
parent overdue), filtered by kind on the right.

Read-only; the acknowledge and resolve actions call
:func:`emergencies.services.emergency_acknowledge` and
:func:`emergencies.services.emergency_resolve`, exactly as the API does, with
the same checks and audit. The admin index shows the count of active alerts
(templates/admin/index.html). Both pages follow the staff socket in place
(static/emergencies/admin-live.js): the count and the urgency of the home's panel change as
``emergency.*`` events arrive, and the list adds, updates or drops rows without a reload. The
rows' acknowledge and resolve buttons post (CSRF-checked, JSON) to :meth:`EmergencyAdmin.respond_view`,
which needs the same permission as the actions. ``live-count/`` answers the count, so a page that
reconnects after its socket dropped catches up on what it missed.
"""

from __future__ import annotations

import json
from typing import Any, cast

from django.contrib import admin, messages
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.db.models.expressions import Combinable
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect, JsonResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.text import Truncator
from django.utils.timesince import timesince

from accounts.models import User
from emergencies.models import Emergency, EmergencyKind, EmergencyResponse, EmergencyStatus, EscalationStep
from emergencies.selectors import emergency_active_count, emergency_timeline
from emergencies.services import emergency_acknowledge, emergency_event_data, emergency_resolve, osm_url
from guardiannest.admin import ReadOnlyAdmin, ReadOnlyInline, service_action
from guardiannest.api.errors import STATUS_BY_REFUSAL
from guardiannest.errors import ApplicationError
from guardiannest.realtime.tickets import ticket_issue

RESOLVED_FROM_ADMIN = "Resolved by support from the back office."
MESSAGE_SHOWN = 80  # characters of the alert's message in the list (the page shows it all)
# The list's query parameters under which a new alert belongs at the top of the page as it is shown.
LIVE_LIST_PARAMETERS = frozenset({"status__exact"})


def _acknowledge(emergency: Emergency, actor: User) -> object:
    return emergency_acknowledge(emergency_id=emergency.pk, actor=actor)


def _resolve(emergency: Emergency, actor: User) -> object:
    return emergency_resolve(emergency_id=emergency.pk, actor=actor, notes=RESOLVED_FROM_ADMIN)


# What a row's buttons (and the action of the same name) do: the service call, and what the staff member reads.
ANSWERS = {"acknowledge": (_acknowledge, "Acknowledged"), "resolve": (_resolve, "Resolved")}


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
    list_display = (
        "short_id",
        "status",
        "alert",
        "raised",
        "raised_by",
        "booking",
        "map_link",
        "acknowledged_at",
        "respond",
    )
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
        "respond",
    )
    inlines = (EscalationStepInline, EmergencyResponseInline)
    actions = [
        service_action("acknowledge", "Acknowledge (stops the escalation)", "respond", _acknowledge),
        service_action("resolve", "Resolve", "respond", _resolve),
    ]

    class Media:
        js = ("emergencies/admin-live.js",)
        css = {"all": ("emergencies/admin-live.css",)}

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

    def get_list_display(self, request: HttpRequest) -> Any:
        shown = super().get_list_display(request)
        return shown if self.has_respond_permission(request) else [name for name in shown if name != "respond"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        shown = super().get_fields(request, obj)
        return shown if self.has_respond_permission(request) else [name for name in shown if name != "respond"]

    def get_urls(self) -> list[Any]:
        view = self.admin_site.admin_view
        live: list[URLPattern] = [
            path("live-ticket/", view(self.live_ticket), name="emergencies_emergency_live_ticket"),
            path("live-count/", view(self.live_count), name="emergencies_emergency_live_count"),
            *(
                path(
                    f"<uuid:object_id>/{answer}/",
                    view(self.respond_view),
                    {"answer": answer},
                    name=f"emergencies_emergency_{answer}",
                )
                for answer in ANSWERS
            ),
        ]
        return live + super().get_urls()

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        """The list, with what its script needs to follow the socket (data- attributes; no inline script)."""
        live = {
            "ticket-url": reverse("admin:emergencies_emergency_live_ticket"),
            "count-url": reverse("admin:emergencies_emergency_live_count"),
            "changelist-url": reverse("admin:emergencies_emergency_changelist"),
            "status-filter": request.GET.get("status__exact", ""),
            "adds-rows": "1" if set(request.GET) <= LIVE_LIST_PARAMETERS else "",
            "can-respond": "1" if self.has_respond_permission(request) else "",
            "active-count": str(emergency_active_count()),
            # A timer's alert says what it is on its row ("Missed check-in"); a panic SOS needs no label.
            "kind-labels": json.dumps(
                {kind: label for kind, label in EmergencyKind.choices if kind != EmergencyKind.SOS}
            ),
        }
        context = {**(extra_context or {}), "emergency_live": sorted(live.items())}
        return super().changelist_view(request, extra_context=context)

    def live_ticket(self, request: HttpRequest) -> JsonResponse | HttpResponseNotAllowed:
        """A socket ticket for this staff member's browser (POST, CSRF-checked): the page follows the staff socket."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_view_permission(request):
            return JsonResponse({"detail": "Not allowed."}, status=403)
        return JsonResponse({"ticket": ticket_issue(user_id=str(request.user.pk))}, status=201)

    def live_count(self, request: HttpRequest) -> JsonResponse:
        """How many alerts nobody has answered: what a page re-reads after its socket reconnects."""
        if not self.has_view_permission(request):
            return JsonResponse({"detail": "Not allowed."}, status=403)
        return JsonResponse({"active": emergency_active_count()})

    def respond_view(self, request: HttpRequest, object_id: Any, answer: str) -> HttpResponse:
        """A row's acknowledge or resolve button (POST, CSRF-checked): the service, as the action calls it.

        The page's script asks for JSON and gets the alert as the socket's events carry it (or the
        refusal and its status); a plain form post is sent back to the list with a message.
        """
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        wants_json = "application/json" in request.headers.get("Accept", "")
        if not self.has_respond_permission(request):
            return JsonResponse({"detail": "Not allowed."}, status=403)
        call, done = ANSWERS[answer]
        emergency = Emergency(pk=object_id)
        try:
            answered = call(emergency, cast(User, request.user))
        except ApplicationError as exc:
            if wants_json:
                return JsonResponse(
                    {"detail": exc.detail, "code": str(exc.code)}, status=STATUS_BY_REFUSAL[exc.refusal]
                )
            self.message_user(request, exc.detail, level=messages.WARNING)
            return HttpResponseRedirect(reverse("admin:emergencies_emergency_changelist"))
        answered = cast(Emergency, answered)  # the services answer the alert as it now is
        if wants_json:
            return JsonResponse(emergency_event_data(answered))
        self.message_user(request, f"{done}: {answered}.")
        return HttpResponseRedirect(reverse("admin:emergencies_emergency_changelist"))

    def has_respond_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_staff and request.user.has_perm("emergencies.change_emergency"))

    @admin.display(description="alert", ordering="created_at")
    def short_id(self, emergency: Emergency) -> SafeString:
        # data-emergency-id: how the page's script finds the row of an event (with or without checkboxes).
        return format_html('<span data-emergency-id="{}">{}</span>', emergency.pk, str(emergency.pk)[:8])

    @admin.display(description="what")
    def alert(self, emergency: Emergency) -> SafeString:
        """What a timer's alert is ("Missed check-in"; a panic SOS needs no label), and the start of its message."""
        text = Truncator(emergency.message).chars(MESSAGE_SHOWN)
        if emergency.kind != EmergencyKind.SOS:
            return format_html(
                '<span class="emergency-kind">{}</span> <span class="emergency-message">{}</span>',
                emergency.get_kind_display(),
                text,
            )
        return format_html('<span class="emergency-message">{}</span>', text)

    @admin.display(description="raised", ordering="created_at")
    def raised(self, emergency: Emergency) -> SafeString:
        """How long ago (the page's script keeps it current), the time itself on hover."""
        return format_html(
            '<time class="emergency-since" datetime="{}" title="{}">{} ago</time>',
            emergency.created_at.isoformat(),
            timezone.localtime(emergency.created_at).strftime("%Y-%m-%d %H:%M:%S %Z"),
            timesince(emergency.created_at).split(",")[0],
        )

    @admin.display(description="answer")
    def respond(self, emergency: Emergency) -> SafeString:
        """Acknowledge and resolve buttons (their clicks are the page's script's; the actions do the same)."""
        buttons = [
            (reverse(f"admin:emergencies_emergency_{answer}", args=[emergency.pk]), answer, label)
            for answer, label, open_states in (
                ("acknowledge", "Acknowledge", (EmergencyStatus.ACTIVE,)),
                ("resolve", "Resolve", (EmergencyStatus.ACTIVE, EmergencyStatus.ACKNOWLEDGED)),
            )
            if emergency.status in open_states
        ]
        return format_html_join(
            " ",
            '<button type="button" class="button emergency-answer" data-url="{}" data-answer="{}">{}</button>',
            buttons,
        )

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

"""Who may see which alert, who an alert reaches, and its timeline.

An alert (of any kind: an SOS, a booking's safety timer) is visible to whoever
raised it, to the parties of its booking, to the parent of its family, and to
staff; to anyone else it is "not found".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db.models import Count, Min, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from accounts.selectors.family import emergency_contact_list_for_parent
from emergencies.ladder import Audience, Rung
from emergencies.models import Emergency, EmergencyKind, EmergencyStatus
from guardiannest.errors import not_found
from guardiannest.realtime.groups import STAFF_EMERGENCIES, user_group
from messaging.selectors.notifications import delivery_list_for_notifications


def _visible_to(user: User) -> Q:
    return Q(raised_by=user) | Q(family=user) | Q(booking__parent=user) | Q(booking__sitter=user)


def emergency_list_for_user(*, user: User) -> QuerySet[Emergency]:
    """A party's own alerts, newest first; staff: every alert not yet resolved (active or acknowledged)."""
    if user.is_staff:
        rows = Emergency.objects.exclude(status=EmergencyStatus.RESOLVED)
    else:
        rows = Emergency.objects.filter(_visible_to(user))
    return rows.select_related("booking").order_by("-created_at", "-pk")


def emergency_get_for_user(*, emergency_id: UUID, user: User) -> Emergency:
    """One alert the user may see; another's is not found, exactly like a missing one."""
    rows = Emergency.objects.all() if user.is_staff else Emergency.objects.filter(_visible_to(user))
    emergency = rows.select_related("booking").filter(pk=emergency_id).first()
    if emergency is None:
        raise not_found("No such emergency.")
    return emergency


def emergency_active_count() -> int:
    """Alerts nobody has answered yet (the admin index shows it)."""
    return Emergency.objects.filter(status=EmergencyStatus.ACTIVE).count()


def emergency_party_ids(*, emergency: Emergency) -> list[Any]:
    """Everyone the alert concerns: whoever raised it, the booking's parent and sitter, the family's parent."""
    ids = [emergency.raised_by_id, emergency.family_id]
    if emergency.booking is not None:
        ids += [emergency.booking.parent_id, emergency.booking.sitter_id]
    return list(dict.fromkeys(i for i in ids if i is not None))


def emergency_groups(*, emergency: Emergency) -> list[str]:
    """The socket groups an ``emergency.*`` event goes to: each party's devices, and staff."""
    return [*(user_group(user_id) for user_id in emergency_party_ids(emergency=emergency)), STAFF_EMERGENCIES]


# --- who a rung reaches ------------------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    audience: Audience
    user: User | None = None  # a user with an account
    contact_name: str = ""  # or a contact without one
    contact_phone: str = ""
    contact_priority: int | None = None


def on_call_staff() -> list[User]:
    """Active staff in the on-call group; every active staff member when nobody is in it (an SOS never pages no one)."""
    staff = User.objects.filter(is_staff=True, is_active=True).order_by("date_joined", "pk")
    on_call = list(staff.filter(groups__name=settings.EMERGENCY_ON_CALL_GROUP))
    return on_call or list(staff)


def recipients_for_rung(*, emergency: Emergency, rung: Rung) -> list[Recipient]:
    """Who ``rung`` tells about ``emergency``, in order: parties, then contacts by priority, then staff."""
    found: list[Recipient] = []
    for audience in rung.audiences:
        if audience is Audience.PARTIES:
            ids = [i for i in emergency_party_ids(emergency=emergency) if i != emergency.raised_by_id]
            users = {user.pk: user for user in User.objects.filter(pk__in=ids, is_active=True)}
            found += [Recipient(audience, user=users[i]) for i in ids if i in users]
        elif audience is Audience.CONTACTS and emergency.family_id is not None:
            family = User.objects.filter(pk=emergency.family_id).first()
            if family is not None:
                found += [
                    Recipient(audience, contact_name=c.name, contact_phone=c.phone, contact_priority=c.priority)
                    for c in emergency_contact_list_for_parent(parent=family)
                ]
        elif audience is Audience.ON_CALL_STAFF:
            found += [Recipient(audience, user=user) for user in on_call_staff()]
    return found


# --- the timeline ------------------------------------------------------------------------------


def _role(user: User | None) -> str:
    if user is None:
        return ""
    return "staff" if user.is_staff else str(user.role)


def emergency_timeline(*, emergency: Emergency) -> list[dict[str, Any]]:
    """Everything that happened to an alert, oldest first.

    ``raised``; one ``escalation`` per ladder step (``step`` 0 is the first
    fan-out; a step still waiting shows as ``scheduled``, one the answer made
    moot as ``cancelled``); one ``delivery`` per outbox row of each step, with
    the provider's status as messaging recorded it; one ``acknowledged`` per
    person who acknowledged, and ``resolved``.
    """
    entries: list[tuple[datetime, int, dict[str, Any]]] = [
        (
            emergency.created_at,
            0,
            {
                "type": "raised",
                "at": emergency.created_at,
                "actor_id": emergency.raised_by_id,
                "actor_role": _role(emergency.raised_by) if emergency.raised_by_id else "platform",
            },
        )
    ]
    steps = list(emergency.steps.order_by("number"))
    notices: dict[str, tuple[int, dict[str, Any]]] = {}
    for step in steps:
        state = {"pending": "scheduled"}.get(step.status, step.status)
        at = step.sent_at or step.cancelled_at or step.due_at
        entries.append(
            (
                at,
                1,
                {
                    "type": "escalation",
                    "at": at,
                    "step": step.number,
                    "rung": step.rung,
                    "status": state,
                    "due_at": step.due_at,
                    "recipients": len(step.notices),
                },
            )
        )
        for notice in step.notices:
            notices[str(notice["notification_id"])] = (step.number, notice)
    for delivery in delivery_list_for_notifications(notification_ids=list(notices)):
        number, notice = notices[delivery["notification_id"]]
        entry = {
            "type": "delivery",
            "at": delivery["created_at"],
            "step": number,
            "audience": notice.get("audience", ""),
            "contact_priority": notice.get("contact_priority"),
            "recipient_id": notice.get("user_id"),
            "channel": delivery["channel"],
            "status": delivery["status"],
            "attempts": delivery["attempts"],
            "provider": delivery["provider"],
            "error": delivery["error"],
            "sent_at": delivery["sent_at"],
            "updated_at": delivery["updated_at"],
        }
        entries.append((delivery["created_at"], 2, entry))
    for response in emergency.responses.select_related("actor").order_by("created_at", "pk"):
        entries.append(
            (
                response.created_at,
                3,
                {
                    "type": response.action,
                    "at": response.created_at,
                    "actor_id": response.actor_id,
                    "actor_role": response.actor_role,
                },
            )
        )
    entries.sort(key=lambda item: (item[0], item[1]))
    return [entry for _, _, entry in entries]


def emergency_unacknowledged_figures(*, now: datetime | None = None) -> dict[str, Any]:
    """How many SOS alerts are active with nobody on them yet, and the age in seconds of the oldest (one query).

    Read by Prometheus at scrape time (``guardiannest_sos_unacknowledged_*``; the SOSNotAcknowledged rule pages
    operators after 120 s). Panic SOS only: a safety timer's alert (a sitter a few minutes late) waits
    ``EMERGENCY_TIMER_FIRST_STEP_SECONDS`` for its family before it escalates, and pages the on-call staff
    through its ladder, not the operators.
    """
    figures = Emergency.objects.filter(status=EmergencyStatus.ACTIVE, kind=EmergencyKind.SOS).aggregate(
        count=Count("pk"), oldest=Min("created_at")
    )
    oldest = figures["oldest"]
    age = ((now or timezone.now()) - oldest).total_seconds() if oldest is not None else 0.0
    return {"count": int(figures["count"]), "oldest_age_seconds": max(age, 0.0)}

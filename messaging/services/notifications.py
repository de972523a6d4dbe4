"""The one way any app tells a user something: :func:`notify`.

``notify`` picks the channels (the kind's defaults, filtered by the user's
preferences; account and emergency messages cannot be switched off), renders
the kind's templates, and writes in the caller's transaction one in-app
:class:`Notification` and one outbox :class:`Delivery` per channel and
address. Nothing is sent before commit: the deliveries are enqueued and the
``notification.created`` event broadcast once the transaction commits, so a
rolled-back booking never emails anyone.

Many notifications at once (a reminder run, a newsletter) go through
:func:`notify_bulk`: two INSERT statements whatever the count.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from guardiannest import flags
from guardiannest.audit.services import audit_record
from guardiannest.realtime.events import broadcast_on_commit
from guardiannest.realtime.groups import user_group
from messaging.kinds import Category, Channel, Kind, get_kind
from messaging.models.notifications import Delivery, Notification, NotificationPreference
from messaging.selectors.devices import PushTarget, push_targets_for_users, verified_phones_for_users
from messaging.selectors.notifications import Preferences, effective_preferences, preference_overrides_for_users
from messaging.services.delivery import delivery_enqueue
from messaging.services.preferences import unsubscribe_token

SITE_NAME = "GuardianNest"


# --- rendering -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rendered:
    title: str
    body: str
    email_text: str = ""
    email_html: str = ""
    sms: str = ""
    headers: dict[str, str] = field(default_factory=dict)


def _one_line(text: str) -> str:
    """Titles become email subjects: a newline there would be a header injection."""
    return " ".join(text.split())


@functools.cache
def _unsubscribe_path() -> str:
    return reverse("messaging:notifications-unsubscribe")


def _unsubscribe_links(*, user_id: Any, category: str) -> tuple[str, str]:
    """(the link in the email body, to the app's page; the RFC 8058 one-click URL of the API)."""
    token = unsubscribe_token(user_id=user_id, category=category)
    page = f"{settings.FRONTEND_URL}/notifications/unsubscribe#{urlencode({'token': token})}"
    api_base = (getattr(settings, "API_PUBLIC_URL", "") or settings.FRONTEND_URL).rstrip("/")
    one_click = f"{api_base}{_unsubscribe_path()}?{urlencode({'token': token})}"
    return page, one_click


def notification_render(*, kind: Kind, user: Any, context: Mapping[str, Any], channels: set[Channel]) -> Rendered:
    """Render what ``channels`` need of ``kind``, in the platform's language.

    HTML is autoescaped, so a name such as ``<script>`` arrives as text; the
    ``.txt`` templates switch autoescape off because they are plain text.
    """
    values: dict[str, Any] = {
        "site_name": SITE_NAME,
        "frontend_url": settings.FRONTEND_URL,
        "first_name": getattr(user, "first_name", ""),
        **context,
    }
    headers: dict[str, str] = {}
    if kind.can_disable and Channel.EMAIL in channels:
        page, one_click = _unsubscribe_links(user_id=user.pk, category=kind.category.value)
        values["unsubscribe_url"] = page
        headers = {"List-Unsubscribe": f"<{one_click}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    with translation.override(getattr(user, "language", "") or settings.LANGUAGE_CODE):
        title = _one_line(render_to_string(kind.template("title.txt"), values))
        body = render_to_string(kind.template("body.txt"), values).strip()
        email = Channel.EMAIL in channels
        values["title"] = title  # the HTML's <title>, escaped there like everything else
        return Rendered(
            title=title,
            body=body,
            email_text=render_to_string(kind.template("email.txt"), values).strip() + "\n" if email else "",
            email_html=render_to_string(kind.template("email.html"), values) if email else "",
            sms=render_to_string(kind.template("sms.txt"), values).strip() if Channel.SMS in channels else "",
            headers=headers,
        )


# --- notify ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Contact:
    """Someone without an account, reached at the addresses a user gave for them (an emergency contact).

    Only kinds that cannot be switched off reach a contact (they never chose
    anything, and must never get marketing), by SMS and email only: a contact
    has no app. The number is used as given: the user who gave it vouches for it.
    """

    name: str
    on_behalf_of: Any  # the user who gave the addresses
    phone: str = ""
    email: str = ""
    language: str = ""
    pk: None = None
    is_active: bool = True

    @property
    def first_name(self) -> str:
        return self.name


@dataclass(frozen=True)
class NotifyRequest:
    user: Any  # a user, or a :class:`Contact`
    kind: str
    context: Mapping[str, Any]
    actor: Any = None


def channels_for(*, kind: Kind, preferences: Preferences) -> set[Channel]:
    """The kind's channels the user wants; all of them when the category cannot be switched off."""
    if not kind.can_disable:
        return set(kind.channels)
    wanted = preferences[kind.category.value]
    channels = {channel for channel in kind.channels if wanted[channel.value]}
    if kind.category is Category.MARKETING and not flags.marketing_email_on():  # staff's switch (guardiannest/flags.py)
        channels.discard(Channel.EMAIL)
    return channels


def _contact_channels(kind: Kind, contact: Contact) -> set[Channel]:
    if kind.can_disable:
        raise ValueError(f"notify({kind.name}): only kinds that cannot be switched off reach a contact")
    reachable = {Channel.SMS} if contact.phone else set()
    reachable |= {Channel.EMAIL} if contact.email else set()
    return set(kind.channels) & reachable


def _sms_address(user: Any, verified: set[tuple[Any, str]]) -> tuple[str, str]:
    """(phone, why not): an SMS only goes to the number the account proved is its own (a contact's as given)."""
    phone = getattr(user, "phone", "") or ""
    if isinstance(user, Contact):
        return phone, "" if phone else "no phone number"
    if not phone:
        return "", "no phone number"
    if (user.pk, phone) not in verified:
        return "", "phone number not verified"
    return phone, ""


def _deliveries_for(
    *,
    notification: Notification,
    kind: Kind,
    user: Any,
    channels: set[Channel],
    rendered: Rendered,
    push: list[PushTarget],
    verified_phones: set[tuple[Any, str]],
) -> list[Delivery]:
    rows: list[Delivery] = []
    now = notification.created_at

    def add(channel: Channel, address: str, payload: dict[str, Any], skipped: str = "") -> None:
        # The encrypted JSON column is typed as text by the stubs: pass the document untyped.
        document: Any = payload if not skipped else {}
        rows.append(
            Delivery(
                notification=notification,
                kind=kind.name,
                channel=channel.value,
                address=address,
                payload=document,
                status=Delivery.Status.SKIPPED if skipped else Delivery.Status.QUEUED,
                last_error=skipped,
                delivery_key=f"{notification.pk.hex}.{channel.value}.{len(rows)}",
                created_at=now,
                updated_at=now,
                next_attempt_at=now,
            )
        )

    inactive = "" if getattr(user, "is_active", True) else "account inactive"
    for channel in sorted(channels):
        if channel is Channel.EMAIL:
            payload = {"subject": rendered.title, "text": rendered.email_text, "html": rendered.email_html}
            add(channel, user.email, payload | {"headers": rendered.headers}, inactive)
        elif channel is Channel.SMS:
            phone, why_not = _sms_address(user, verified_phones)
            add(channel, phone, {"body": rendered.sms}, inactive or why_not)
        elif channel is Channel.PUSH:
            if not push:
                add(channel, "", {}, inactive or "no registered device")
            for target in push:
                add(channel, target.token, _push_payload(notification, kind, rendered, target), inactive)
    return rows


def _push_payload(notification: Notification, kind: Kind, rendered: Rendered, target: PushTarget) -> dict[str, Any]:
    return {
        "title": rendered.title,
        "body": rendered.body,
        "data": {**notification.data, "kind": kind.name, "notification_id": str(notification.pk)},
        "image_url": str(notification.data.get("image_url", "")),
        "actions": [{"id": action.id, "title": str(action.title)} for action in kind.actions],
        "platform": target.platform,
        "priority": kind.priority,
    }


def _check_context(kind: Kind, context: Mapping[str, Any]) -> None:
    missing = [key for key in kind.required if context.get(key) in (None, "")]
    if missing:
        raise ValueError(f"notify({kind.name}): the context lacks {', '.join(missing)}")


def notify(*, user: Any, kind: str, context: Mapping[str, Any], actor: Any = None) -> Notification:
    """Tell ``user`` about something; the one entry point every app uses.

    Call it inside the transaction of the change it announces: the rows join
    that transaction and nothing leaves before it commits. ``context`` holds
    what the kind's templates need (``get_kind(kind).required``); its values
    are rendered escaped in HTML. Raises KeyError for an unknown kind and
    ValueError for a missing context key (programming errors, not user input).
    """
    return notify_bulk(requests=[NotifyRequest(user=user, kind=kind, context=context, actor=actor)])[0]


def notify_bulk(*, requests: Sequence[NotifyRequest]) -> list[Notification]:
    """:func:`notify` for many at once: a query each for preferences, devices and phones, two INSERTs."""
    kinds = [get_kind(request.kind) for request in requests]
    for request, kind in zip(requests, kinds, strict=True):
        _check_context(kind, request.context)
    optional_users = {
        request.user.pk
        for request, kind in zip(requests, kinds, strict=True)
        if kind.can_disable and not isinstance(request.user, Contact)
    }
    overrides = preference_overrides_for_users(user_ids=optional_users) if optional_users else {}

    plans: list[tuple[NotifyRequest, Kind, set[Channel]]] = []
    for request, kind in zip(requests, kinds, strict=True):
        if isinstance(request.user, Contact):
            plans.append((request, kind, _contact_channels(kind, request.user)))
            continue
        preferences = effective_preferences(overrides.get(request.user.pk))
        plans.append((request, kind, channels_for(kind=kind, preferences=preferences)))
    accounts = [(request, channels) for request, _, channels in plans if not isinstance(request.user, Contact)]
    push_users = {request.user.pk for request, channels in accounts if Channel.PUSH in channels}
    targets = push_targets_for_users(user_ids=push_users) if push_users else {}
    sms_users = {request.user.pk for request, channels in accounts if Channel.SMS in channels}
    verified_phones = verified_phones_for_users(user_ids=sms_users) if sms_users else set()

    now = timezone.now()
    notifications: list[Notification] = []
    deliveries: list[Delivery] = []
    for request, kind, channels in plans:
        rendered = notification_render(kind=kind, user=request.user, context=request.context, channels=channels)
        data = {key: str(request.context[key]) for key in kind.data_keys if request.context.get(key) is not None}
        if request.context.get("image_url"):
            data["image_url"] = str(request.context["image_url"])
        contact = request.user if isinstance(request.user, Contact) else None
        notification = Notification(
            user=None if contact else request.user,
            on_behalf_of=contact.on_behalf_of if contact else None,
            recipient_name=contact.name if contact else "",
            actor=request.actor if getattr(request.actor, "pk", None) else None,
            kind=kind.name,
            category=kind.category.value,
            title=rendered.title,
            body=rendered.body,
            data=data,
            created_at=now,
        )
        notifications.append(notification)
        deliveries += _deliveries_for(
            notification=notification,
            kind=kind,
            user=request.user,
            channels=channels,
            rendered=rendered,
            push=targets.get(request.user.pk, []),
            verified_phones=verified_phones,
        )

    with transaction.atomic():
        Notification.objects.bulk_create(notifications)
        Delivery.objects.bulk_create(deliveries)
        queued = [(str(d.pk), d.kind) for d in deliveries if d.status == Delivery.Status.QUEUED]
        if queued:
            transaction.on_commit(partial(delivery_enqueue, deliveries=queued))
        for notification in notifications:
            if notification.user_id is None:
                continue  # a contact has no app
            broadcast_on_commit(
                [user_group(notification.user_id)], "notification.created", notification_event_data(notification)
            )
    return notifications


def notification_event_data(notification: Notification) -> dict[str, Any]:
    """The ``notification.created`` event: what the in-app list shows of one notification."""
    return {
        "id": str(notification.pk),
        "kind": notification.kind,
        "category": notification.category,
        "title": notification.title,
        "body": notification.body,
        "data": notification.data,
        "created_at": notification.created_at.isoformat(),
        "read_at": None,
    }


# --- the in-app list -------------------------------------------------------------------------


def notification_mark_read(*, notification: Notification) -> Notification:
    """Idempotent: the first read time stays."""
    if notification.read_at is None:
        now = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now)
        notification.read_at = now
    return notification


def notification_mark_all_read(*, user: Any) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())


# --- GDPR ------------------------------------------------------------------------------------


def notifications_export(user: Any) -> dict[str, Any]:
    """The GDPR export's "notifications" section: preferences, in-app notifications and where they went."""
    notifications = Notification.objects.filter(user=user).order_by("created_at").prefetch_related("deliveries")
    return {
        "preferences": effective_preferences(
            NotificationPreference.objects.filter(user=user).values_list("overrides", flat=True).first()
        ),
        "notifications": [
            {
                "id": str(n.pk),
                "kind": n.kind,
                "title": n.title,
                "body": n.body,
                "created_at": n.created_at.isoformat(),
                "read_at": n.read_at.isoformat() if n.read_at else None,
                "deliveries": [
                    {"channel": d.channel, "status": d.status, "sent_at": d.sent_at.isoformat() if d.sent_at else None}
                    for d in n.deliveries.all()
                ],
            }
            for n in notifications
        ],
    }


def notifications_erase(user: Any) -> None:
    """Account deletion: the inbox, the outbox rows (addresses, rendered messages) and preferences go."""
    deleted, _ = Notification.objects.filter(Q(user=user) | Q(on_behalf_of=user)).delete()
    Notification.objects.filter(actor=user).update(actor=None)
    NotificationPreference.objects.filter(user=user).delete()
    audit_record(action="notification.erased", target=user, data={"notifications": deleted})

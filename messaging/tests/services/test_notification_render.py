"""Rendering: every kind renders, HTML escapes what users wrote, both email parts, unsubscribe headers."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import signing

from accounts.models import User
from messaging.kinds import Channel, Kind, all_kinds, get_kind
from messaging.services.notifications import notification_render, notify
from messaging.services.preferences import UNSUBSCRIBE_SALT

pytestmark = pytest.mark.django_db

SAMPLE_CONTEXT: dict[str, Any] = {
    "link": "https://app.example/x#token=abc",
    "booking_id": "b-1",
    "other_name": "Sam Sitter",
    "starts_at": "Friday 18:00",
    "amount": "€42.00",
    "payment_id": "p-1",
    "payout_id": "po-1",
    "sender_name": "Sam",
    "conversation_id": "c-1",
    "preview": "See you at six",
    "emergency_id": "e-1",
    "raised_by": "Sam",
    "headline": "Spring news",
    "decision": "verified",
    "check": "identity",
    "certification": "First aid",
    "expires_at": "12 January 2027",
    "sitter_name": "Sam Sitter",
    "parent_name": "Pat Parent",
    "ends_at": "Friday 22:00",
}
HOSTILE = '<script>alert("x")</script>'


@pytest.mark.parametrize("kind", all_kinds(), ids=lambda kind: kind.name)
def test_every_kind_renders_each_of_its_channels(kind: Kind, parent: User) -> None:
    assert set(kind.required) <= set(SAMPLE_CONTEXT), "add the new key to SAMPLE_CONTEXT"

    rendered = notification_render(kind=kind, user=parent, context=SAMPLE_CONTEXT, channels=set(kind.channels))

    assert rendered.title and "\n" not in rendered.title
    assert rendered.body
    if Channel.EMAIL in kind.channels:
        assert rendered.email_text.startswith(f"Hello {parent.first_name},")
        assert "<html" in rendered.email_html and f"Hello {parent.first_name}," in rendered.email_html
        assert "{{" not in rendered.email_text + rendered.email_html
    if Channel.SMS in kind.channels:
        assert rendered.sms and len(rendered.sms) <= 320  # two SMS segments at most


def test_html_escapes_user_provided_context_and_text_keeps_it_plain(parent: User) -> None:
    parent.first_name = HOSTILE
    kind = get_kind("booking.accepted")

    rendered = notification_render(
        kind=kind, user=parent, context={**SAMPLE_CONTEXT, "other_name": HOSTILE}, channels={Channel.EMAIL}
    )

    assert "<script>" not in rendered.email_html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in rendered.email_html
    assert rendered.email_html.count("&lt;script&gt;") >= 3  # greeting, text, <title>
    assert HOSTILE in rendered.email_text  # plain text is not HTML: no entities there
    assert rendered.title == f"{HOSTILE} accepted your booking"


def test_both_email_parts_carry_the_link(parent: User) -> None:
    rendered = notification_render(
        kind=get_kind("booking.accepted"), user=parent, context=SAMPLE_CONTEXT, channels={Channel.EMAIL}
    )

    assert "https://app.example/x#token=abc" in rendered.email_text
    assert 'href="https://app.example/x#token=abc"' in rendered.email_html
    assert rendered.title == "Sam Sitter accepted your booking"


def test_a_newline_in_the_context_cannot_reach_the_subject(parent: User) -> None:
    notification = notify(
        user=parent,
        kind="booking.accepted",
        context={**SAMPLE_CONTEXT, "other_name": "Sam\r\nBcc: victim@example.com"},
    )

    subject = notification.deliveries.get(channel="email").payload["subject"]
    assert "\n" not in subject and "\r" not in subject
    assert subject == "Sam Bcc: victim@example.com accepted your booking"


def test_optional_categories_carry_one_click_unsubscribe_headers(parent: User) -> None:
    rendered = notification_render(
        kind=get_kind("marketing.newsletter"), user=parent, context=SAMPLE_CONTEXT, channels={Channel.EMAIL}
    )

    assert rendered.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = rendered.headers["List-Unsubscribe"].strip("<>")
    assert urlsplit(url).path == "/api/v1/notifications/unsubscribe"
    token = parse_qs(urlsplit(url).query)["token"][0]
    assert signing.loads(token, salt=UNSUBSCRIBE_SALT) == {"u": str(parent.pk), "c": "marketing"}
    assert "/notifications/unsubscribe#token=" in rendered.email_text
    assert "Unsubscribe from these emails" in rendered.email_html


def test_security_messages_have_no_unsubscribe(parent: User) -> None:
    rendered = notification_render(
        kind=get_kind("sitter.verification_decided"), user=parent, context=SAMPLE_CONTEXT, channels={Channel.EMAIL}
    )

    assert rendered.headers == {}
    assert "nsubscribe" not in rendered.email_text + rendered.email_html


def test_a_push_carries_the_kinds_actions_and_ids_only(parent: User) -> None:
    from messaging.selectors.devices import PushTarget
    from messaging.services.notifications import _push_payload

    notification = notify(
        user=parent, kind="booking.requested", context={**SAMPLE_CONTEXT, "image_url": "https://x/i.png"}
    )
    payload = _push_payload(
        notification,
        get_kind("booking.requested"),
        notification_render(kind=get_kind("booking.requested"), user=parent, context=SAMPLE_CONTEXT, channels=set()),
        PushTarget(token="t", platform="ios"),
    )

    assert [a["id"] for a in payload["actions"]] == ["accept", "decline"]
    assert payload["data"] == {
        "booking_id": "b-1",
        "image_url": "https://x/i.png",
        "kind": "booking.requested",
        "notification_id": str(notification.pk),
    }
    assert payload["image_url"] == "https://x/i.png" and payload["platform"] == "ios"

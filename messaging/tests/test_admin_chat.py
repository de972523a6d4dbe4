"""Staff find flagged messages with a list filter; other people's text stays out of the admin."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import User
from messaging.models import Conversation
from messaging.services.chat import message_send

pytestmark = pytest.mark.django_db


def test_the_flagged_filter_lists_only_flagged_messages_and_only_their_page_shows_the_text(
    staff_client: Client, conversation: Conversation, parent: User, sitter: User
) -> None:
    ordinary = message_send(conversation=conversation, sender=parent, body="Nap at two, snack at four")
    flagged = message_send(conversation=conversation, sender=sitter, body="Pay me with Zelle instead")

    listed = staff_client.get("/admin/messaging/message/?flagged__exact=1").content.decode()
    ordinary_page = staff_client.get(f"/admin/messaging/message/{ordinary.pk}/change/").content.decode()
    flagged_page = staff_client.get(f"/admin/messaging/message/{flagged.pk}/change/").content.decode()

    assert str(flagged.pk) in listed and str(ordinary.pk) not in listed
    assert "Zelle" not in listed and "Nap at two" not in ordinary_page
    assert "Pay me with Zelle instead" in flagged_page
    assert staff_client.get("/admin/messaging/conversation/").status_code == 200


def test_staff_cannot_write_or_delete_messages(staff_client: Client, conversation: Conversation, parent: User) -> None:
    message = message_send(conversation=conversation, sender=parent, body="hello")

    assert staff_client.get("/admin/messaging/message/add/").status_code == 403
    assert staff_client.post(f"/admin/messaging/message/{message.pk}/delete/", {"post": "yes"}).status_code == 403
    assert conversation.messages.count() == 1

"""The send statement runs prepared (guardiannest/prepared.py): once per connection, then by name.

With the connection pool, the database OPTIONS set ``prepare_threshold`` 0,
so a server-binding cursor prepares on first use; the tests run without the
pool, so each test sets the same on its own connection, as the pool would.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from guardiannest.prepared import prepared_cursor
from messaging.models import Conversation, Message
from messaging.services.chat import message_send

pytestmark = pytest.mark.django_db


@pytest.fixture
def preparing() -> Iterator[Any]:
    connection.ensure_connection()
    raw = connection.connection
    before = raw.prepare_threshold
    raw.prepare_threshold = 0  # as DATABASES OPTIONS set it with the pool
    try:
        yield raw
    finally:
        raw.prepare_threshold = before


def _prepared_sends() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE statement LIKE 'WITH turn AS%%'")
        return [row[0] for row in cursor.fetchall()]


def test_the_send_statement_is_prepared_once_and_then_reused(
    preparing: Any, conversation: Conversation, parent: User
) -> None:
    first = message_send(conversation=conversation, sender=parent, body="one")
    assert len(_prepared_sends()) == 1

    second = message_send(conversation=conversation, sender=parent, body="two")
    third = message_send(conversation=conversation, sender=parent, body="three")

    assert len(_prepared_sends()) == 1  # the same statement, by name
    assert [first.seq, second.seq, third.seq] == [1, 2, 3]
    stored = Message.objects.filter(conversation=conversation).order_by("seq")
    assert [message.body for message in stored] == ["one", "two", "three"]  # decrypted: stored as sent
    conversation.refresh_from_db()
    assert (conversation.last_seq, conversation.last_message_id) == (3, third.pk)


def test_without_the_threshold_it_runs_unprepared(conversation: Conversation, parent: User) -> None:
    connection.ensure_connection()
    assert connection.connection.prepare_threshold is None  # no pool: as behind pgbouncer in transaction mode

    message_send(conversation=conversation, sender=parent, body="one")

    assert _prepared_sends() == []
    assert Message.objects.filter(conversation=conversation).count() == 1


def test_the_cursor_is_django_s(preparing: Any) -> None:
    with prepared_cursor() as cursor:
        cursor.execute("SELECT now(), %s::int", [7])
        at, seven = cursor.fetchone()
    with CaptureQueriesContext(connection) as queries, prepared_cursor() as cursor:  # logged: Django's usual cursor
        cursor.execute("SELECT %s::int", [8])

    assert seven == 7 and at.utcoffset() is not None and at.utcoffset().total_seconds() == 0  # aware, UTC
    assert [query["sql"] for query in queries.captured_queries] == ["SELECT 8::int"]
    with pytest.raises(IntegrityError), transaction.atomic(), prepared_cursor() as cursor:  # Django's error
        cursor.execute("INSERT INTO accounts_user (id) VALUES (NULL)")

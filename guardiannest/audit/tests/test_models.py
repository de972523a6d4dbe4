"""The table is append-only: the ORM refuses changes, and on PostgreSQL so does the database."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest
from django.db import IntegrityError, connection, transaction

from accounts.models import User
from accounts.tests.factories import ParentFactory
from guardiannest.audit.chain import GENESIS_HASH
from guardiannest.audit.models import AppendOnlyError, AuditEvent
from guardiannest.audit.services import audit_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def event() -> AuditEvent:
    return audit_record(action="test.recorded", target_type="tests.thing", target_id="1", data={"n": 1})


def _stored(event: AuditEvent) -> tuple[str, dict[str, int], str]:
    row = AuditEvent.objects.get(pk=event.pk)
    return row.action, row.data, row.hash


def test_str_names_the_event(event: AuditEvent) -> None:
    assert str(event) == f"#{event.pk} test.recorded"


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"update_fields": ["action"]}, {"force_update": True}],
    ids=["save", "update_fields", "force_update"],
)
def test_saving_a_stored_event_is_refused(event: AuditEvent, kwargs: dict[str, object]) -> None:
    before = _stored(event)
    event.action = "test.rewritten"
    with pytest.raises(AppendOnlyError):
        event.save(**kwargs)  # type: ignore[arg-type]
    assert _stored(event) == before


def test_a_fresh_instance_with_the_id_of_a_stored_event_cannot_overwrite_it(event: AuditEvent) -> None:
    # Django would otherwise try an UPDATE first when an id is given; saving always INSERTs.
    impostor = AuditEvent(id=event.pk, action="test.impostor", prev_hash="a" * 64, hash="b" * 64)
    with pytest.raises(IntegrityError), transaction.atomic():
        impostor.save()
    assert AuditEvent.objects.get(pk=event.pk).action == "test.recorded"


def test_deleting_an_event_is_refused(event: AuditEvent) -> None:
    with pytest.raises(AppendOnlyError):
        event.delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_queryset_update_and_delete_are_refused(event: AuditEvent) -> None:
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(action="test.rewritten")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    # The base manager (used for related lookups) refuses as well.
    with pytest.raises(AppendOnlyError):
        AuditEvent._base_manager.filter(pk=event.pk).update(action="test.rewritten")
    # bulk_update refuses inside its own atomic block, which then rolls back.
    with pytest.raises(AppendOnlyError), transaction.atomic():
        AuditEvent.objects.bulk_update([event], ["action"])
    assert _stored(event)[0] == "test.recorded"


def test_bulk_create_is_refused_because_it_would_skip_the_chain() -> None:
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.bulk_create([AuditEvent(action="test.bulk", prev_hash=GENESIS_HASH, hash="0" * 64)])
    assert not AuditEvent.objects.exists()


def test_two_events_cannot_name_the_same_predecessor(event: AuditEvent) -> None:
    # The database-level guard behind the lock: a fork is refused outright.
    follower = audit_record(action="test.follower")
    fork = AuditEvent(action="test.fork", prev_hash=follower.prev_hash, hash="c" * 64)
    with pytest.raises(IntegrityError), transaction.atomic():
        fork.save()
    assert AuditEvent.objects.count() == 2


def test_erasing_the_actor_leaves_the_event_untouched() -> None:
    # given
    user = ParentFactory()
    event = audit_record(action="user.registered", actor=user, target=user)
    # when: a hard delete, which GDPR erasure does not even do
    User.objects.filter(pk=user.pk).delete()
    # then
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.actor_id == user.pk
    assert stored.target_id == str(user.pk)
    assert stored.hash == event.hash


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditevent SET action = 'test.rewritten' WHERE id = %s",
        "DELETE FROM audit_auditevent WHERE id = %s",
        "UPDATE audit_auditevent SET action = 'test.rewritten' WHERE id = -%s",  # matches nothing: still refused
    ],
    ids=["update", "delete", "update-no-row"],
)
def test_the_database_refuses_raw_update_and_delete(event: AuditEvent, sql: str) -> None:
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [event.pk])
    assert _stored(event)[0] == "test.recorded"


def test_truncate_still_works_for_test_flushes(event: AuditEvent) -> None:
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE audit_auditevent")
    assert not AuditEvent.objects.exists()


def test_tamper_fixture_really_turns_the_trigger_off_and_back_on(
    event: AuditEvent, tamper: Callable[[], AbstractContextManager[None]]
) -> None:
    # The verify tests rely on this helper; prove it does what it says.
    with tamper(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET action = 'test.tampered' WHERE id = %s", [event.pk])
    assert _stored(event)[0] == "test.tampered"
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])

"""audit_record: what an event holds, how it chains, and that it lives and dies with its transaction."""

from __future__ import annotations

import datetime as dt
import itertools
import threading
import uuid
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, connection, transaction
from django.db.transaction import TransactionManagementError
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.factories import ParentFactory, StaffFactory
from guardiannest.audit.chain import GENESIS_HASH, compute_hash
from guardiannest.audit.models import AuditEvent
from guardiannest.audit.services import CHAIN_LOCK_KEY, VerifyResult, audit_record, audit_verify, lock_chain
from guardiannest.audit.tests.conftest import REQUEST_ID, REQUEST_IP

pytestmark = pytest.mark.django_db


def test_an_event_records_who_did_what_to_which_object_from_where(request_context: None) -> None:
    # given
    staff, parent = StaffFactory(), ParentFactory()
    # when
    event = audit_record(action="user.updated", actor=staff, target=parent, data={"fields": ["phone"]})
    # then: what is stored, read back from the database
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.actor_id == staff.pk
    assert stored.action == "user.updated"
    assert (stored.target_type, stored.target_id) == ("accounts.user", str(parent.pk))
    assert stored.ip == REQUEST_IP
    assert stored.request_id == REQUEST_ID
    assert stored.data == {"fields": ["phone"]}
    assert stored.prev_hash == GENESIS_HASH
    assert stored.hash == compute_hash(stored)
    assert stored.created_at == event.created_at


def test_the_existing_call_shape_of_accounts_keeps_working() -> None:
    user = ParentFactory()
    registered = audit_record(action="user.registered", actor=user, target=user, data={"role": "parent"})
    failed = audit_record(action="auth.login_failed", data={"reason": "bad_password"})
    assert registered.actor_id == user.pk
    assert (failed.actor_id, failed.target_type, failed.target_id) == (None, "", "")
    assert failed.data == {"reason": "bad_password"}


def test_outside_a_request_there_is_no_ip_nor_request_id() -> None:
    event = audit_record(action="system.cleanup_ran")
    assert (event.ip, event.request_id, event.data) == (None, "", {})


def test_explicit_ip_and_request_id_win_over_the_request_context(request_context: None) -> None:
    event = audit_record(action="payment.refunded", ip="2001:DB8::7", request_id="celery-task-42")
    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.ip, stored.request_id) == ("2001:db8::7", "celery-task-42")


def test_a_malformed_ip_is_dropped_and_a_long_request_id_cut_rather_than_failing_the_change() -> None:
    event = audit_record(action="auth.login_failed", ip="unknown", request_id="r" * 100)
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.ip is None
    assert stored.request_id == "r" * 64


def test_an_anonymous_actor_is_recorded_as_no_actor() -> None:
    event = audit_record(action="auth.login_failed", actor=AnonymousUser())
    assert event.actor_id is None


def test_a_target_can_be_named_without_an_instance() -> None:
    event = audit_record(action="booking.deleted", target_type="bookings.booking", target_id=uuid.UUID(int=7))
    assert (event.target_type, event.target_id) == ("bookings.booking", "00000000-0000-0000-0000-000000000007")
    numeric = audit_record(action="file.purged", target_type="files.upload", target_id=42)
    assert numeric.target_id == "42"


@pytest.mark.parametrize(
    "action", ["", "registered", "User.Registered", "user registered", "user.", ".user", "user..x", "a." + "b" * 63]
)
def test_an_action_must_be_dotted_lower_case_and_short(action: str) -> None:
    with pytest.raises(ValueError, match="dotted"):
        audit_record(action=action)
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"target_type": "accounts.user"},
        {"target_id": "1"},
        {"target_type": "", "target_id": "1"},
        {"target_type": "accounts.user", "target_id": ""},
        {"target_type": "x" * 101, "target_id": "1"},
        {"target_type": "accounts.user", "target_id": "9" * 65},
    ],
)
def test_a_target_needs_both_a_type_and_an_id_that_fit(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        audit_record(action="test.recorded", **kwargs)
    assert not AuditEvent.objects.exists()


def test_a_target_instance_excludes_an_explicit_type_or_id() -> None:
    user = ParentFactory()
    with pytest.raises(ValueError, match="not both"):
        audit_record(action="user.updated", target=user, target_id="other")


def test_an_unsaved_target_has_no_id_to_record() -> None:
    with pytest.raises(ValueError, match="no primary key"):
        audit_record(action="test.recorded", target=AuditEvent())


def test_data_is_stored_as_it_will_be_read_back_and_still_verifies() -> None:
    # given: values jsonb changes on the way (numbers, dates, decimals, NUL)
    data = {
        "amount": Decimal("12.50"),
        "at": dt.datetime(2026, 5, 6, 7, 8, 9, tzinfo=dt.UTC),
        "whole": 1.0,
        "huge": 1e20,
        "tiny": 1e-7,
        "text": "é 😀 a\x00b",
        "nested": {"list": [1, 2.5, None, True]},
    }
    # when
    event = audit_record(action="payment.captured", data=data, ip="::ffff:192.0.2.1")
    # then: the returned event equals the stored row, and the stored row hashes to its hash
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.data == event.data
    assert stored.data["whole"] == 1
    assert stored.data["text"] == "é 😀 a\ufffdb"
    assert stored.ip == event.ip == "192.0.2.1"
    assert compute_hash(stored) == stored.hash
    assert audit_verify() == VerifyResult(ok=True, count=1)


@pytest.mark.parametrize("data", [{"x": float("nan")}, {"x": object()}])
def test_data_json_cannot_carry_is_refused_before_anything_is_written(data: dict[str, Any]) -> None:
    with pytest.raises((ValueError, TypeError)):
        audit_record(action="test.recorded", data=data)
    assert not AuditEvent.objects.exists()


def test_each_event_points_at_the_hash_of_the_one_before() -> None:
    events = [audit_record(action="test.recorded", data={"n": n}) for n in range(4)]
    stored = list(AuditEvent.objects.order_by("id"))
    assert [e.pk for e in stored] == [e.pk for e in events]
    assert stored[0].prev_hash == GENESIS_HASH
    for before, after in itertools.pairwise(stored):
        assert after.prev_hash == before.hash
    assert len({e.hash for e in stored}) == 4


def test_an_event_rolls_back_with_the_change_it_records() -> None:
    created: list[User] = []

    @transaction.atomic
    def register_then_fail() -> None:
        user = ParentFactory()
        created.append(user)
        audit_record(action="user.registered", actor=user, target=user)
        raise RuntimeError("something after the audit write failed")

    # when: a change and its event share a transaction that fails
    with pytest.raises(RuntimeError):
        register_then_fail()
    # then: neither is there, and the chain starts afresh
    assert not User.objects.filter(pk=created[0].pk).exists()
    assert not AuditEvent.objects.exists()
    assert audit_record(action="test.recorded").prev_hash == GENESIS_HASH


def test_a_failed_audit_write_leaves_the_callers_transaction_unable_to_commit() -> None:
    # given: a rogue row that already claims the current head as its predecessor,
    # so the next chained INSERT hits the unique constraint
    head = audit_record(action="test.head")
    AuditEvent(id=-1, action="test.rogue", prev_hash=head.hash, hash="d" * 64).save()
    # when: the caller swallows the audit error and carries on
    with transaction.atomic():
        user = ParentFactory()
        with pytest.raises(IntegrityError):
            audit_record(action="user.registered", actor=user, target=user)
        # then: the transaction can do nothing more, and rolls back at the end
        assert transaction.get_rollback()
        with pytest.raises(TransactionManagementError):
            User.objects.count()
    assert not User.objects.filter(pk=user.pk).exists()


def test_the_http_path_fills_ip_and_request_id_from_the_request() -> None:
    # A failed login goes through RequestIdMiddleware and the accounts service.
    response = APIClient().post(
        "/api/v1/auth/login",
        {"email": "nobody@example.com", "password": "wrong-password"},
        format="json",
        REMOTE_ADDR="198.51.100.4",
        HTTP_X_REQUEST_ID="req-login-7",
    )
    assert response.status_code == 401, response.content
    event = AuditEvent.objects.get(action="auth.login_failed")
    assert (event.ip, event.request_id) == ("198.51.100.4", "req-login-7")


def test_lock_chain_takes_the_advisory_lock_on_postgresql() -> None:
    assert connection.vendor == "postgresql", "the suite runs on PostgreSQL"
    with transaction.atomic():
        lock_chain(connection)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
                " AND ((classid::bigint << 32) | objid::bigint) = %s",
                [CHAIN_LOCK_KEY],
            )
            assert cursor.fetchone() == (1,)


def test_lock_chain_issues_nothing_on_sqlite() -> None:
    class SQLiteConnection:
        """Has no cursor(): touching the database here would raise AttributeError."""

        vendor = "sqlite"

    lock_chain(SQLiteConnection())  # type: ignore[arg-type]


@pytest.mark.django_db(transaction=True)
def test_a_writer_waits_for_the_open_transaction_that_holds_the_chain() -> None:
    recorded, release = threading.Event(), threading.Event()
    results: dict[str, AuditEvent] = {}
    errors: list[BaseException] = []

    def holder() -> None:
        try:
            with transaction.atomic():
                results["first"] = audit_record(action="test.first")
                recorded.set()
                release.wait(10)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    def follower() -> None:
        try:
            recorded.wait(10)
            results["second"] = audit_record(action="test.second")
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    first, second = threading.Thread(target=holder), threading.Thread(target=follower)
    first.start()
    second.start()
    second.join(0.5)
    # then: the second writer is held back while the first transaction is open...
    assert second.is_alive()
    assert "second" not in results
    release.set()
    first.join(10)
    second.join(10)
    # ...and, once it commits, chains onto the first event.
    assert errors == []
    assert results["second"].prev_hash == results["first"].hash
    assert audit_verify() == VerifyResult(ok=True, count=2)


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_produce_one_unbroken_chain() -> None:
    threads, per_thread = 8, 10
    start = threading.Barrier(threads)
    errors: list[BaseException] = []

    def write(thread: int) -> None:
        try:
            start.wait(10)
            for n in range(per_thread):
                audit_record(action="test.concurrent", data={"thread": thread, "n": n})
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    workers = [threading.Thread(target=write, args=(t,)) for t in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)

    assert errors == []
    assert audit_verify() == VerifyResult(ok=True, count=threads * per_thread)
    # Each writer's own events keep their order along the chain.
    for thread in range(threads):
        ns = list(AuditEvent.objects.filter(data__thread=thread).order_by("id").values_list("data__n", flat=True))
        assert ns == list(range(per_thread))

"""audit_verify: an untouched chain passes; any edit, removal or re-hash is caught where it happened."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest
from django.db import connection

from guardiannest.audit import services
from guardiannest.audit.chain import compute_hash
from guardiannest.audit.models import AuditEvent
from guardiannest.audit.services import VerifyResult, audit_record, audit_verify

pytestmark = pytest.mark.django_db

Tamper = Callable[[], AbstractContextManager[None]]


@pytest.fixture
def chain() -> list[AuditEvent]:
    return [audit_record(action="test.recorded", data={"n": n}) for n in range(5)]


def test_an_empty_log_is_a_valid_chain() -> None:
    assert audit_verify() == VerifyResult(ok=True, count=0)


def test_an_untouched_chain_verifies(chain: list[AuditEvent]) -> None:
    assert audit_verify() == VerifyResult(ok=True, count=5)


def test_the_walk_crosses_chunk_boundaries(chain: list[AuditEvent], monkeypatch: pytest.MonkeyPatch) -> None:
    # Small chunks: the chain must carry across fetches, not restart per chunk.
    monkeypatch.setattr(services, "VERIFY_CHUNK_SIZE", 2)
    assert audit_verify() == VerifyResult(ok=True, count=5)


def test_changed_data_is_caught_at_that_event(chain: list[AuditEvent], tamper: Tamper) -> None:
    # when: someone with SQL access rewrites what event 3 says
    with tamper(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET data = '{\"n\": 99}' WHERE id = %s", [chain[2].pk])
    # then
    assert audit_verify() == VerifyResult(ok=False, count=3, broken_id=chain[2].pk, reason="hash")


def test_a_changed_actor_is_caught(chain: list[AuditEvent], tamper: Tamper) -> None:
    with tamper(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_auditevent SET actor_id = '12345678-1234-5678-1234-567812345678' WHERE id = %s",
            [chain[0].pk],
        )
    assert audit_verify() == VerifyResult(ok=False, count=1, broken_id=chain[0].pk, reason="hash")


def test_a_removed_event_is_caught_at_its_successor(chain: list[AuditEvent], tamper: Tamper) -> None:
    with tamper(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [chain[1].pk])
    assert audit_verify() == VerifyResult(ok=False, count=2, broken_id=chain[2].pk, reason="prev_hash")


def test_rehashing_a_forged_event_moves_the_break_to_its_successor(chain: list[AuditEvent], tamper: Tamper) -> None:
    # given: a forger who also recomputes the forged row's own hash
    forged = AuditEvent.objects.get(pk=chain[3].pk)
    forged.data = {"n": 99}
    new_hash = compute_hash(forged)
    with tamper(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_auditevent SET data = '{\"n\": 99}', hash = %s WHERE id = %s", [new_hash, chain[3].pk]
        )
    # then: the next event still names the original hash
    assert audit_verify() == VerifyResult(ok=False, count=5, broken_id=chain[4].pk, reason="prev_hash")

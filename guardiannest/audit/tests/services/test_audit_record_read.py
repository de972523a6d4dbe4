"""A read that repeats (an app polling) is audited once per window per scope, with the count of reads."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection

from accounts.models import User
from guardiannest.audit.models import AuditEvent
from guardiannest.audit.services import audit_record_read, audit_verify

pytestmark = pytest.mark.django_db


def _read(reader: User, scope: str = "booking:1", every: int = 60) -> AuditEvent | None:
    return audit_record_read(action="family.address_read", actor=reader, scope=scope, every=every, target=reader)


def test_one_event_per_window_carrying_the_running_count(sitter: User) -> None:
    first = _read(sitter, every=1)
    repeats = [_read(sitter, every=1) for _ in range(4)]
    time.sleep(1.1)  # the window ends
    later = _read(sitter, every=1)

    assert first is not None and first.data == {"reads": 1, "window_seconds": 1}
    assert repeats == [None] * 4
    assert later is not None and later.data["reads"] == 6  # 4 reads went unrecorded in between
    assert AuditEvent.objects.filter(action="family.address_read").count() == 2
    assert audit_verify().ok


def test_each_scope_has_its_own_window(sitter: User, parent: User) -> None:
    events = [_read(sitter, "booking:1"), _read(sitter, "booking:2"), _read(parent, "booking:1:other")]

    assert all(event is not None for event in events)
    assert _read(sitter, "booking:1") is None


def test_a_window_of_zero_audits_every_read(sitter: User) -> None:
    events = [_read(sitter, every=0) for _ in range(3)]

    assert all(event is not None and "reads" not in event.data for event in events)


@pytest.mark.django_db(transaction=True)
def test_racing_reads_write_one_event(sitter: User) -> None:
    start, results = threading.Barrier(8), []

    def read() -> None:
        try:
            start.wait()
            results.append(_read(sitter))
        finally:
            connection.close()

    threads = [threading.Thread(target=read) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    written = [event for event in results if event is not None]
    assert len(results) == 8 and len(written) == 1
    assert AuditEvent.objects.filter(action="family.address_read").count() == 1

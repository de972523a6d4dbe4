"""manage.py audit_verify: OK with the count, or a non-zero exit naming the broken event."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from guardiannest.audit.services import audit_record

pytestmark = pytest.mark.django_db


def test_an_intact_chain_prints_ok_with_the_count() -> None:
    for n in range(3):
        audit_record(action="test.recorded", data={"n": n})
    out = StringIO()
    call_command("audit_verify", stdout=out)
    assert "OK: 3 audit events" in out.getvalue()


def test_a_broken_chain_exits_non_zero_and_names_the_event(tamper: Callable[[], AbstractContextManager[None]]) -> None:
    # given
    events = [audit_record(action="test.recorded", data={"n": n}) for n in range(3)]
    with tamper(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET action = 'test.forged' WHERE id = %s", [events[1].pk])
    # when
    with pytest.raises(CommandError) as raised:
        call_command("audit_verify", stdout=StringIO())
    # then
    assert raised.value.returncode == 1
    assert f"BROKEN at event {events[1].pk} (hash mismatch)" in str(raised.value)

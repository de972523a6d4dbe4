"""``manage.py payments_reconcile`` and its nightly beat entry."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from celery.schedules import crontab
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import User
from guardiannest.registries import beat_entries
from payments.providers.simulated import SimulatedProvider
from payments.services import payment_authorise, payment_capture
from payments.tasks import payments_reconcile_task

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = StringIO()
    call_command("payments_reconcile", *args, stdout=out)
    return out.getvalue()


def _captured(parent: User, sitter: User) -> str:
    payment = payment_authorise(payer=parent, payee=sitter, amount=5000, reference="b-1", actor=sitter)
    return str(payment_capture(payment=payment, amount=5000, actor=None).provider_intent_id)


def test_the_command_reports_no_drift_and_exits_zero_even_when_strict(parent: User, sitter: User) -> None:
    _captured(parent, sitter)

    assert "1 payments checked" in _run("--strict") and "0 drifted" in _run("--days", "1")
    report = json.loads(_run("--json", "--since", "2020-01-01"))
    assert (report["checked"], report["drifted"], report["drift_amount"], report["payments"]) == (1, 0, 0, [])


def test_drift_is_printed_and_strict_exits_non_zero(parent: User, sitter: User) -> None:
    intent_id = _captured(parent, sitter)
    SimulatedProvider().refund_create(intent_id=intent_id, amount=1200, idempotency_key="made-elsewhere")

    printed = _run()
    assert "DRIFT payment" in printed and "refunded: row 0, provider 1200" in printed
    with pytest.raises(CommandError) as raised:
        _run("--strict")
    assert raised.value.returncode == 3


def test_bad_options_are_refused(parent: User) -> None:
    with pytest.raises(CommandError):
        _run("--since", "yesterday")
    with pytest.raises(CommandError):
        _run("--days", "-1")


def test_the_nightly_beat_runs_the_same_reconciliation(parent: User, sitter: User) -> None:
    intent_id = _captured(parent, sitter)
    SimulatedProvider().refund_create(intent_id=intent_id, amount=300, idempotency_key="made-elsewhere")

    entry = beat_entries.get("payments-reconcile")
    assert entry is not None and entry["task"] == "payments.payments_reconcile"
    assert isinstance(entry["schedule"], crontab)
    assert payments_reconcile_task.apply().get() == {"checked": 1, "drifted": 1, "drift_amount": 300}

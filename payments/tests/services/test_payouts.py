"""Sitter payouts: onboarding, a transfer per booking after capture, accrual until onboarding, refunds after it.

Each flow runs on the simulated provider and on Stripe (localstripe for the
charges, our Connect stand for accounts and transfers, with Idempotency-Key
replay in front of both).
"""

from __future__ import annotations

from typing import Any

import pytest

from accounts.models import User
from conftest import race
from guardiannest.errors import ApplicationError, Refusal
from payments.models import (
    ConnectedAccount,
    LedgerAccount,
    LedgerEntry,
    LedgerKind,
    Payment,
    Transfer,
    TransferStatus,
)
from payments.selectors import earnings_untransferred, ledger_balances, payment_list_to_transfer
from payments.services import (
    connected_account_for,
    payment_refund,
    payout_balance_fetch,
    payout_onboarding_link,
    payouts_release,
    transfer_retry,
    transfer_settle,
    transfers_redrive,
)
from payments.tasks import payouts_release_task, transfer_settle_task
from payments.tests.payout_helpers import captured, onboarded
from payments.tests.stripe_connect import Connect


@pytest.fixture(params=["simulated", "stripe"])
def stack(request: pytest.FixtureRequest, db: Any, settings: Any) -> Connect | None:
    settings.PLATFORM_FEE_PERCENT = 15
    return request.getfixturevalue("connect") if request.param == "stripe" else None


def _tasks(callbacks: list[Any], task: Any) -> list[tuple[Any, ...]]:
    return [callback.args for callback in callbacks if getattr(callback, "func", None) == task.delay]


def _sitter_payable(payment: Payment) -> int:
    return ledger_balances(payment=payment)[LedgerAccount.SITTER_PAYABLE]


# --- onboarding -----------------------------------------------------------------------------------------


def test_onboarding_makes_one_account_and_a_fresh_link_each_time(stack: Connect | None, sitter: User) -> None:
    first = payout_onboarding_link(sitter=sitter)
    again = payout_onboarding_link(sitter=sitter)

    account = ConnectedAccount.objects.get(user=sitter)
    assert (first.account_created, again.account_created) == (True, False)
    assert first.url != again.url and not first.onboarding_complete
    if stack is not None:
        assert list(stack.stand.accounts) == [account.provider_account_id]
        link = stack.stand.links[-1]
        assert (link["type"], link["account"]) == ("account_onboarding", account.provider_account_id)
        assert link["return_url"].endswith("/payouts/onboarding/done")
        assert link["refresh_url"].endswith("/payouts/onboarding/refresh")
        keys = [seen.key for seen in stack.proxy.seen if seen.method == "POST"]
        assert keys[0] == f"connected-account:{sitter.pk}"
        assert len(set(keys[1:])) == 2 and all(key.startswith(f"account-link:{account.pk}:") for key in keys[1:])
    else:
        assert "/api/v1/payments/payouts/simulated-onboarding?token=" in first.url


def test_only_sitters_onboard(stack: Connect | None, parent: User) -> None:
    with pytest.raises(ApplicationError) as refused:
        payout_onboarding_link(sitter=parent)

    assert (refused.value.code, refused.value.refusal) == ("not_a_sitter", Refusal.FORBIDDEN)
    assert not ConnectedAccount.objects.exists()


def test_onboarding_completion_is_read_back_on_demand_and_releases_accrued_earnings(
    stack: Connect | None, parent: User, sitter: User, django_capture_on_commit_callbacks: Any
) -> None:
    # given: two captured bookings before the sitter can be paid
    first = captured(parent, sitter, connect=stack, reference="booking-1")
    second = captured(parent, sitter, connect=stack, reference="booking-2", capture=3000)
    account = connected_account_for(sitter=sitter)
    assert transfer_settle(payment=first) is None  # accrues
    assert earnings_untransferred(sitter=sitter) == (4000 - 600) + (3000 - 450)
    assert payout_balance_fetch(sitter=sitter).pending == 5950

    # when: the sitter finishes onboarding at the provider, and the app asks again
    with django_capture_on_commit_callbacks() as callbacks:
        if stack is not None:
            stack.stand.complete(account.provider_account_id)
        else:
            from payments.providers.simulated import SimulatedProvider

            SimulatedProvider().connected_account_complete(account_id=account.provider_account_id)
        link = payout_onboarding_link(sitter=sitter)
    assert link.onboarding_complete
    assert _tasks(callbacks, payouts_release_task) == [(account.pk,)]
    assert payouts_release(account=account) == 2

    # then: one transfer per booking, grouped by its reference, the platform fee kept
    transfers = {transfer.transfer_group: transfer for transfer in Transfer.objects.all()}
    assert {group: (t.amount, t.status) for group, t in transfers.items()} == {
        "booking-1": (3400, TransferStatus.PAID),
        "booking-2": (2550, TransferStatus.PAID),
    }
    for payment in (first, second):
        assert _sitter_payable(payment) == 0
        balances = ledger_balances(payment=payment)
        assert balances[LedgerAccount.PROVIDER_CLEARING] == -balances[LedgerAccount.PLATFORM_FEES]
    assert earnings_untransferred(sitter=sitter) == 0
    balance = payout_balance_fetch(sitter=sitter)
    assert (balance.available, balance.pending) == (5950, 0)
    if stack is not None:
        sent = stack.stand.transfers_to(account.provider_account_id)
        assert sorted((item["transfer_group"], item["amount"]) for item in sent) == [
            ("booking-1", 3400),
            ("booking-2", 2550),
        ]
        assert all(item["source_transaction"].startswith("ch_") for item in sent)  # funded by the booking's charge
        assert f"transfer:{first.pk}:1" in [seen.key for seen in stack.proxy.seen]
    # and again: nothing more moves
    assert payouts_release(account=account) == 0
    assert LedgerEntry.objects.filter(kind=LedgerKind.TRANSFER).count() == 4


def test_a_capture_for_an_onboarded_sitter_is_transferred_after_commit(
    stack: Connect | None, parent: User, sitter: User, django_capture_on_commit_callbacks: Any
) -> None:
    onboarded(sitter, connect=stack)
    with django_capture_on_commit_callbacks() as callbacks:
        payment = captured(parent, sitter, connect=stack)
    assert not Transfer.objects.exists()  # nothing before the commit
    assert _tasks(callbacks, transfer_settle_task) == [(str(payment.pk),)]

    assert transfer_settle_task.run(str(payment.pk)) == "paid"

    transfer = Transfer.objects.get(payment=payment)
    assert (transfer.amount, transfer.transfer_group, transfer.attempts) == (3400, "booking-1", 1)
    assert transfer_settle_task.run(str(payment.pk)) == "paid"  # twice: nothing more
    assert LedgerEntry.objects.filter(payment=payment, kind=LedgerKind.TRANSFER).count() == 2


# --- refunds and transfers ------------------------------------------------------------------------------


def test_a_refund_before_the_transfer_leaves_only_the_net_to_transfer(
    stack: Connect | None, parent: User, sitter: User
) -> None:
    payment = captured(parent, sitter, connect=stack)  # 4000, fee 600
    payment_refund(payment=payment, amount=1000, actor=parent)  # fee share back: 150
    onboarded(sitter, connect=stack)

    transfer = transfer_settle(payment=payment)

    assert transfer is not None and transfer.amount == 4000 - 1000 - (600 - 150)
    assert _sitter_payable(payment) == 0


def test_a_refund_after_the_transfer_reverses_the_sitters_part(
    stack: Connect | None, parent: User, sitter: User, django_capture_on_commit_callbacks: Any
) -> None:
    onboarded(sitter, connect=stack)
    payment = captured(parent, sitter, connect=stack)
    transfer = transfer_settle(payment=payment)
    assert transfer is not None and transfer.amount == 3400

    with django_capture_on_commit_callbacks() as callbacks:
        payment_refund(payment=payment, amount=1000, actor=parent)
    assert _sitter_payable(payment) == 850  # the sitter holds 850 more than their share until the reversal
    assert _tasks(callbacks, transfer_settle_task) == [(str(payment.pk),)]
    transfer_settle(payment=payment)

    transfer.refresh_from_db()
    assert (transfer.reversed_amount, transfer.status) == (850, TransferStatus.PAID)
    assert _sitter_payable(payment) == 0
    payment_refund(payment=payment, amount=None, actor=parent)  # the rest
    transfer_settle(payment=payment)
    transfer.refresh_from_db()
    assert (transfer.reversed_amount, transfer.status) == (3400, TransferStatus.REVERSED)
    balances = ledger_balances(payment=payment)
    assert {account: value for account, value in balances.items() if value} == {}  # all back where it started
    if stack is not None:
        [sent] = stack.stand.transfers.values()
        assert [item["amount"] for item in sent["reversals"]] == [850, 2550]
        assert payout_balance_fetch(sitter=sitter).available == 0


# --- failures, retries, races ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_refused_transfer_is_failed_until_staff_retry_it(
    connect: Connect, parent: User, sitter: User, staff: User
) -> None:
    account = onboarded(sitter, connect=connect)
    payment = captured(parent, sitter, connect=connect)
    connect.stand.restrict(account.provider_account_id)  # Stripe paused the account; we have not heard yet

    transfer = transfer_settle(payment=payment)

    assert transfer is not None
    assert (transfer.status, transfer.last_error_code, transfer.attempts) == (
        "failed",
        "insufficient_capabilities_for_transfer",
        1,
    )
    assert _sitter_payable(payment) == -3400  # still owed
    assert list(payment_list_to_transfer()) == []  # the re-drive leaves it to staff
    assert transfer_settle(payment=payment).attempts == 1  # type: ignore[union-attr]

    connect.stand.complete(account.provider_account_id)
    retried = transfer_retry(transfer=transfer, actor=staff)

    assert retried is not None and (retried.status, retried.attempts, retried.last_error_code) == ("paid", 2, "")
    assert f"transfer:{payment.pk}:2" in [seen.key for seen in connect.proxy.seen]
    with pytest.raises(ApplicationError) as refused:
        transfer_retry(transfer=retried, actor=staff)
    assert refused.value.code == "transfer_not_failed"


@pytest.mark.django_db
def test_an_outage_moves_nothing_and_the_retry_uses_the_same_key(
    connect: Connect, parent: User, sitter: User, settings: Any
) -> None:
    onboarded(sitter, connect=connect)
    payment = captured(parent, sitter, connect=connect)
    working = settings.STRIPE_API_BASE
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nobody listens

    with pytest.raises(ApplicationError) as refused:
        transfer_settle(payment=payment)

    assert refused.value.code == "payment_provider_unavailable"
    assert not Transfer.objects.exists()
    settings.STRIPE_API_BASE = working
    assert transfers_redrive() == 1
    assert Transfer.objects.get(payment=payment).status == "paid"
    assert [seen.key for seen in connect.proxy.seen if "/v1/transfers" in seen.path] == [f"transfer:{payment.pk}:1"]


@pytest.mark.django_db(transaction=True)
def test_twenty_simultaneous_settlements_transfer_once(connect: Connect, parent: User, sitter: User) -> None:
    account = onboarded(sitter, connect=connect)
    payment = captured(parent, sitter, connect=connect)

    results = race(20, lambda: transfer_settle(payment=payment))

    assert [result for result in results if isinstance(result, BaseException)] == []
    assert len(connect.stand.transfers_to(account.provider_account_id)) == 1
    assert len(connect.proxy.forwarded("/v1/transfers")) == 1
    assert Transfer.objects.get(payment=payment).amount == 3400
    assert LedgerEntry.objects.filter(payment=payment, kind=LedgerKind.TRANSFER).count() == 2
    assert _sitter_payable(payment) == 0


@pytest.mark.django_db(transaction=True)
def test_two_workers_releasing_one_sitters_earnings_transfer_each_once(
    connect: Connect, parent: User, sitter: User
) -> None:
    payments = [captured(parent, sitter, connect=connect, reference=f"booking-{n}") for n in range(3)]
    account = onboarded(sitter, connect=connect)

    results = race(2, lambda: payouts_release(account=account))

    assert [result for result in results if isinstance(result, BaseException)] == []
    assert sorted(item["transfer_group"] for item in connect.stand.transfers_to(account.provider_account_id)) == [
        "booking-0",
        "booking-1",
        "booking-2",
    ]
    assert all(_sitter_payable(payment) == 0 for payment in payments)


@pytest.mark.django_db(transaction=True)
def test_racing_first_onboarding_requests_make_one_account(connect: Connect, sitter: User) -> None:
    results = race(5, lambda: payout_onboarding_link(sitter=sitter))

    assert [result for result in results if isinstance(result, BaseException)] == []
    assert ConnectedAccount.objects.filter(user=sitter).count() == 1
    assert len(connect.stand.accounts) == 1  # one key, one provider account: the others were replays
    creates = [seen for seen in connect.proxy.seen if (seen.method, seen.path) == ("POST", "/v1/accounts")]
    assert len([seen for seen in creates if seen.forwarded]) == 1  # any others were answered from the key

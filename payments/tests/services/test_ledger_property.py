"""Property: whatever happens to a payment, in any order, the ledger balances and mirrors the payment.

Random flows (authorise, then captures, releases and refunds of random
amounts, many of them refused) run through the real services on the simulated
provider. After every step: each ledger transaction balances; per payment the
accounts add up to zero; the card hold is the authorised amount exactly while
authorised; the provider holds what was captured less what was refunded; and
the sitter's and the platform's shares are the capture less the refunds, fee
for fee. Transfers to the sitter (before or after their onboarding, before or
after refunds, which then reverse part of them) move the sitter's share out of
the provider's balance: what the ledger still owes the sitter is always their
share less what their connected account holds of this payment, and nothing
once a settlement ran with the sitter onboarded.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.db.models import Q, Sum
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from accounts.models import User
from guardiannest.errors import ApplicationError
from payments.fees import platform_fee, sitter_share
from payments.models import (
    ConnectedAccount,
    LedgerAccount,
    LedgerEntry,
    LedgerSide,
    Payment,
    PaymentStatus,
    Transfer,
    TransferStatus,
)
from payments.providers.simulated import SimulatedProvider
from payments.selectors import ledger_balances
from payments.services import (
    connected_account_for,
    connected_account_refresh,
    payment_authorise,
    payment_capture,
    payment_refund,
    payment_release,
    transfer_settle,
)

pytestmark = pytest.mark.django_db

STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("capture"), st.integers(min_value=-10, max_value=120_000)),
        st.tuples(st.just("refund"), st.one_of(st.none(), st.integers(min_value=-10, max_value=120_000))),
        st.tuples(st.just("release"), st.none()),
        st.tuples(st.just("authorise"), st.none()),
        st.tuples(st.just("transfer"), st.none()),
        st.tuples(st.just("onboard"), st.none()),
    ),
    max_size=10,
)


def _step(payment: Payment, step: tuple[str, Any], parent: User, sitter: User) -> None:
    name, amount = step
    try:
        if name == "capture":
            payment_capture(payment=payment, amount=amount, actor=parent)
        elif name == "refund":
            payment_refund(payment=payment, amount=amount, actor=parent)
        elif name == "release":
            payment_release(payment=payment, actor=parent)
        elif name == "transfer":
            transfer = transfer_settle(payment=payment)
            event(f"transfer: {'none' if transfer is None else transfer.status}")
            if transfer is not None and transfer.reversed_amount:
                event("transfer: partly or wholly reversed")
        elif name == "onboard":
            SimulatedProvider().connected_account_complete(
                account_id=connected_account_for(sitter=sitter).provider_account_id
            )
            connected_account_refresh(account=connected_account_for(sitter=sitter))
        else:
            payment_authorise(
                payer=payment.payer, payee=sitter, amount=payment.amount, reference=payment.reference, actor=sitter
            )
    except ApplicationError:
        pass  # a refused step must leave everything as it was: the checks below say so


def _check(payment: Payment, *, settled: bool = False) -> None:
    per_transaction = LedgerEntry.objects.values("transaction_id").annotate(
        debits=Sum("amount", filter=Q(side=LedgerSide.DEBIT), default=0),
        credits=Sum("amount", filter=Q(side=LedgerSide.CREDIT), default=0),
    )
    assert [row for row in per_transaction if row["debits"] != row["credits"]] == []
    payment.refresh_from_db()
    balances = ledger_balances(payment=payment)
    net = payment.captured_amount - payment.refunded_amount
    # The platform keeps its fee in proportion to what is kept, rounded up (refunds give back rounded down).
    fee_kept = -(-payment.fee_amount * net // payment.captured_amount) if payment.captured_amount else 0
    assert sum(balances.values()) == 0
    assert balances[LedgerAccount.PARENT_CARD_HOLD] == (
        payment.amount if payment.status == PaymentStatus.AUTHORISED else 0
    )
    transfer = Transfer.objects.filter(payment=payment).first()
    sent = transfer.amount - transfer.reversed_amount if transfer and transfer.status != TransferStatus.FAILED else 0
    share = sitter_share(captured=payment.captured_amount, fee=payment.fee_amount, refunded=payment.refunded_amount)
    assert balances[LedgerAccount.PROVIDER_CLEARING] == net - sent
    assert balances[LedgerAccount.SITTER_PAYABLE] + balances[LedgerAccount.PLATFORM_FEES] == -(net - sent)
    assert balances[LedgerAccount.SITTER_PAYABLE] == -(share - sent)
    account = ConnectedAccount.objects.filter(user=payment.payee).first()
    if settled and account is not None and account.payouts_ready:
        assert balances[LedgerAccount.SITTER_PAYABLE] == 0, "a settlement leaves nothing owed either way"
    assert balances[LedgerAccount.PLATFORM_FEES] == -fee_kept
    assert payment.fee_amount == (platform_fee(payment.captured_amount) if payment.captured_amount else 0)
    assert sum(ledger_balances().values()) == 0


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(amount=st.integers(min_value=1, max_value=100_000), fee_percent=st.sampled_from([0, 7.5, 15, 100]), steps=STEPS)
def test_the_ledger_balances_over_random_flows(
    parent: User, sitter: User, settings: Any, amount: int, fee_percent: float, steps: list[tuple[str, Any]]
) -> None:
    settings.PLATFORM_FEE_PERCENT = fee_percent
    payment = payment_authorise(payer=parent, payee=sitter, amount=amount, reference=str(uuid.uuid4()), actor=sitter)
    assert payment.status == PaymentStatus.AUTHORISED
    _check(payment)
    for step in steps:
        _step(payment, step, parent, sitter)
        _check(payment, settled=step[0] == "transfer")

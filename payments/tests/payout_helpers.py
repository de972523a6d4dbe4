"""Getting a payment captured and a sitter onboarded, on the simulated provider or on Stripe (Connect stand)."""

from __future__ import annotations

from accounts.models import User
from payments.models import ConnectedAccount, Payment, PaymentStatus
from payments.providers.simulated import SimulatedProvider
from payments.services import (
    connected_account_for,
    connected_account_refresh,
    customer_for,
    payment_authorise,
    payment_capture,
)
from payments.tests.stripe_connect import Connect


def captured(
    parent: User,
    sitter: User,
    *,
    connect: Connect | None = None,
    amount: int = 5000,
    capture: int = 4000,
    reference: str = "booking-1",
) -> Payment:
    if connect is not None:
        connect.localstripe.card_save(customer_for(parent=parent).provider_customer_id)
    payment = payment_authorise(payer=parent, payee=sitter, amount=amount, reference=reference, actor=sitter)
    assert payment.status == PaymentStatus.AUTHORISED
    return payment_capture(payment=payment, amount=capture, actor=parent)


def onboarded(sitter: User, *, connect: Connect | None = None) -> ConnectedAccount:
    """The sitter's account, with onboarding finished on the provider's side and read back by us."""
    account = connected_account_for(sitter=sitter)
    if connect is not None:
        connect.stand.complete(account.provider_account_id)
    else:
        SimulatedProvider().connected_account_complete(account_id=account.provider_account_id)
    account = connected_account_refresh(account=account)
    assert account.payouts_ready
    return account

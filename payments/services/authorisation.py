"""Authorising a payment on the parent's saved card, and releasing the authorisation.

``payment_authorise`` is what bookings calls when a sitter accepts. It
commits the payment row first, then confirms the PaymentIntent in a second
transaction under the row lock, with the idempotency key of that attempt
(``payment:<id>:authorise:<n>``): a timeout or a crash after the provider
said yes is retried with the same key and gets the same intent, never a
second hold on the card.
"""

from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Role, User
from guardiannest.errors import ApplicationError, invalid
from payments.errors import PaymentError
from payments.handlers import PaymentEvent
from payments.models import MAX_AMOUNT, Payment, PaymentStatus
from payments.models.payments import CLOSED
from payments.providers import payment_provider
from payments.providers.base import Intent, IntentStatus, ProviderDeclined, ProviderRefused, ProviderUnavailable
from payments.services.calls import provider_call, unavailable
from payments.services.cards import customer_for, payment_methods_sync
from payments.services.state import payment_apply_intent, payment_transition

# A payment in one of these has nothing left to authorise: authorising again answers it as it is.
_AUTHORISE_DONE = (PaymentStatus.REQUIRES_ACTION, PaymentStatus.AUTHORISED)


def _open_payment(reference: str) -> Payment | None:
    return Payment.objects.select_for_update().filter(reference=reference).exclude(status__in=CLOSED).first()


def _payment_for(*, payer: User, payee: User, amount: int, reference: str) -> Payment:
    """The open payment of ``reference`` (it must be for the same payer, payee and amount), or a new one."""
    with transaction.atomic():
        payment = _open_payment(reference)
        if payment is None:
            try:
                with transaction.atomic():
                    return Payment.objects.create(
                        payer=payer,
                        payee=payee,
                        amount=amount,
                        currency=settings.PLATFORM_CURRENCY,
                        reference=reference,
                        provider=payment_provider().name,
                    )
            except IntegrityError:  # a concurrent authorisation of the same reference made it first
                payment = _open_payment(reference)
                assert payment is not None
        if (payment.payer_id, payment.payee_id, payment.amount) != (payer.pk, payee.pk, amount):
            raise ApplicationError(PaymentError.PAYMENT_EXISTS, "This reference already has another payment.")
        return payment


def payment_authorise(*, payer: User, payee: User, amount: int, reference: str, actor: User | None) -> Payment:
    """Hold ``amount`` on the payer's newest saved card for ``reference``; answer the payment.

    The answer's status says how it went: ``authorised``; ``requires_action``
    (the bank wants the parent to approve: ``client_secret`` is kept for them);
    ``requires_payment_method`` (no card, or declined: add a card and call
    again, which makes a new attempt); ``failed`` (the provider refused the
    payment itself). A payment already authorised, captured or awaiting the
    parent is answered as it is; a released or failed one is followed by a
    new payment. Provider outages raise (503) and may be retried as they are.
    """
    if not 0 < amount <= MAX_AMOUNT:
        raise invalid("amount", f"Between 1 and {MAX_AMOUNT} minor units.", PaymentError.AMOUNT_INVALID)
    if payer.role != Role.PARENT:
        raise ApplicationError(PaymentError.NOT_A_PARENT, "Only parents pay.")
    payment = _payment_for(payer=payer, payee=payee, amount=amount, reference=reference)
    if payment.status != PaymentStatus.REQUIRES_PAYMENT_METHOD:
        return payment
    customer = customer_for(parent=payer)
    method = customer.methods.order_by("-created_at", "-pk").first()
    if method is None:
        method = next(iter(payment_methods_sync(customer=customer)), None)
    provider = payment_provider()
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if payment.status != PaymentStatus.REQUIRES_PAYMENT_METHOD:
            return payment  # a concurrent call got there first
        if method is None:
            payment.last_error_code = "no_payment_method"
            payment.save(update_fields=["last_error_code", "updated_at"])
            return payment
        attempt = payment.attempts + 1
        try:
            intent = provider.intent_authorise(
                customer_id=customer.provider_customer_id,
                card_id=method.provider_method_id,
                amount=payment.amount,
                currency=payment.currency,
                reference=payment.reference,
                idempotency_key=f"payment:{payment.pk}:authorise:{attempt}",
            )
        except ProviderUnavailable as exc:
            raise unavailable(exc) from exc
        except ProviderDeclined as exc:  # the parent may add another card and try again
            intent = Intent(
                id=payment.provider_intent_id or "",
                status=IntentStatus.REQUIRES_PAYMENT_METHOD,
                amount=payment.amount,
                currency=payment.currency,
                error_code=exc.code or "card_declined",
            )
        except ProviderRefused as exc:
            payment.attempts, payment.last_error_code = attempt, exc.code or "refused"
            error = {"error": payment.last_error_code}
            return payment_transition(
                payment=payment, status=PaymentStatus.FAILED, event=PaymentEvent.FAILED, actor=actor, data=error
            )
        # A declined attempt's intent holds nothing; the new attempt has an intent of its own.
        payment.attempts, payment.payment_method = attempt, method
        payment_apply_intent(payment=payment, intent=intent, actor=actor, new_attempt=True)
        return payment


def payment_release(*, payment: Payment, actor: User | None) -> Payment:
    """Give the authorisation back: nothing is taken. A released payment is answered as it is.

    Captured money is not released but refunded (409). A payment still waiting
    for a card or for the parent is closed too, so nothing can be taken later.
    """
    provider = payment_provider()
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if payment.status in CLOSED:
            return payment
        if payment.status not in (*_AUTHORISE_DONE, PaymentStatus.REQUIRES_PAYMENT_METHOD):
            raise ApplicationError(PaymentError.NOT_AUTHORISED, "Captured money is refunded, not released.")
        if not payment.provider_intent_id:  # never reached the provider: nothing is held
            payment.released_at = timezone.now()
            return payment_transition(
                payment=payment, status=PaymentStatus.RELEASED, event=PaymentEvent.RELEASED, actor=actor
            )
        intent_id, key = payment.provider_intent_id, f"payment:{payment.pk}:release"
        try:
            intent = provider.intent_cancel(intent_id=intent_id, idempotency_key=key)
        except ProviderUnavailable as exc:
            raise unavailable(exc) from exc
        except ProviderRefused:
            # The intent moved on without us (captured elsewhere, expired): record where it is now.
            intent = provider_call(lambda: provider.intent_retrieve(intent_id=intent_id))
        payment_apply_intent(payment=payment, intent=intent, actor=actor)
    if payment.status not in CLOSED:  # raised after the commit, so what we learnt is kept
        raise ApplicationError(PaymentError.NOT_AUTHORISED, f"The payment cannot be released: it is {payment.status}.")
    return payment

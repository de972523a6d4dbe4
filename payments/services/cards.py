"""A parent's provider customer and saved cards: set up with a SetupIntent, listed, removed.

Cards are saved by the app with Stripe.js and the SetupIntent's client
secret; the provider then reports them (``setup_intent.succeeded``,
``payment_method.attached``), and :func:`payment_methods_sync` mirrors the
provider's list into our table. Removing detaches at the provider first.
"""

from __future__ import annotations

import uuid

from django.db import IntegrityError, transaction

from accounts.models import Role, User
from guardiannest.audit.services import audit_record
from guardiannest.errors import ApplicationError
from payments.errors import PaymentError
from payments.models import PaymentCustomer, PaymentMethod
from payments.providers import payment_provider
from payments.providers.base import SetupSession
from payments.services.calls import provider_call


def _require_parent(user: User) -> None:
    if user.role != Role.PARENT:
        raise ApplicationError(PaymentError.NOT_A_PARENT, "Only parents save cards and pay.")


def customer_for(*, parent: User) -> PaymentCustomer:
    """The parent's customer at the configured provider, created there on first need.

    The idempotency key is the parent's, so two first requests racing get one
    provider customer, and the unique constraint keeps one row. A new customer
    may come with cards (the simulated provider's test card): they are listed
    at once.
    """
    _require_parent(parent)
    provider = payment_provider()
    existing = PaymentCustomer.objects.filter(user=parent, provider=provider.name).first()
    if existing is not None:
        return existing
    customer_id = provider_call(
        lambda: provider.customer_create(
            email=parent.email, user_id=str(parent.pk), idempotency_key=f"customer:{parent.pk}"
        )
    )
    try:
        with transaction.atomic():
            customer = PaymentCustomer.objects.create(
                user=parent, provider=provider.name, provider_customer_id=customer_id
            )
            audit_record(action="payment.customer_created", actor=parent, target=customer)
    except IntegrityError:
        return PaymentCustomer.objects.get(user=parent, provider=provider.name)
    payment_methods_sync(customer=customer)
    return customer


def payment_method_setup(*, parent: User) -> SetupSession:
    """A SetupIntent the app confirms with Stripe.js to save a card for later, off-session payments."""
    customer = customer_for(parent=parent)
    provider = payment_provider()
    # One logical operation per request; the SDK's own retries reuse the key.
    key = f"setup:{customer.pk}:{uuid.uuid4()}"
    return provider_call(
        lambda: provider.setup_session_create(customer_id=customer.provider_customer_id, idempotency_key=key)
    )


def payment_methods_sync(*, customer: PaymentCustomer) -> list[PaymentMethod]:
    """Mirror the provider's cards of ``customer`` into our table; return them, newest first."""
    provider = payment_provider()
    cards = provider_call(lambda: provider.cards_list(customer_id=customer.provider_customer_id))
    with transaction.atomic():
        PaymentCustomer.objects.select_for_update().get(pk=customer.pk)  # one sync of a customer at a time
        for card in cards:
            PaymentMethod.objects.update_or_create(
                customer=customer,
                provider_method_id=card.id,
                defaults={
                    "brand": card.brand,
                    "last4": card.last4,
                    "exp_month": card.exp_month,
                    "exp_year": card.exp_year,
                },
            )
        customer.methods.exclude(provider_method_id__in=[card.id for card in cards]).delete()
    return list(customer.methods.order_by("-created_at", "-pk"))


def payment_method_remove(*, method: PaymentMethod, actor: User) -> None:
    """Detach the card at the provider, then forget it (a payment that used it keeps its own record)."""
    provider = payment_provider()
    provider_call(
        lambda: provider.card_detach(
            card_id=method.provider_method_id, idempotency_key=f"payment-method:{method.pk}:detach"
        )
    )
    with transaction.atomic():
        PaymentMethod.objects.filter(pk=method.pk).delete()
        audit_record(
            action="payment.method_removed",
            actor=actor,
            target_type=PaymentMethod._meta.label_lower,
            target_id=method.pk,
            data={"last4": method.last4},
        )

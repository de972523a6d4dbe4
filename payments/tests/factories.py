"""Payment rows for tests that need one in a given state without walking the provider there."""

from __future__ import annotations

import uuid

import factory

from accounts.tests.factories import ParentFactory, SitterFactory
from payments.models import Payment, PaymentStatus


class PaymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Payment

    payer = factory.SubFactory(ParentFactory)
    payee = factory.SubFactory(SitterFactory)
    reference = factory.LazyFunction(lambda: str(uuid.uuid4()))
    amount = 5000
    currency = "eur"
    status = PaymentStatus.REQUIRES_PAYMENT_METHOD
    provider = "simulated"

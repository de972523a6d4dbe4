"""Which payment provider serves this deployment: Stripe when its key is set, the simulated one otherwise."""

from __future__ import annotations

from django.conf import settings

from payments.providers.base import PaymentProvider


def payment_provider() -> PaymentProvider:
    """Read at each call, so a test (or a settings change) switches provider without restarting."""
    if settings.STRIPE_SECRET_KEY:
        from payments.stripe_client import StripeProvider

        return StripeProvider()
    from payments.providers.simulated import SimulatedProvider

    return SimulatedProvider()

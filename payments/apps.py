from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    """Payment providers (Stripe, simulated), intents, captures, refunds, payouts, webhooks, ledger."""

    name = "payments"
    verbose_name = "Payments"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported so workers register the tasks.
        # Notifications: receipts, refunds and payouts.
        from celery.schedules import crontab
        from django.conf import settings

        from guardiannest.registries import beat_entries
        from messaging.kinds import Category, Channel, Kind, register
        from payments import tasks  # noqa: F401

        email, push = Channel.EMAIL, Channel.PUSH
        needs, data = ("amount", "payment_id"), ("payment_id",)
        register(
            Kind("payment.receipt", Category.PAYMENT, frozenset({email}), needs, data),
            Kind("payment.refund", Category.PAYMENT, frozenset({email, push}), needs, data),
            Kind("payment.payout", Category.PAYMENT, frozenset({email, push}), ("amount",), ("payout_id",)),
        )
        # Nightly: the ledger and our rows against the provider (drift to the metrics and the log).
        beat_entries.register(
            "payments-reconcile",
            {
                "task": "payments.payments_reconcile",
                "schedule": crontab(minute=17, hour=settings.PAYMENTS_RECONCILE_HOUR),
            },
        )
        # Authorisations nearing the provider's 7-day limit are renewed (or the booking is told).
        beat_entries.register(
            "payments-reauthorise-due",
            {
                "task": "payments.payments_reauthorise_due",
                "schedule": float(settings.PAYMENTS_REAUTHORISE_EVERY_SECONDS),
            },
        )

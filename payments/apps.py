from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    """Payment providers (Stripe, simulated), intents, captures, refunds, payouts, webhooks, ledger."""

    name = "payments"
    verbose_name = "Payments"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported so workers register the tasks.
        # Notifications: receipts, refunds and payouts.
        from messaging.kinds import Category, Channel, Kind, register
        from payments import tasks  # noqa: F401

        email, push = Channel.EMAIL, Channel.PUSH
        needs, data = ("amount", "payment_id"), ("payment_id",)
        register(
            Kind("payment.receipt", Category.PAYMENT, frozenset({email}), needs, data),
            Kind("payment.refund", Category.PAYMENT, frozenset({email, push}), needs, data),
            Kind("payment.payout", Category.PAYMENT, frozenset({email, push}), ("amount",), ("payout_id",)),
        )

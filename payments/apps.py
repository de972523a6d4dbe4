from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    """Payment providers (Stripe, simulated), intents, captures, refunds, payouts, webhooks, ledger."""

    name = "payments"
    verbose_name = "Payments"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported so workers register the tasks.
        from payments import tasks  # noqa: F401

from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    """Payment provider adapters (Stripe, simulated), intents, captures, refunds, payouts, webhooks, ledger, receipts."""

    name = "payments"
    verbose_name = "Payments"
    default_auto_field = "django.db.models.BigAutoField"

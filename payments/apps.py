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

        from guardiannest.registries import beat_entries, gdpr_erasers, gdpr_exporters
        from messaging.kinds import Category, Channel, Kind, register
        from payments import tasks  # noqa: F401

        email, push = Channel.EMAIL, Channel.PUSH
        needs, data = ("amount", "payment_id"), ("payment_id",)
        register(
            Kind("payment.receipt", Category.PAYMENT, frozenset({email}), needs, data),
            Kind("payment.refund", Category.PAYMENT, frozenset({email, push}), needs, data),
            Kind("payment.payout", Category.PAYMENT, frozenset({email, push}), ("amount",), ("payout_id",)),
        )

        # GDPR: a copy of the user's payments, cards, earnings and transfers; erasure keeps the money records.
        # Payouts: whatever transfers a lost task or an outage left owed are settled again.
        from payments.services.gdpr import payments_erase, payments_export

        gdpr_exporters.register("payments", payments_export)
        gdpr_erasers.register("payments", payments_erase)
        beat_entries.register("payments-transfers-redrive", {"task": "payments.transfers_redrive", "schedule": 600.0})
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
        # The last reconciliation's drift, for /metrics of whichever process Prometheus scrapes.
        from guardiannest.registries import metric_collectors
        from payments.metrics import payments_by_status_metrics, reconciliation_metrics

        metric_collectors.register("payments.reconciliation", reconciliation_metrics)
        metric_collectors.register("payments.by_status", payments_by_status_metrics)

        # The admin home: open disputes and today's revenue (payments/dashboard.py).
        from payments.dashboard import dashboard_register

        dashboard_register()
        # Staff roles: finance moves money: refunds and transfer retries (refund_payment), payment disputes
        # (handle_dispute).
        from guardiannest.registries import staff_role_permissions

        staff_role_permissions.register(
            "payments",
            {
                "support": (
                    "payments.view_payment",
                    "payments.view_refund",
                    "payments.view_disputecase",
                    "payments.view_transfer",
                ),
                "finance": (
                    "payments.view_paymentcustomer",
                    "payments.view_paymentmethod",
                    "payments.view_payment",
                    "payments.view_refund",
                    "payments.view_disputecase",
                    "payments.view_providerevent",
                    "payments.view_ledgerentry",
                    "payments.view_connectedaccount",
                    "payments.view_transfer",
                    "payments.view_transferreversal",
                    "payments.refund_payment",
                    "payments.handle_dispute",
                ),
            },
        )

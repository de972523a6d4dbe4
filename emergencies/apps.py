from django.apps import AppConfig


class EmergenciesConfig(AppConfig):
    """SOS alerts and bookings' safety-timer alerts, on one escalation ladder."""

    name = "emergencies"
    verbose_name = "Emergencies"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Every emergency task runs on the critical queue, served by its own worker: an SOS never waits
        # behind a batch job. Registered before the first task exists, so none can land elsewhere.
        from guardiannest.registries import QUEUE_CRITICAL, task_routes

        task_routes.register("emergencies.*", QUEUE_CRITICAL)

        # An SOS goes out on every channel, wakes a sleeping phone, and is delivered from the critical queue.
        from messaging.kinds import Category, Channel, Kind, register

        register(
            Kind(
                "emergency.raised",
                Category.EMERGENCY,
                frozenset({Channel.EMAIL, Channel.PUSH, Channel.SMS}),
                required=("emergency_id", "raised_by"),
                data_keys=("emergency_id", "booking_id"),
                priority="high",
                queue=QUEUE_CRITICAL,
            ),
            # A rung of the escalation ladder (emergencies/ladder.py): nobody has answered yet.
            Kind(
                "emergency.escalated",
                Category.EMERGENCY,
                frozenset({Channel.EMAIL, Channel.PUSH, Channel.SMS}),
                required=("emergency_id", "raised_by"),
                data_keys=("emergency_id", "booking_id"),
                priority="high",
                queue=QUEUE_CRITICAL,
            ),
        )

        # A booking's safety timers (a missed check-in, a parent overdue) open an alert of their own kind on the
        # same ladder, worded as what happened rather than as a panic SOS (templates/notifications/emergency.<kind>/;
        # "still unanswered" on the escalations, whose context has step > 0).
        timer = ("emergency_id", "sitter_name", "parent_name", "starts_at", "ends_at")
        every = frozenset({Channel.EMAIL, Channel.PUSH, Channel.SMS})
        ids = ("emergency_id", "booking_id")
        register(
            Kind(
                "emergency.missed_check_in",
                Category.EMERGENCY,
                every,
                timer,
                ids,
                priority="high",
                queue=QUEUE_CRITICAL,
            ),
            Kind(
                "emergency.parent_overdue", Category.EMERGENCY, every, timer, ids, priority="high", queue=QUEUE_CRITICAL
            ),
        )
        # Bookings (below us) decide when a timer fires and when its reason is gone; we open and resolve its alert.
        from bookings.tracking.alerts import SafetyAlerter, safety_alerters
        from emergencies.services.timers import emergency_timer_raise, emergency_timer_resolve

        safety_alerters.register(
            "emergencies", SafetyAlerter(raise_=emergency_timer_raise, resolve=emergency_timer_resolve)
        )

        # The tasks module is imported so the worker registers its tasks whatever autodiscovery looks at;
        # beat re-drives ladder steps whose task was lost (a dead worker, a Redis restart).
        from django.conf import settings

        from emergencies import tasks  # noqa: F401
        from emergencies.services import emergencies_export
        from guardiannest.registries import beat_entries, gdpr_exporters

        beat_entries.register(
            "emergencies-escalation-redrive",
            {"task": "emergencies.escalation_redrive", "schedule": float(settings.EMERGENCY_REDRIVE_SECONDS)},
        )
        gdpr_exporters.register("emergencies", emergencies_export)

        # The alert rule SOSNotAcknowledged reads these at each scrape of /metrics (deploy/prometheus/alerts.yml).
        from emergencies.selectors import emergency_unacknowledged_figures
        from guardiannest.observability import sos_unacknowledged_metrics
        from guardiannest.registries import metric_collectors

        metric_collectors.register(
            "emergencies.sos", lambda: sos_unacknowledged_metrics(**emergency_unacknowledged_figures())
        )

        # The admin home: active alerts first, live (emergencies/dashboard.py).
        from emergencies.dashboard import dashboard_register

        dashboard_register()
        # Staff roles: support watches the live SOS and acknowledges and resolves alerts (the emergency's change
        # permission).
        from guardiannest.registries import staff_role_permissions

        staff_role_permissions.register(
            "emergencies",
            {
                "support": (
                    "emergencies.view_emergency",
                    "emergencies.change_emergency",
                    "emergencies.view_escalationstep",
                    "emergencies.view_emergencyresponse",
                ),
            },
        )

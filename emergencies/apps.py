from django.apps import AppConfig


class EmergenciesConfig(AppConfig):
    """SOS alerts, escalation and live location tracking."""

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
        )

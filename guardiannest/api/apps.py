from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "guardiannest.api"
    label = "api"
    verbose_name = "API conventions"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from celery.schedules import crontab

        from guardiannest.api import schema  # noqa: F401  registers the OpenAPI extension
        from guardiannest.registries import beat_entries

        beat_entries.register(
            "purge-idempotency-records", {"task": "api.idempotency_purge_expired", "schedule": crontab(minute=23)}
        )

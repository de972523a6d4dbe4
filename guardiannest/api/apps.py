from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "guardiannest.api"
    label = "api"
    verbose_name = "API conventions"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from guardiannest.api import schema  # noqa: F401  registers the OpenAPI extension

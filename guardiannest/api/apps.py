from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "guardiannest.api"
    label = "api"
    verbose_name = "API conventions"
    default_auto_field = "django.db.models.BigAutoField"

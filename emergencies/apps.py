from django.apps import AppConfig


class EmergenciesConfig(AppConfig):
    """SOS alerts, escalation and live location tracking."""

    name = "emergencies"
    verbose_name = "Emergencies"
    default_auto_field = "django.db.models.BigAutoField"

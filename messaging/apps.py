from django.apps import AppConfig


class MessagingConfig(AppConfig):
    """Conversations and messages (realtime chat); notifications (email, SMS, push) with preferences."""

    name = "messaging"
    verbose_name = "Messaging"
    default_auto_field = "django.db.models.BigAutoField"

from django.apps import AppConfig


class SittersConfig(AppConfig):
    """Sitter profiles, certifications, verification, availability and holds, search, reviews and ratings."""

    name = "sitters"
    verbose_name = "Sitters"
    default_auto_field = "django.db.models.BigAutoField"

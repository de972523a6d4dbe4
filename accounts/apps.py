from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Users, roles, authentication, sessions and devices, families (parent profiles, children, emergency contacts)."""

    name = "accounts"
    verbose_name = "Accounts"
    default_auto_field = "django.db.models.BigAutoField"

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Users, roles, authentication, sessions and devices, families (parent profiles, children, emergency contacts)."""

    name = "accounts"
    verbose_name = "Accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts import demo
        from guardiannest.registries import demo_seeders

        demo_seeders.register("accounts", demo.seed)

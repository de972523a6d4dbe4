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

        from accounts.services.family import family_erase, family_export
        from guardiannest.registries import gdpr_erasers, gdpr_exporters

        gdpr_exporters.register("family", family_export)
        gdpr_erasers.register("family", family_erase)

        # GDPR: the account itself (profile, devices, sessions, audit trail); the tasks module is
        # imported so the worker registers its tasks whatever autodiscovery looks at.
        from accounts import tasks_gdpr  # noqa: F401
        from accounts.services.gdpr import accounts_erase, accounts_export

        gdpr_exporters.register("accounts", accounts_export)
        gdpr_erasers.register("accounts", accounts_erase)

        # Realtime: a socket lives only as long as its session.
        from accounts.selectors import session_ids_live
        from guardiannest.realtime.sessions import session_checks

        session_checks.register("accounts", session_ids_live)

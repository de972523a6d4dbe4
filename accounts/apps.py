from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class BackOfficeAdminConfig(admin_apps.AdminConfig):
    """Django's admin, whose default site (``admin.site``) requires a one-time password: INSTALLED_APPS names it."""

    default = False  # AccountsConfig stays the config of "accounts"
    default_site = "accounts.admin_site.GuardianNestAdminSite"


class AccountsConfig(AppConfig):
    """Users, roles, authentication, sessions and devices, families (parent profiles, children, emergency contacts)."""

    name = "accounts"
    verbose_name = "Accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Any saved or deleted user, session or authenticator makes its user's authentication snapshots stale.
        from django.db.models.signals import post_delete, post_save

        from accounts.auth_snapshot import invalidate_for_row
        from accounts.models import TOTPDevice, User, UserSession

        for model in (User, UserSession, TOTPDevice):
            post_save.connect(invalidate_for_row, sender=model, dispatch_uid=f"auth_snapshot_save_{model.__name__}")
            post_delete.connect(invalidate_for_row, sender=model, dispatch_uid=f"auth_snapshot_delete_{model.__name__}")

        from accounts import demo
        from guardiannest.registries import demo_seeders

        demo_seeders.register("accounts", demo.seed)

        from accounts.services.family import family_erase, family_export
        from guardiannest.registries import gdpr_erasers, gdpr_exporters

        gdpr_exporters.register("family", family_export)
        gdpr_erasers.register("family", family_erase)

        # GDPR: the account itself (profile, devices, sessions, audit trail). The tasks package is
        # imported so the worker registers every task whatever autodiscovery looks at.
        from accounts import tasks  # noqa: F401
        from accounts.services.gdpr import accounts_erase, accounts_export

        gdpr_exporters.register("accounts", accounts_export)
        gdpr_erasers.register("accounts", accounts_erase)

        from celery.schedules import crontab

        from guardiannest.registries import beat_entries

        beat_entries.register(
            "flush-expired-tokens", {"task": "accounts.flush_expired_tokens", "schedule": crontab(minute=17, hour=3)}
        )
        beat_entries.register(
            "purge-expired-data-exports", {"task": "accounts.data_export_purge_expired", "schedule": crontab(minute=41)}
        )

        # Realtime: a socket lives only as long as its session.
        from accounts.selectors.sessions import session_ids_live
        from guardiannest.realtime.sessions import session_checks

        session_checks.register("accounts", session_ids_live)

        # Staff roles: support reads accounts, revokes a passkey, a Firebase link or a session (services, audited);
        # finance finds the payer.
        from guardiannest.registries import staff_role_permissions

        staff_role_permissions.register(
            "accounts",
            {
                "support": (
                    "accounts.view_user",
                    "accounts.view_parentprofile",
                    "accounts.view_child",
                    "accounts.view_emergencycontact",
                    "accounts.view_favoritesitter",
                    "accounts.view_firebaseidentity",
                    "accounts.delete_firebaseidentity",
                    "accounts.view_totpdevice",
                    "accounts.view_backupcode",
                    "accounts.view_passkey",
                    "accounts.delete_passkey",
                    "accounts.view_usersession",
                    "accounts.change_usersession",
                    "accounts.view_dataexport",
                ),
                "finance": ("accounts.view_user",),
            },
        )

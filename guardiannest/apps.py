from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate


class GuardianNestConfig(AppConfig):
    """The project package as an app: management commands, registries and the feature flags' rows."""

    name = "guardiannest"
    label = "guardiannest"
    verbose_name = "GuardianNest"

    def ready(self) -> None:
        from guardiannest import flags

        post_migrate.connect(flags.ensure_rows, sender=apps.get_app_config("waffle"), dispatch_uid="guardiannest.flags")

        # Staff roles: the groups take the permissions the apps declare, once every app's permissions exist.
        from guardiannest import staff_roles

        post_migrate.connect(staff_roles.sync_after_migrate, dispatch_uid="guardiannest.staff_roles")

from django.apps import AppConfig


class GuardianNestConfig(AppConfig):
    """The project package as an app: management commands and registries."""

    name = "guardiannest"
    label = "guardiannest"
    verbose_name = "GuardianNest"

"""Uploads, validation, virus scanning, image processing, signed URLs."""

from django.apps import AppConfig


class FilesConfig(AppConfig):
    """Uploads, validation, virus scanning, image processing, signed URLs."""

    name = "files"
    verbose_name = "Files"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # GDPR: a copy lists the user's files; erasing the account detaches them and the purge deletes them.
        # The tasks module is imported so the worker registers its tasks whatever autodiscovery looks at.
        from files import tasks  # noqa: F401
        from files.services import files_erase, files_export
        from guardiannest.registries import gdpr_erasers, gdpr_exporters

        gdpr_exporters.register("files", files_export)
        gdpr_erasers.register("files", files_erase)

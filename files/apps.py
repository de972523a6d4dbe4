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

        # Erased accounts' and old rejected files; objects no row points at; stuck uploads.
        from celery.schedules import crontab

        from guardiannest.registries import beat_entries

        beat_entries.register(
            "files-purge-detached", {"task": "files.file_purge_detached", "schedule": crontab(minute=37)}
        )
        beat_entries.register(
            "files-orphans-purge", {"task": "files.file_orphans_purge", "schedule": crontab(minute=13, hour=4)}
        )
        beat_entries.register(
            "files-pending-retry", {"task": "files.file_pending_retry", "schedule": crontab(minute="*/10")}
        )

        # Staff roles: support reviews ID documents and certifications (the review actions need the change
        # permission).
        from guardiannest.registries import staff_role_permissions

        staff_role_permissions.register(
            "files",
            {
                "support": (
                    "files.view_storedfile",
                    "files.change_storedfile",
                ),
            },
        )

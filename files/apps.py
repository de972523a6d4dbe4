from django.apps import AppConfig


class FilesConfig(AppConfig):
    """Uploads, validation, virus scanning, image processing, signed URLs."""

    name = "files"
    verbose_name = "Files"
    default_auto_field = "django.db.models.BigAutoField"

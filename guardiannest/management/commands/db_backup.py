"""``manage.py db_backup``: pg_dump to var/backups (BACKUP_DIR) and, with BACKUP_S3_BUCKET, to S3."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from guardiannest.backup import BackupError, backup_create


class Command(BaseCommand):
    help = "Back the database up with pg_dump (custom format), to a file and, when BACKUP_S3_BUCKET is set, to S3."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dir", type=Path, default=None, help="Folder of the file (default var/backups).")
        parser.add_argument("--bucket", default=None, help="S3 bucket (default BACKUP_S3_BUCKET; empty: none).")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            backup = backup_create(directory=options["dir"], bucket=options["bucket"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"backup written to {backup.path}")
        if backup.s3_uri:
            self.stdout.write(f"backup uploaded to {backup.s3_uri}")

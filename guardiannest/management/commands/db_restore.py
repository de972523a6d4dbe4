"""``manage.py db_restore FILE_OR_S3_URI --database NAME``: pg_restore a backup into a named database."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from guardiannest.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = "Restore a db_backup file (or s3://bucket/key) into a named database, created when missing."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source", help="A backup file, or s3://bucket/key.")
        parser.add_argument("--database", required=True, help="The database to restore into.")
        parser.add_argument("--replace", action="store_true", help="Overwrite the database if it exists.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            backup_restore(source=options["source"], database=options["database"], replace=options["replace"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"restored {options['source']} into database {options['database']}")

"""Back up the media storage: copy every object to a folder or another bucket."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from files import storage


class Command(BaseCommand):
    help = (
        "Copy every object of the media storage (local folder or S3 bucket) to DESTINATION: a folder, or "
        "s3://bucket[/prefix] (same credentials; --endpoint-url for another S3-compatible service). "
        "Incremental: objects already there with the same size are skipped."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("destination", help="A folder path, or s3://bucket[/prefix].")
        parser.add_argument("--prefix", default="", help="Only keys under this prefix (default: everything).")
        parser.add_argument("--endpoint-url", default=None, help="S3 endpoint of the destination bucket.")

    def handle(self, *args: Any, **options: Any) -> None:
        copied, skipped = storage.copy_all(
            options["destination"], prefix=options["prefix"], endpoint_url=options["endpoint_url"]
        )
        self.stdout.write(json.dumps({"copied": copied, "skipped": skipped, "destination": options["destination"]}))

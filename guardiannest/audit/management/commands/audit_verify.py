"""``manage.py audit_verify``: check the audit chain, fail loudly when it is broken.

Meant for a scheduled job or a monitoring probe: the exit status is what an
alert keys on.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from guardiannest.audit.services import audit_verify


class Command(BaseCommand):
    help = "Walk the audit hash chain; exit non-zero at the first broken event."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--database", default="default", help="Database alias to verify (default: default).")

    def handle(self, *args: Any, **options: Any) -> None:
        result = audit_verify(using=options["database"])
        if not result.ok:
            raise CommandError(
                f"Audit chain BROKEN at event {result.broken_id} ({result.reason} mismatch) "
                f"after {result.count - 1} good events."
            )
        self.stdout.write(self.style.SUCCESS(f"OK: {result.count} audit events, chain intact."))

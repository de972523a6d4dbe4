"""``manage.py payments_reconcile``: compare our payments and ledger with the provider, report drift."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from payments.services.reconciliation import payments_reconcile

# Exit status with --strict when drift (or a provider outage) was found; 1 stays Django's for bad usage.
DRIFT_EXIT = 3


def _since(value: str) -> datetime:
    moment = parse_datetime(value)
    if moment is None:
        day = parse_date(value)
        if day is None:
            raise CommandError(f"--since {value!r}: give a date (2026-12-01) or an ISO 8601 date-time.")
        moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment, timezone.get_current_timezone())


class Command(BaseCommand):
    help = "Compare payments changed recently (rows, ledger) with the payment provider; report drift."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days",
            type=int,
            default=settings.PAYMENTS_RECONCILE_DAYS,
            help="Payments changed in the last N days (default PAYMENTS_RECONCILE_DAYS).",
        )
        parser.add_argument("--since", help="Payments changed since this date or date-time (overrides --days).")
        parser.add_argument("--json", action="store_true", help="Print the report as one JSON object.")
        parser.add_argument(
            "--strict", action="store_true", help=f"Exit with status {DRIFT_EXIT} when anything drifted."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["days"] < 0:
            raise CommandError("--days must be 0 or more.")
        since = _since(options["since"]) if options["since"] else timezone.now() - timedelta(days=options["days"])
        report = payments_reconcile(since=since)
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), default=str))
        else:
            for drift in report.drifted:
                self.stdout.write(f"DRIFT payment {drift.payment_id} (reference {drift.reference}, {drift.intent_id})")
                for problem in drift.problems:
                    self.stdout.write(f"  {problem}")
            for payment_id, error in report.errors.items():
                self.stdout.write(f"ERROR payment {payment_id}: the provider could not be asked ({error})")
            self.stdout.write(
                f"{report.provider}: {report.checked} payments checked since {since.isoformat()}, "
                f"{len(report.drifted)} drifted, drift {report.drift_amount} minor units, "
                f"{len(report.errors)} not checked"
            )
        if options["strict"] and not report.clean:
            raise CommandError("Reconciliation found drift.", returncode=DRIFT_EXIT)

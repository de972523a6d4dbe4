"""``manage.py seed_demo``: the demo data of API.md, created idempotently by each app."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from guardiannest.registries import demo_seeders


class Command(BaseCommand):
    help = "Create the demo users and data (safe to run again: nothing is duplicated)."

    def handle(self, *args: Any, **options: Any) -> None:
        rows = []
        for name, seed in demo_seeders.items():
            with transaction.atomic():
                rows.extend(seed())
            self.stdout.write(f"seeded {name}")
        self.stdout.write("")
        self.stdout.write(f"{'who':<8} {'email':<36} {'password':<24} note")
        for who, email, password, note in rows:
            self.stdout.write(f"{who:<8} {email:<36} {password:<24} {note}")

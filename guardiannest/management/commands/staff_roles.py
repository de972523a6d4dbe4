"""``manage.py staff_roles``: give the staff roles' groups exactly the permissions the apps declare (idempotent).

``migrate`` does the same at its end; this is for a running database whose groups were edited by hand.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from guardiannest.staff_roles import staff_role_declared, staff_roles_sync


class Command(BaseCommand):
    help = "Create the support and finance groups and set their permissions to what the apps declare."

    def handle(self, *args: Any, **options: Any) -> None:
        changes = staff_roles_sync()
        for role, names in staff_role_declared().items():
            change = changes.get(role)
            done = f"+{len(change['added'])} -{len(change['removed'])}" if change else "unchanged"
            self.stdout.write(f"{role}: {len(names)} permissions ({done})")

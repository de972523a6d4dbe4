"""Registries the apps fill when they load, so the core never imports an app.

Features that span every app (demo data now; GDPR export and erase, the admin
dashboard, later) ask each registry for the apps' contributions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class Registry(Generic[T]):
    def __init__(self, name: str) -> None:
        self.name = name
        self._items: dict[str, T] = {}

    def register(self, key: str, item: T) -> T:
        if key in self._items and self._items[key] is not item:
            raise ValueError(f"{self.name}: {key!r} is already registered")
        self._items[key] = item
        return item

    def unregister(self, key: str) -> T | None:
        """Take a contribution back (a test registers its own and removes it after)."""
        return self._items.pop(key, None)

    def get(self, key: str) -> T | None:
        return self._items.get(key)

    def items(self) -> list[tuple[str, T]]:
        return list(self._items.items())

    def __contains__(self, key: str) -> bool:
        return key in self._items


# A demo seeder creates its app's demo rows idempotently and returns the logins it made,
# as (who, email, password, note) rows for the printed table.
DemoLogin = tuple[str, str, str, str]
demo_seeders: Registry[Callable[[], list[DemoLogin]]] = Registry("demo_seeders")

# GDPR: each app exports the user's data it holds (a JSON-able dict under its name) and
# erases or anonymises it on account deletion (keeping financial and audit records).
gdpr_exporters: Registry[Callable[[Any], dict[str, Any]]] = Registry("gdpr_exporters")
gdpr_erasers: Registry[Callable[[Any], None]] = Registry("gdpr_erasers")

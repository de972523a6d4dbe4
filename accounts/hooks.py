"""What other apps do when an account changes in a way that matters to them, registered when they load.

Accounts sits low in the dependency order (ARCHITECTURE.md) and imports no
app above it; an app that must act on an account change registers a handler
here in its ``AppConfig.ready()``, the way bookings registers with payments::

    name_changed.register("sitters", verification_identity_on_name_change)

``name_changed`` handlers run inside the transaction that changed the first or
last name (the user row is locked), so what they change commits or rolls back
with it. They take ``user`` (as saved), ``actor`` and ``fields`` (the names that
changed) as keyword arguments.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any

from guardiannest.registries import Registry

if TYPE_CHECKING:
    from accounts.models import User

NAME_FIELDS = frozenset({"first_name", "last_name"})

NameChangedHandler = Callable[..., Any]
name_changed: Registry[NameChangedHandler] = Registry("accounts.name_changed")


def name_changed_run(*, user: User, actor: User | None, fields: Collection[str]) -> None:
    """Call every handler for a change of ``fields``; nothing when no name is among them."""
    names = sorted(NAME_FIELDS.intersection(fields))
    if not names:
        return
    for _, handler in name_changed.items():
        handler(user=user, actor=actor, fields=names)

"""A socket lives only as long as the access it was opened with.

A socket belongs to a user and to the session its ticket was issued under.
It closes:

- at once, when the session ends (logout, revoke, password change or reset,
  deactivation, erasure): accounts calls :func:`~guardiannest.realtime.events.sockets_close_on_commit`;
- at once, when the user is deactivated or gains or loses staff status
  (a demoted staff member must not keep the staff group): the observer below
  watches saves of the user model, whoever makes them (a service, the admin);
- at the latest ``REALTIME_SESSION_RECHECK`` seconds after either, whatever
  the way (a queryset ``update()``, a lost close message): every socket
  re-checks its user and session in the database that often
  (:func:`sockets_still_allowed`, called in batches by the watchdog).

The core knows no app: the app that owns sessions registers how to tell which
are still live (:data:`session_checks`). With none registered, only the user
is checked.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models.signals import post_init, post_save

from guardiannest.realtime.events import CloseReason, sockets_close_on_commit
from guardiannest.registries import Registry

# Given session ids, the subset that is still live (not ended).
SessionCheck = Callable[[Collection[str]], Collection[str]]
session_checks: Registry[SessionCheck] = Registry("realtime_session_checks")


@dataclass(frozen=True)
class SocketAccess:
    """What a socket was opened with: re-checked against the database while it lives."""

    user_id: str
    session_id: str | None
    is_staff: bool


def session_is_live(session_id: str | None) -> bool:
    """True when no registered check says the session has ended (no session: nothing to end)."""
    if session_id is None:
        return True
    return all(session_id in check([session_id]) for _, check in session_checks.items())


def sockets_still_allowed(accesses: Sequence[SocketAccess]) -> list[str | None]:
    """For each socket, None if it may stay open, else why it must close. A few queries for the whole batch."""
    users = {
        str(pk): (is_active, is_staff)
        for pk, is_active, is_staff in get_user_model()
        .objects.filter(pk__in={access.user_id for access in accesses})
        .values_list("pk", "is_active", "is_staff")
    }
    sessions = {access.session_id for access in accesses if access.session_id is not None}
    live = set(sessions)
    for _, check in session_checks.items():
        live &= set(check(sessions))
    reasons: list[str | None] = []
    for access in accesses:
        is_active, is_staff = users.get(access.user_id, (False, False))
        if not is_active:
            reasons.append(CloseReason.USER_DEACTIVATED)
        elif is_staff != access.is_staff:
            reasons.append(CloseReason.ACCESS_CHANGED)
        elif access.session_id is not None and access.session_id not in live:
            reasons.append(CloseReason.SESSION_ENDED)
        else:
            reasons.append(None)
    return reasons


# --- the user observer ----------------------------------------------------------------------

_SEEN = "_realtime_access"


def _remember_access(sender: Any, instance: Any, **kwargs: Any) -> None:
    # Read from __dict__: a deferred field must not cost a query on every load of a user.
    fields = instance.__dict__
    if "is_active" in fields and "is_staff" in fields:
        instance.__dict__[_SEEN] = (fields["is_active"], fields["is_staff"])


def _close_on_access_change(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    before = instance.__dict__.get(_SEEN)
    _remember_access(sender, instance)
    if created or before is None:
        return
    was_active, was_staff = before
    if was_active and not instance.is_active:
        sockets_close_on_commit(reason=CloseReason.USER_DEACTIVATED, user_ids=[instance.pk])
    elif was_staff != instance.is_staff:
        sockets_close_on_commit(reason=CloseReason.ACCESS_CHANGED, user_ids=[instance.pk])


def watch_user_access() -> None:
    """Connect the observer (RealtimeConfig.ready)."""
    user_model = get_user_model()
    post_init.connect(_remember_access, sender=user_model, dispatch_uid="realtime_remember_access")
    post_save.connect(_close_on_access_change, sender=user_model, dispatch_uid="realtime_close_on_access_change")

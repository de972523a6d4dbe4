"""Brute-force lockout (django-axes) on every way in, counted per account + client address.

Every way in checks the lock before trying (:func:`lockout_guard`), reports a
failure (:func:`lockout_failure`) and clears the count on success
(:func:`lockout_clear`). A password is checked with :func:`lockout_authenticate`:
Django's ``authenticate``, where axes's backend refuses a locked pair before
the password is looked at and counts a wrong one.

Axes reads every attempt from a request. The services know the caller only as
a :class:`~guardiannest.client.Client`, so :func:`_axes_request` makes the
request axes reads from it, here and nowhere else: the address (read back
through ``AXES_CLIENT_IP_CALLABLE``, which finds no proxy header on it), the
browser, and the way in where axes records a path. Axes marks a lock on that
request; it is read back here and raised as ``account_locked``, the same
answer whatever way in was locked. Axes's own hooks (whose account an attempt
is against, how its refusal looks on the admin login) are in
``accounts/api/lockout.py``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from axes.handlers.proxy import AxesProxyHandler
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.signals import user_login_failed
from django.db import IntegrityError, transaction
from django.http import HttpRequest

from accounts.errors import AccountError
from guardiannest.client import Client
from guardiannest.errors import ApplicationError

T = TypeVar("T")

LOCKED_DETAIL = "Too many failed attempts from here. Try again later or reset your password."


def locked_error() -> ApplicationError:
    """The refusal of a locked account + address, with the cool-off as the time to come back."""
    return ApplicationError(
        AccountError.ACCOUNT_LOCKED, LOCKED_DETAIL, retry_after=int(settings.AXES_COOLOFF_TIME.total_seconds())
    )


def _axes_request(client: Client, *, way: str) -> HttpRequest:
    """What axes reads an attempt from, made from the client (see the module docstring)."""
    request = HttpRequest()
    request.method = "POST"
    request.META = {"REMOTE_ADDR": client.ip, "HTTP_USER_AGENT": client.user_agent, "PATH_INFO": way}
    return request


def _locked(request: HttpRequest) -> bool:
    return bool(getattr(request, "axes_locked_out", False))


def lockout_guard(*, client: Client, email: str) -> None:
    """Refuse before trying anything when this account+address is locked."""
    if AxesProxyHandler.is_locked(_axes_request(client, way="guard"), {"username": email}):
        raise locked_error()


def lockout_failure(*, client: Client, email: str, way: str) -> None:
    """Count a failed attempt that did not go through :func:`lockout_authenticate` (MFA, Firebase, reset …).

    Raises ``account_locked`` when this failure is the one that locks.
    """
    request = _axes_request(client, way=way)
    counted(
        lambda: user_login_failed.send(sender=__name__, credentials={"username": email, "way": way}, request=request)
    )
    if _locked(request):
        raise locked_error()


def lockout_authenticate(*, client: Client, email: str, password: str) -> AbstractBaseUser | None:
    """The user whose password this is, or None; ``account_locked`` when the pair is (or just got) locked."""
    request = _axes_request(client, way="password")
    user = counted(lambda: authenticate(request, username=email, password=password))
    if user is None and _locked(request):
        raise locked_error()
    return user


def counted(attempt: Callable[[], T], *, tries: int = 5) -> T:
    """Run something that may record a failed sign-in, surviving axes's insert race.

    Axes counts in one row per account+address made with get_or_create: two
    failures racing for a new pair collide on its unique key, and the loser's
    read does not see the winner's row until it commits. Trying again, briefly
    later, finds the row and counts on it.
    """
    for remaining in range(tries - 1, -1, -1):
        try:
            with transaction.atomic():
                return attempt()
        except IntegrityError:
            if remaining == 0:
                raise
            time.sleep(0.01 * (tries - remaining))
    raise AssertionError("unreachable")


def lockout_clear(*, client: Client, email: str) -> None:
    """A success on this account from this address wipes its count."""
    axes_reset(ip=client.ip, username=email.strip().lower())

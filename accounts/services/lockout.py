"""Brute-force lockout (django-axes) on every way in, counted per account + client address.

Password logins go through ``authenticate(request=…)``, which axes watches by
itself. Every other way in (MFA codes, backup codes, Firebase, password reset)
reports its failures here, checks the lock before trying, and clears the
count on success. Axes's own hooks (whose account an attempt is against, what
its refusal looks like) are in ``accounts/api/lockout.py``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from axes.handlers.proxy import AxesProxyHandler
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.db import IntegrityError, transaction
from django.http import HttpRequest

from accounts.errors import AccountError
from guardiannest.api.net import client_ip
from guardiannest.errors import ApplicationError

T = TypeVar("T")

LOCKED_DETAIL = "Too many failed attempts from here. Try again later or reset your password."


def locked_error() -> ApplicationError:
    """The refusal of a locked account + address, with the cool-off as the time to come back."""
    return ApplicationError(
        AccountError.ACCOUNT_LOCKED, LOCKED_DETAIL, retry_after=int(settings.AXES_COOLOFF_TIME.total_seconds())
    )


def lockout_guard(*, request: HttpRequest, email: str) -> None:
    """Refuse before trying anything when this account+address is locked."""
    if AxesProxyHandler.is_locked(request, {"username": email}):
        raise locked_error()


def lockout_failure(*, request: HttpRequest, email: str, way: str) -> None:
    """Count a failed attempt that did not go through ``authenticate`` (MFA, Firebase, reset …)."""
    counted(
        lambda: user_login_failed.send(sender=__name__, credentials={"username": email, "way": way}, request=request)
    )
    if getattr(request, "axes_locked_out", False):
        raise locked_error()


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


def lockout_clear(*, request: HttpRequest, email: str) -> None:
    """A success on this account from this address wipes its count."""
    axes_reset(ip=client_ip(request), username=email.strip().lower())


def was_locked_out(request: HttpRequest) -> bool:
    """After ``authenticate`` returned None: was it axes refusing?"""
    return bool(getattr(request, "axes_locked_out", False))

"""Pieces every feedback API module uses."""

from __future__ import annotations

from typing import cast

from rest_framework.request import Request

from accounts.models import User

TAGS = ["feedback"]
# Sending is throttled per user (scope ``feedback``); reading is not.
THROTTLE_SCOPE = "feedback"


def caller(request: Request) -> User:
    return cast(User, request.user)


class ThrottledWrites:
    """A view whose POSTs count against the ``feedback`` scope; its GETs only against the user's budget."""

    @property
    def throttle_scope(self) -> str | None:
        request = getattr(self, "request", None)
        return THROTTLE_SCOPE if request is not None and request.method == "POST" else None

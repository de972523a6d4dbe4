"""Money on the wire (API.md): ``{"amount": integer minor units, "currency": "eur"}``."""

from __future__ import annotations

from typing import Any

from django.conf import settings


def money(amount: int | None, currency: str | None = None) -> dict[str, Any] | None:
    """The Money object of ``amount`` minor units (the platform currency unless named); None stays None."""
    if amount is None:
        return None
    return {"amount": amount, "currency": currency or settings.PLATFORM_CURRENCY}

"""Calling the provider from a service: its refusals and outages become application errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import structlog

from guardiannest.errors import ApplicationError
from payments.errors import PaymentError
from payments.providers.base import ProviderRefused, ProviderUnavailable

T = TypeVar("T")
logger = structlog.get_logger("payments.provider")


def provider_call(call: Callable[[], T]) -> T:
    """Run ``call``; an outage is a 503 to try again with the same request, a refusal a 409 naming its code."""
    try:
        return call()
    except ProviderUnavailable as exc:
        raise unavailable(exc) from exc
    except ProviderRefused as exc:
        logger.warning("payment_provider_refused", code=exc.code, error=str(exc))
        raise ApplicationError(
            PaymentError.PROVIDER_REFUSED, f"The payment provider refused: {exc.code or exc}."
        ) from exc


def unavailable(exc: ProviderUnavailable) -> ApplicationError:
    """An outage, logged, as the error that asks the caller to try the same request again."""
    logger.warning("payment_provider_unavailable", code=exc.code, error=str(exc))
    return ApplicationError(PaymentError.PROVIDER_UNAVAILABLE, "The payment provider cannot be reached; try again.")

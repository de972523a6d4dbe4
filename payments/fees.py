"""The platform fee: one rule for what the platform keeps of a capture, and of a refund."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings


def platform_fee(amount: int) -> int:
    """PLATFORM_FEE_PERCENT of ``amount`` minor units, rounded half up to a whole minor unit."""
    fee = (Decimal(amount) * Decimal(str(settings.PLATFORM_FEE_PERCENT)) / 100).quantize(
        Decimal(1), rounding=ROUND_HALF_UP
    )
    return min(int(fee), amount)


def fee_refunded(*, fee: int, captured: int, refunded: int) -> int:
    """The share of ``fee`` given back once ``refunded`` of ``captured`` has been refunded.

    Proportional, rounded down, and exact at the end: when everything is
    refunded, the whole fee is. A refund gives back the difference between
    this after it and before it, so refunds in any number of parts add up to
    the same fee.
    """
    if captured <= 0:
        return 0
    return fee * refunded // captured


def sitter_share(*, captured: int, fee: int, refunded: int) -> int:
    """What the sitter earns of a capture: what is kept after refunds, less the fee kept on it.

    The same amount the ledger owes them (capture less fee, less each refund
    with its fee share given back), so it is what their transfer carries.
    """
    fee_kept = fee - fee_refunded(fee=fee, captured=captured, refunded=refunded)
    return captured - refunded - fee_kept

"""Money over time, read from the payments ledger (every movement, dated, never changed afterwards).

Per period and currency, in integer minor units:

- ``gross_captured``: captured from cards (what arrived at the provider);
- ``refunded``: given back to cards;
- ``platform_fees``: the platform's fee kept: fees on captures less the fee shares refunded;
- ``net``: ``gross_captured - refunded``, what stayed with the platform and the sitters.

A refund counts in the period it was made, whichever period its capture was in.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Q, Sum
from django.db.models.functions import Coalesce

from analytics.selectors.periods import Window, as_date
from guardiannest.dbrouters import replica_read
from payments.models import LedgerAccount, LedgerEntry, LedgerKind, LedgerSide

FIGURES = ("gross_captured", "refunded", "platform_fees", "net")
_CAPTURED = Q(kind=LedgerKind.CAPTURE, account=LedgerAccount.PROVIDER_CLEARING, side=LedgerSide.DEBIT)
_REFUNDED = Q(kind=LedgerKind.REFUND, account=LedgerAccount.PROVIDER_CLEARING, side=LedgerSide.CREDIT)
_FEE_KEPT = Q(kind=LedgerKind.CAPTURE, account=LedgerAccount.PLATFORM_FEES, side=LedgerSide.CREDIT)
_FEE_GIVEN_BACK = Q(kind=LedgerKind.REFUND, account=LedgerAccount.PLATFORM_FEES, side=LedgerSide.DEBIT)


def _sum(condition: Q) -> Any:
    return Coalesce(Sum("amount", filter=condition), 0)


def revenue_list(*, window: Window, currency: str | None = None) -> list[dict[str, Any]]:
    """One row per period and currency (only ``currency`` when named), from one query.

    A period with no movement answers one row of zeros in the platform currency (or ``currency``), so a
    chart has a point for it; a period with movements in several currencies answers a row for each.
    """
    rows = LedgerEntry.objects.filter(
        created_at__gte=window.start_at,
        created_at__lt=window.end_at,
        kind__in=(LedgerKind.CAPTURE, LedgerKind.REFUND),
    )
    if currency is not None:
        rows = rows.filter(currency=currency)
    found = replica_read(
        lambda: list(
            rows.annotate(period=window.trunc("created_at"))
            .values("period", "currency")
            .annotate(
                gross_captured=_sum(_CAPTURED),
                refunded=_sum(_REFUNDED),
                fees_kept=_sum(_FEE_KEPT),
                fees_given_back=_sum(_FEE_GIVEN_BACK),
            )
            .order_by("period", "currency")
        )
    )
    by_period: dict[Any, list[dict[str, Any]]] = {}
    for row in found:
        by_period.setdefault(as_date(row["period"]), []).append(
            {
                "currency": row["currency"],
                "gross_captured": row["gross_captured"],
                "refunded": row["refunded"],
                "platform_fees": row["fees_kept"] - row["fees_given_back"],
                "net": row["gross_captured"] - row["refunded"],
            }
        )
    empty = {"currency": currency or settings.PLATFORM_CURRENCY, **dict.fromkeys(FIGURES, 0)}
    return [{"period": period, **figures} for period in window.periods() for figures in by_period.get(period, [empty])]

"""What payments put on the admin home: the open disputes, and today's revenue (captured minus refunded)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from guardiannest.dashboard import day_bounds
from guardiannest.registries import DashboardPanel, dashboard_panels
from payments.models import DisputeStatus, LedgerAccount, LedgerKind
from payments.models.disputes import DISPUTE_CLOSED
from payments.selectors import dispute_case_open_count, ledger_revenue_for_period


def _open_disputes_url() -> str:
    still_open = ",".join(status for status in DisputeStatus.values if status not in DISPUTE_CLOSED)
    return f"{reverse('admin:payments_disputecase_changelist')}?{urlencode({'status__in': still_open})}"


def revenue_today() -> int:
    start, end = day_bounds(timezone.localdate())
    return ledger_revenue_for_period(start=start, end=end)


def _revenue_today_url() -> str:
    """Today's captures and refunds in the ledger, the lines the figure adds up."""
    start, end = day_bounds(timezone.localdate())
    query = {
        "account__exact": LedgerAccount.PROVIDER_CLEARING,
        "kind__in": f"{LedgerKind.CAPTURE},{LedgerKind.REFUND}",
        "created_at__gte": start.isoformat(),
        "created_at__lt": end.isoformat(),
    }
    return f"{reverse('admin:payments_ledgerentry_changelist')}?{urlencode(query)}"


OPEN_DISPUTES: DashboardPanel = {
    "title": "Open payment disputes",
    "order": 20,
    "count": dispute_case_open_count,
    "url": _open_disputes_url,
    "permission": "payments.view_disputecase",
    "urgent": True,  # evidence is due by a date the card network sets
}


def _revenue_panel() -> DashboardPanel:
    return {
        "title": "Revenue today (captured minus refunded)",
        "order": 60,
        "count": revenue_today,
        "url": _revenue_today_url,
        "permission": "payments.view_ledgerentry",
        "urgent": False,
        "unit": settings.PLATFORM_CURRENCY.upper(),
    }


def dashboard_register() -> None:
    dashboard_panels.register("open-disputes", OPEN_DISPUTES)
    dashboard_panels.register("revenue-today", _revenue_panel())

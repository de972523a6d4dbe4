"""What sitters put on the admin home: the verification queue and the flagged reviews."""

from __future__ import annotations

from django.urls import reverse

from guardiannest.registries import DashboardPanel, dashboard_panels
from sitters.selectors.reviews import review_flagged_count
from sitters.selectors.verification import verification_check_pending_count


def _queue_url() -> str:
    return reverse("admin:sitters_verificationcheck_changelist")  # the queue opens on the pending checks


def _flagged_url() -> str:
    return f"{reverse('admin:sitters_review_changelist')}?flagged__exact=1&hidden__exact=0"


VERIFICATION_QUEUE: DashboardPanel = {
    "title": "Sitter checks waiting for verification",
    "order": 10,
    "count": verification_check_pending_count,
    "url": _queue_url,
    "permission": "sitters.view_verificationcheck",
    "urgent": False,
}
FLAGGED_REVIEWS: DashboardPanel = {
    "title": "Flagged reviews (3★ or less) still shown",
    "order": 40,
    "count": review_flagged_count,
    "url": _flagged_url,
    "permission": "sitters.view_review",
    "urgent": False,
}


def dashboard_register() -> None:
    dashboard_panels.register("verification-queue", VERIFICATION_QUEUE)
    dashboard_panels.register("flagged-reviews", FLAGGED_REVIEWS)

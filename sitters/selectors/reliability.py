"""How reliable a sitter is, as parents see it on the public profile: the last 90 days' outcomes.

``score`` is the share of the sitter's bookings of the last 90 days that went
ahead, in percent, a no-show weighing twice a cancellation; null until there
is anything to count. Cancellations by the parent or by staff never count
against the sitter.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.db.models import Count, Q
from django.utils import timezone

from sitters.models import ReliabilityEvent, ReliabilityKind

WINDOW = timedelta(days=90)
NO_SHOW_WEIGHT = 2


def reliability_score(*, completed: int, cancellations: int, no_shows: int) -> int | None:
    weighed = completed + cancellations + NO_SHOW_WEIGHT * no_shows
    return None if not weighed else round(100 * completed / weighed)


def reliability_of(*, sitter_id: UUID, now: datetime | None = None) -> dict[str, Any]:
    """``{score, cancellations_90d, no_shows_90d, completed_90d, completed}`` in one query."""
    since = (now or timezone.now()) - WINDOW
    recent = Q(occurred_at__gte=since)
    figures = ReliabilityEvent.objects.filter(sitter_id=sitter_id).aggregate(
        completed=Count("pk", filter=Q(kind=ReliabilityKind.COMPLETED)),
        completed_90d=Count("pk", filter=Q(kind=ReliabilityKind.COMPLETED) & recent),
        cancellations_90d=Count("pk", filter=Q(kind=ReliabilityKind.CANCELLED) & recent),
        no_shows_90d=Count("pk", filter=Q(kind=ReliabilityKind.NO_SHOW) & recent),
    )
    return {
        "score": reliability_score(
            completed=figures["completed_90d"],
            cancellations=figures["cancellations_90d"],
            no_shows=figures["no_shows_90d"],
        ),
        "cancellations_90d": figures["cancellations_90d"],
        "no_shows_90d": figures["no_shows_90d"],
        "completed_90d": figures["completed_90d"],
        "completed": figures["completed"],
    }

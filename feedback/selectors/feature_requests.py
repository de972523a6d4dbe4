"""Feature requests as users see them: every request, most voted first, each saying whether the viewer voted.

Requests are shared by design (everyone signed in reads and votes on them);
what belongs to one user is their vote, which only they can cast or withdraw.
"""

from __future__ import annotations

from uuid import UUID

from django.db.models import Exists, OuterRef, QuerySet

from accounts.models import User
from feedback.models import FeatureRequest, FeatureVote
from guardiannest.errors import not_found


def _with_viewer(rows: QuerySet[FeatureRequest], user: User) -> QuerySet[FeatureRequest]:
    return rows.annotate(voted=Exists(FeatureVote.objects.filter(feature_request=OuterRef("pk"), voter=user)))


def feature_request_list(*, user: User) -> QuerySet[FeatureRequest]:
    """Every request, most votes first, then newest; ``voted`` says whether ``user`` voted for it."""
    return _with_viewer(FeatureRequest.objects.all(), user).order_by("-vote_count", "-created_at", "-id")


def feature_request_get(*, feature_request_id: UUID, user: User) -> FeatureRequest:
    request = _with_viewer(FeatureRequest.objects.filter(pk=feature_request_id), user).first()
    if request is None:
        raise not_found("No such feature request.")
    return request

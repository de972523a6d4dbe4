"""Feature requests: a user proposes one (and votes for it), users vote and withdraw, staff set its status.

A vote is one row per user and request (unique), so voting twice counts once.
Each vote or withdrawal locks the request's row, changes the vote rows and
recounts ``vote_count`` from them in the same transaction: concurrent votes
queue on the lock and the count is exact. Done and declined requests are
settled and refuse both (409 ``feature_request_closed``).
"""

from __future__ import annotations

from uuid import UUID

from django.db import transaction

from accounts.models import User
from feedback.errors import FeedbackError
from feedback.models import VOTABLE, FeatureRequest, FeatureRequestStatus, FeatureVote
from guardiannest.audit.services import audit_record
from guardiannest.errors import ApplicationError, invalid, invalid_fields, not_found
from guardiannest.text import clean_text

TITLE_MAX = 120
DESCRIPTION_MAX = 2000


def feature_request_create(*, author: User, title: str, description: str = "") -> FeatureRequest:
    """A new open request, with its author's vote: one line of title, plain text description."""
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, str] = {}
    for field, value, limit, multiline in (
        ("title", title, TITLE_MAX, False),
        ("description", description, DESCRIPTION_MAX, True),
    ):
        try:
            cleaned[field] = clean_text(value or "", max_length=limit, multiline=multiline, field=field)
        except ApplicationError as exc:
            errors.update(exc.errors or {})
    if not errors and not cleaned["title"]:
        errors["title"] = ["Give the request a title."]
    if errors:
        raise invalid_fields(errors)
    with transaction.atomic():
        request = FeatureRequest.objects.create(
            author=author, title=cleaned["title"], description=cleaned["description"], vote_count=1
        )
        FeatureVote.objects.create(feature_request=request, voter=author)
        audit_record(action="feature_request.created", actor=author, target=request)
    return request


def _locked(feature_request_id: UUID) -> FeatureRequest:
    request = FeatureRequest.objects.select_for_update().filter(pk=feature_request_id).first()
    if request is None:
        raise not_found("No such feature request.")
    return request


def _recount(request: FeatureRequest) -> None:
    request.vote_count = FeatureVote.objects.filter(feature_request=request).count()
    request.save(update_fields=["vote_count", "updated_at"])


def _refuse_if_settled(request: FeatureRequest) -> None:
    if request.status not in VOTABLE:
        raise ApplicationError(
            FeedbackError.FEATURE_REQUEST_CLOSED, f"This request is {request.status}: it takes no more votes."
        )


def feature_request_vote(*, feature_request_id: UUID, voter: User) -> FeatureRequest:
    """Vote for a request; a second vote changes nothing (idempotent)."""
    with transaction.atomic():
        request = _locked(feature_request_id)
        _refuse_if_settled(request)
        _, created = FeatureVote.objects.get_or_create(feature_request=request, voter=voter)
        if created:
            _recount(request)
            audit_record(action="feature_request.voted", actor=voter, target=request)
    return request


def feature_request_unvote(*, feature_request_id: UUID, voter: User) -> FeatureRequest:
    """Withdraw one's vote; withdrawing a vote one has not cast changes nothing."""
    with transaction.atomic():
        request = _locked(feature_request_id)
        _refuse_if_settled(request)
        deleted, _ = FeatureVote.objects.filter(feature_request=request, voter=voter).delete()
        if deleted:
            _recount(request)
            audit_record(action="feature_request.unvoted", actor=voter, target=request)
    return request


def feature_request_status_set(*, feature_request_id: UUID, status: str, actor: User) -> FeatureRequest:
    """Staff move a request to open, planned, in_progress, done or declined; the same status again is a no-op."""
    if status not in FeatureRequestStatus.values:
        raise invalid("status", f"One of: {', '.join(FeatureRequestStatus.values)}.")
    with transaction.atomic():
        request = _locked(feature_request_id)
        if request.status == status:
            return request
        previous, request.status = request.status, status
        request.save(update_fields=["status", "updated_at"])
        audit_record(
            action="feature_request.status_changed", actor=actor, target=request, data={"from": previous, "to": status}
        )
    return request

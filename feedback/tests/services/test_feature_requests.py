"""Votes under concurrency: every vote once, and the count equal to the vote rows."""

from __future__ import annotations

import pytest

from accounts.models import User
from accounts.tests.factories import ParentFactory
from conftest import race
from feedback.models import FeatureRequest, FeatureVote
from feedback.services.feature_requests import (
    feature_request_create,
    feature_request_status_set,
    feature_request_unvote,
    feature_request_vote,
)
from guardiannest.audit.models import AuditEvent
from guardiannest.errors import ApplicationError


@pytest.mark.django_db(transaction=True)
def test_racing_votes_are_each_counted_once() -> None:
    author, *voters = [ParentFactory() for _ in range(5)]
    request = feature_request_create(author=author, title="Offline mode")

    results = race(8, lambda: feature_request_vote(feature_request_id=request.pk, voter=voters[0]))
    results += race(4, lambda: feature_request_vote(feature_request_id=request.pk, voter=voters.pop()))

    assert not [result for result in results if isinstance(result, BaseException)]
    request.refresh_from_db()
    assert request.vote_count == FeatureVote.objects.filter(feature_request=request).count() == 5


@pytest.mark.django_db
def test_status_changes_are_audited_once(staff: User, parent: User) -> None:
    request = feature_request_create(author=parent, title="Offline mode")

    feature_request_status_set(feature_request_id=request.pk, status="planned", actor=staff)
    feature_request_status_set(feature_request_id=request.pk, status="planned", actor=staff)
    with pytest.raises(ApplicationError) as refused:
        feature_request_status_set(feature_request_id=request.pk, status="shipped", actor=staff)

    assert FeatureRequest.objects.get(pk=request.pk).status == "planned"
    assert refused.value.errors == {"status": ["One of: open, planned, in_progress, done, declined."]}
    [event] = AuditEvent.objects.filter(action="feature_request.status_changed")
    assert event.data == {"from": "open", "to": "planned"}


@pytest.mark.django_db
def test_the_author_may_withdraw_their_own_vote(parent: User) -> None:
    request = feature_request_create(author=parent, title="Offline mode")

    after = feature_request_unvote(feature_request_id=request.pk, voter=parent)

    assert after.vote_count == 0

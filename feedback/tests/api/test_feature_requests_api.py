"""Feature requests: propose, list (most votes first, whether I voted), vote once, withdraw, settled ones refuse."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.problems import assert_problem
from conftest import client_for
from feedback.models import FeatureRequest, FeatureRequestStatus, FeatureVote
from feedback.services.feature_requests import feature_request_create, feature_request_vote
from feedback.tests.factories import FeatureRequestFactory
from guardiannest.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

URL = "/api/v1/feature-requests"


def vote_url(request: FeatureRequest) -> str:
    return f"{URL}/{request.pk}/vote"


def test_a_proposal_is_201_and_carries_its_authors_vote(parent_api: APIClient, parent: User) -> None:
    response = parent_api.post(URL, {"title": "Dark mode", "description": "For <i>night</i> shifts"}, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["title"], body["description"], body["status"]) == ("Dark mode", "For night shifts", "open")
    assert (body["vote_count"], body["voted"], body["mine"], body["votable"]) == (1, True, True, True)
    assert FeatureVote.objects.filter(feature_request_id=body["id"], voter=parent).count() == 1
    assert AuditEvent.objects.filter(action="feature_request.created", target_id=body["id"]).exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "title"),
        ({"title": " "}, "title"),
        ({"title": "Two\nlines"}, "title"),
        ({"title": "x" * 121}, "title"),
        ({"title": "Ok", "description": "x" * 2001}, "description"),
        ({"title": "Ok", "vote_count": 99}, "vote_count"),
    ],
)
def test_bad_proposals_are_400_naming_the_field(parent_api: APIClient, body: dict[str, Any], field: str) -> None:
    assert field in assert_problem(parent_api.post(URL, body, format="json"), 400, "invalid")["errors"]
    assert not FeatureRequest.objects.exists()


def test_the_list_is_by_votes_then_newest_and_says_what_i_voted(
    parent: User, other_parent: User, sitter: User, parent_api: APIClient
) -> None:
    old = feature_request_create(author=sitter, title="Old, popular")
    feature_request_vote(feature_request_id=old.pk, voter=other_parent)
    feature_request_vote(feature_request_id=old.pk, voter=parent)
    quiet = feature_request_create(author=other_parent, title="Quiet")
    newest = feature_request_create(author=parent, title="Newest of mine")

    body = parent_api.get(URL).json()

    rows = [(row["title"], row["vote_count"], row["voted"], row["mine"]) for row in body["results"]]
    assert rows == [
        ("Old, popular", 3, True, False),
        ("Newest of mine", 1, True, True),
        ("Quiet", 1, False, False),
    ]
    assert body["next"] is None
    assert [row["id"] for row in body["results"][1:]] == [str(newest.pk), str(quiet.pk)]


def test_the_list_pages_with_a_cursor(parent_api: APIClient, sitter: User) -> None:
    for index in range(3):
        feature_request_create(author=sitter, title=f"Request {index}")

    first = parent_api.get(URL, {"page_size": 2}).json()
    second = parent_api.get(first["next"]).json()

    titles = [row["title"] for row in first["results"] + second["results"]]
    assert sorted(titles) == ["Request 0", "Request 1", "Request 2"]
    assert len(first["results"]) == 2 and second["next"] is None


def test_voting_twice_counts_once(parent_api: APIClient, parent: User, sitter: User) -> None:
    request = feature_request_create(author=sitter, title="Calendar sync")

    first = parent_api.post(vote_url(request))
    again = parent_api.post(vote_url(request))

    assert first.status_code == again.status_code == 200
    assert (again.json()["vote_count"], again.json()["voted"]) == (2, True)
    assert FeatureVote.objects.filter(feature_request=request).count() == 2
    assert AuditEvent.objects.filter(action="feature_request.voted", target_id=str(request.pk)).count() == 1


def test_withdrawing_a_vote_is_200_and_counts_down(parent_api: APIClient, parent: User, sitter: User) -> None:
    request = feature_request_create(author=sitter, title="Calendar sync")
    feature_request_vote(feature_request_id=request.pk, voter=parent)

    withdrawn = parent_api.delete(vote_url(request))
    again = parent_api.delete(vote_url(request))

    assert withdrawn.status_code == again.status_code == 200
    assert (withdrawn.json()["vote_count"], withdrawn.json()["voted"]) == (1, False)
    assert again.json()["vote_count"] == 1
    assert not FeatureVote.objects.filter(feature_request=request, voter=parent).exists()


@pytest.mark.parametrize("settled", [FeatureRequestStatus.DONE, FeatureRequestStatus.DECLINED])
def test_done_and_declined_requests_take_no_votes(
    parent_api: APIClient, parent: User, sitter: User, settled: str
) -> None:
    request = feature_request_create(author=sitter, title="Settled")
    feature_request_vote(feature_request_id=request.pk, voter=parent)
    FeatureRequest.objects.filter(pk=request.pk).update(status=settled)
    newcomer = client_for(sitter)

    assert_problem(parent_api.delete(vote_url(request)), 409, "feature_request_closed")
    assert_problem(newcomer.post(vote_url(request)), 409, "feature_request_closed")
    listed = parent_api.get(URL).json()["results"][0]
    assert (listed["vote_count"], listed["voted"], listed["votable"]) == (2, True, False)


@pytest.mark.parametrize("status", [FeatureRequestStatus.PLANNED, FeatureRequestStatus.IN_PROGRESS])
def test_planned_and_started_requests_still_take_votes(parent_api: APIClient, status: str) -> None:
    request = FeatureRequestFactory(status=status)

    assert parent_api.post(vote_url(request)).json()["vote_count"] == 1


def test_an_unknown_request_is_404(parent_api: APIClient) -> None:
    url = "/api/v1/feature-requests/00000000-0000-4000-8000-000000000000/vote"
    assert_problem(parent_api.post(url), 404, "not_found")
    assert_problem(parent_api.delete(url), 404, "not_found")


def test_anonymous_callers_are_401(api: APIClient) -> None:
    request = FeatureRequestFactory()
    assert_problem(api.get(URL), 401)
    assert_problem(api.post(URL, {"title": "Hi"}, format="json"), 401)
    assert_problem(api.post(vote_url(request)), 401)
    assert_problem(api.delete(vote_url(request)), 401)


def test_proposing_is_throttled_reading_is_not(parent_api: APIClient, settings: Any) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "feedback": "1/hour"},
    }
    assert parent_api.post(URL, {"title": "First"}, format="json").status_code == 201

    assert_problem(parent_api.post(URL, {"title": "Second"}, format="json"), 429, "throttled")
    assert [parent_api.get(URL).status_code for _ in range(3)] == [200, 200, 200]
    assert FeatureRequest.objects.count() == 1

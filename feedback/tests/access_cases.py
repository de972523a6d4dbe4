"""404-for-others cases of the feedback routes (for tests/test_access_object_level.py's CASES).

Feature requests are shared by design (everyone signed in reads and votes on
them): what is one user's own is their vote. So the case proves another user
cannot withdraw it (their DELETE withdraws only their own, absent, vote) and
that an unknown request is 404 on both methods. A survey meant for parents
does not exist for a sitter: 404, and nothing is stored.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest


def _feature_request_vote(request: pytest.FixtureRequest) -> None:
    from accounts.tests.problems import assert_problem
    from conftest import client_for
    from feedback.models import FeatureVote
    from feedback.services.feature_requests import feature_request_create

    parent = request.getfixturevalue("parent")
    proposed = feature_request_create(author=parent, title="Mine", description="")
    intruder = client_for(request.getfixturevalue("other_parent"))
    withdrawn = intruder.delete(f"/api/v1/feature-requests/{proposed.pk}/vote")
    assert withdrawn.status_code == 200
    assert (withdrawn.json()["vote_count"], withdrawn.json()["voted"]) == (1, False)
    assert FeatureVote.objects.filter(feature_request=proposed, voter=parent).exists()
    unknown = f"/api/v1/feature-requests/{uuid.uuid4()}/vote"
    assert_problem(intruder.post(unknown), 404, "not_found")
    assert_problem(intruder.delete(unknown), 404, "not_found")


def _survey_responses(request: pytest.FixtureRequest) -> None:
    from accounts.tests.problems import assert_problem
    from conftest import client_for
    from feedback.models import Audience, SurveyResponse
    from feedback.tests.factories import good_answers, survey_out

    survey = survey_out(audience=Audience.PARENT, staff=request.getfixturevalue("staff"))
    intruder = client_for(request.getfixturevalue("sitter"))
    url = f"/api/v1/surveys/{survey.pk}/responses"
    assert_problem(intruder.post(url, {"answers": good_answers(survey)}, format="json"), 404, "not_found")
    assert not SurveyResponse.objects.filter(survey=survey).exists()


CASES: dict[str, Callable[[pytest.FixtureRequest], None]] = {
    "feedback:feature-request-vote": _feature_request_vote,
    "feedback:survey-responses": _survey_responses,
}

"""GDPR: the user's feedback, requests, votes and answers exported; erase drops the person and keeps the figures."""

from __future__ import annotations

import pytest

from accounts.models import User
from accounts.services.gdpr import user_erase_confirmed
from feedback.models import FeatureRequest, FeatureVote, Feedback, SurveyAnswer, SurveyResponse
from feedback.selectors.surveys import survey_results_get
from feedback.services.feature_requests import feature_request_create, feature_request_vote
from feedback.services.feedback import feedback_submit
from feedback.services.gdpr import feedback_erase, feedback_export
from feedback.services.surveys import survey_respond
from feedback.tests.factories import good_answers, survey_out
from guardiannest.registries import gdpr_erasers, gdpr_exporters

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(parent: User, other_parent: User) -> dict[str, object]:
    feedback = feedback_submit(
        author=parent, kind="bug", message="Crash on login, my email is anna@example.com", rating=2
    )
    mine = feature_request_create(author=parent, title="Dark mode", description="Please")
    theirs = feature_request_create(author=other_parent, title="Calendar sync")
    feature_request_vote(feature_request_id=mine.pk, voter=other_parent)
    feature_request_vote(feature_request_id=theirs.pk, voter=parent)
    survey = survey_out(title="Tell us")
    survey_respond(survey_id=survey.pk, respondent=parent, answers=good_answers(survey, rating=5, text="Call me"))
    survey_respond(survey_id=survey.pk, respondent=other_parent, answers=good_answers(survey, rating=3, text=None))
    return {"feedback": feedback, "mine": mine, "theirs": theirs, "survey": survey}


def test_the_app_registers_its_export_and_erasure() -> None:
    assert gdpr_exporters.get("feedback") is feedback_export
    assert gdpr_erasers.get("feedback") is feedback_erase


def test_the_export_holds_what_the_user_wrote_voted_and_answered(parent: User, history: dict[str, object]) -> None:
    exported = feedback_export(parent)

    assert [(item["kind"], item["rating"]) for item in exported["feedback"]] == [("bug", 2)]
    assert [item["title"] for item in exported["feature_requests"]] == ["Dark mode"]
    assert sorted(vote["title"] for vote in exported["votes"]) == ["Calendar sync", "Dark mode"]
    [response] = exported["survey_responses"]
    assert response["survey"] == "Tell us"
    assert [(a["rating"], a["choice"], a["text"]) for a in response["answers"]] == [
        (5, None, None),
        (None, "Chat", None),
        (None, None, "Call me"),
    ]


def test_erasing_an_account_keeps_the_figures_without_the_person(
    parent: User, other_parent: User, history: dict[str, object]
) -> None:
    survey = history["survey"]
    before = survey_results_get(survey=survey)  # type: ignore[arg-type]

    user_erase_confirmed(user=parent)

    assert feedback_export(parent) == {"feedback": [], "feature_requests": [], "votes": [], "survey_responses": []}
    feedback = Feedback.objects.get(pk=history["feedback"].pk)  # type: ignore[attr-defined]
    assert (feedback.author, feedback.message, feedback.rating, feedback.kind) == (None, "", 2, "bug")
    mine = FeatureRequest.objects.get(pk=history["mine"].pk)  # type: ignore[attr-defined]
    assert (mine.author, mine.title, mine.vote_count) == (None, "Dark mode", 2)
    assert FeatureRequest.objects.get(pk=history["theirs"].pk).vote_count == 2  # type: ignore[attr-defined]
    assert FeatureVote.objects.filter(voter__isnull=True).count() == 2
    assert SurveyResponse.objects.filter(respondent__isnull=True).count() == 1
    assert not SurveyAnswer.objects.filter(text="Call me").exists()
    after = survey_results_get(survey=survey)  # type: ignore[arg-type]
    assert [q.get("average") for q in after["questions"]] == [q.get("average") for q in before["questions"]]
    assert [q.get("choices") for q in after["questions"]] == [q.get("choices") for q in before["questions"]]
    # the other family's part is untouched
    assert sorted(vote["title"] for vote in feedback_export(other_parent)["votes"]) == ["Calendar sync", "Dark mode"]

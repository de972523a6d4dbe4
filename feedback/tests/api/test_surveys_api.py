"""Surveys: the active ones for my role that I have not answered; answering once, checked against the questions."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.problems import assert_problem
from feedback.models import Audience, Survey, SurveyAnswer, SurveyResponse
from feedback.services.surveys import survey_close, survey_respond
from feedback.tests.factories import good_answers, questions_of, survey_out
from guardiannest.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

ACTIVE = "/api/v1/surveys/active"


def respond_url(survey: Survey) -> str:
    return f"/api/v1/surveys/{survey.pk}/responses"


def respond(client: APIClient, survey: Survey, answers: Any) -> Any:
    return client.post(respond_url(survey), {"answers": answers}, format="json")


def titles(client: APIClient) -> list[str]:
    response = client.get(ACTIVE)
    assert response.status_code == 200
    return [survey["title"] for survey in response.json()["results"]]


def test_an_empty_list_when_nothing_is_out(parent_api: APIClient, staff: User) -> None:
    survey_out(title="Draft", staff=staff, activate=False)

    response = parent_api.get(ACTIVE)

    assert response.status_code == 200
    assert response.json() == {"results": [], "next": None, "previous": None}


def test_the_list_has_the_surveys_out_for_my_role_with_their_questions(
    parent_api: APIClient, sitter_api: APIClient, staff_api: APIClient, staff: User
) -> None:
    survey_out(title="Everyone", staff=staff)
    survey_out(title="Parents", audience=Audience.PARENT, staff=staff)
    survey_out(title="Sitters", audience=Audience.SITTER, staff=staff)
    survey_out(title="Draft", staff=staff, activate=False)
    survey_close(survey_id=survey_out(title="Closed", staff=staff).pk, actor=staff)
    expired = survey_out(title="Expired", staff=staff, closes_at=timezone.now() + timedelta(minutes=1))
    Survey.objects.filter(pk=expired.pk).update(closes_at=timezone.now() - timedelta(seconds=1))

    assert titles(parent_api) == ["Parents", "Everyone"]
    assert titles(sitter_api) == ["Sitters", "Everyone"]
    assert titles(staff_api) == ["Everyone"]
    everyone = parent_api.get(ACTIVE).json()["results"][1]
    assert [(q["position"], q["kind"], q["required"], q["choices"]) for q in everyone["questions"]] == [
        (1, "rating", True, []),
        (2, "choice", True, ["Search", "Chat", "Payments"]),
        (3, "text", False, []),
    ]


def test_an_answer_is_201_and_the_survey_leaves_my_list(parent_api: APIClient, parent: User, staff: User) -> None:
    survey = survey_out(staff=staff)

    response = respond(parent_api, survey, good_answers(survey))

    assert response.status_code == 201, response.content
    body = response.json()
    questions = questions_of(survey)
    assert body["survey_id"] == str(survey.pk)
    assert [(a["question_id"], a["rating"], a["choice"], a["text"]) for a in body["answers"]] == [
        (str(questions["rating"].pk), 4, None, None),
        (str(questions["choice"].pk), None, "Chat", None),
        (str(questions["text"].pk), None, None, "More sitters"),
    ]
    stored = SurveyResponse.objects.get(pk=body["id"])
    assert (stored.respondent, stored.respondent_role) == (parent, "parent")
    assert titles(parent_api) == []
    assert AuditEvent.objects.filter(action="survey.answered", target_id=str(survey.pk)).count() == 1


def test_answering_twice_is_409(parent_api: APIClient, parent: User, staff: User) -> None:
    survey = survey_out(staff=staff)
    survey_respond(survey_id=survey.pk, respondent=parent, answers=good_answers(survey))

    assert_problem(respond(parent_api, survey, good_answers(survey, rating=1)), 409, "survey_already_answered")
    assert SurveyAnswer.objects.filter(question__survey=survey, rating=1).count() == 0


def test_an_optional_question_may_be_left_out_or_blank(parent_api: APIClient, sitter_api: APIClient) -> None:
    survey = survey_out()
    blank = [*good_answers(survey, text=None), {"question_id": str(questions_of(survey)["text"].pk), "text": " "}]

    assert respond(parent_api, survey, good_answers(survey, text=None)).status_code == 201
    assert respond(sitter_api, survey, blank).status_code == 201
    assert not SurveyAnswer.objects.filter(question__kind="text").exists()


def _answers(survey: Survey, change: str) -> tuple[list[dict[str, Any]], str]:
    """A set of answers with one thing wrong, and the field the refusal must name."""
    answers = good_answers(survey)
    questions = questions_of(survey)
    if change == "unknown question":
        answers[0]["question_id"] = "00000000-0000-4000-8000-000000000000"
        return answers, "answers.0.question_id"
    if change == "question of another survey":
        answers[2]["question_id"] = str(questions_of(survey_out(title="Other"))["text"].pk)
        return answers, "answers.2.question_id"
    if change == "same question twice":
        return [*answers, dict(answers[0])], "answers.3.question_id"
    if change == "wrong kind":
        answers[1] = {"question_id": str(questions["choice"].pk), "text": "Chat"}
        return answers, "answers.1.text"
    if change == "choice not offered":
        answers[1]["choice"] = "Fax"
        return answers, "answers.1.choice"
    if change == "rating out of range":
        answers[0]["rating"] = 6
        return answers, "answers.0.rating"
    if change == "two kinds in one answer":
        answers[0]["text"] = "Also this"
        return answers, "answers.0.non_field_errors"
    if change == "missing required":
        return answers[1:], "answers"
    if change == "no answers":
        return [], "answers.non_field_errors"
    if change == "unknown key":
        answers[0]["comment"] = "hi"
        return answers, "answers.0.comment"
    raise AssertionError(change)


@pytest.mark.parametrize(
    "change",
    [
        "unknown question",
        "question of another survey",
        "same question twice",
        "wrong kind",
        "choice not offered",
        "rating out of range",
        "two kinds in one answer",
        "missing required",
        "no answers",
        "unknown key",
    ],
)
def test_answers_are_checked_against_the_questions(parent_api: APIClient, staff: User, change: str) -> None:
    survey = survey_out(staff=staff)
    answers, field = _answers(survey, change)

    problem = assert_problem(respond(parent_api, survey, answers), 400, "invalid")

    assert field in problem["errors"], problem
    assert not SurveyResponse.objects.exists()


def test_a_missing_required_answer_names_the_question(parent_api: APIClient) -> None:
    survey = survey_out()
    rating = questions_of(survey)["rating"]

    problem = assert_problem(respond(parent_api, survey, good_answers(survey)[1:]), 400, "invalid")

    assert str(rating.pk) in problem["errors"]["answers"][0]


def test_a_survey_not_out_for_me_is_404(parent_api: APIClient, staff: User) -> None:
    draft = survey_out(title="Draft", staff=staff, activate=False)
    closed = survey_out(title="Closed", staff=staff)
    survey_close(survey_id=closed.pk, actor=staff)
    sitters = survey_out(title="Sitters", audience=Audience.SITTER, staff=staff)
    expired = survey_out(title="Expired", staff=staff)
    Survey.objects.filter(pk=expired.pk).update(closes_at=timezone.now() - timedelta(seconds=1))

    for survey in (draft, closed, sitters, expired):
        assert_problem(respond(parent_api, survey, good_answers(survey)), 404, "not_found")
    unknown = "/api/v1/surveys/00000000-0000-4000-8000-000000000000/responses"
    body = {"answers": [{"question_id": "00000000-0000-4000-8000-000000000001", "rating": 3}]}
    assert_problem(parent_api.post(unknown, body, format="json"), 404, "not_found")
    assert not SurveyResponse.objects.exists()


def test_anonymous_callers_are_401(api: APIClient) -> None:
    survey = survey_out()
    assert_problem(api.get(ACTIVE), 401)
    assert_problem(respond(api, survey, good_answers(survey)), 401)

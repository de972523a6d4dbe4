"""Writing and sending out surveys: questions and audience are fixed once a survey is out."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from feedback.errors import FeedbackError
from feedback.models import Audience, QuestionKind, Survey, SurveyQuestion, SurveyStatus
from feedback.services.surveys import (
    survey_activate,
    survey_close,
    survey_question_delete,
    survey_question_save,
    survey_save,
)
from feedback.tests.factories import questions_of, survey_out
from guardiannest.audit.models import AuditEvent
from guardiannest.errors import ApplicationError

pytestmark = pytest.mark.django_db


def test_a_new_survey_is_a_draft_of_its_author(staff: User) -> None:
    survey = survey_save(survey=Survey(title="Hello", audience=Audience.SITTER), actor=staff)

    assert (survey.status, survey.created_by) == (SurveyStatus.DRAFT, staff)
    assert AuditEvent.objects.filter(action="survey.created", target_id=str(survey.pk), actor=staff).exists()


def test_the_questions_of_a_survey_that_is_out_do_not_change(staff: User) -> None:
    survey = survey_out(staff=staff)
    rating = questions_of(survey)["rating"]
    rating.prompt = "Changed"
    extra = SurveyQuestion(survey=survey, kind=QuestionKind.TEXT, prompt="More?")

    for attempt in (
        lambda: survey_question_save(question=rating, actor=staff),
        lambda: survey_question_save(question=extra, actor=staff),
        lambda: survey_question_delete(question=rating, actor=staff),
    ):
        with pytest.raises(ApplicationError) as refused:
            attempt()
        assert refused.value.code == FeedbackError.SURVEY_NOT_DRAFT

    assert list(survey.questions.values_list("prompt", flat=True)) == ["Question 1", "Question 2", "Question 3"]


def test_the_audience_is_fixed_once_out_but_the_wording_is_not(staff: User) -> None:
    survey = survey_out(staff=staff)
    survey.title, survey.audience = "Better title", Audience.PARENT

    with pytest.raises(ApplicationError) as refused:
        survey_save(survey=survey, actor=staff)
    survey.audience = Audience.ALL
    saved = survey_save(survey=survey, actor=staff)

    assert refused.value.code == FeedbackError.SURVEY_NOT_DRAFT
    assert Survey.objects.get(pk=saved.pk).title == "Better title"
    assert AuditEvent.objects.filter(action="survey.updated", data__fields=["title"]).count() == 1


def test_a_single_choice_question_offers_distinct_choices(staff: User) -> None:
    survey = survey_out(staff=staff, activate=False)
    for choices, message in [
        (["Only one"], "2 to"),
        (["Same", "Same"], "once"),
        (["Yes", " "], "blank"),
    ]:
        with pytest.raises(ApplicationError) as refused:
            survey_question_save(
                question=SurveyQuestion(survey=survey, kind=QuestionKind.CHOICE, prompt="Pick", choices=choices),
                actor=staff,
            )
        assert message in refused.value.errors["choices"][0]
    with pytest.raises(ApplicationError):
        survey_question_save(
            question=SurveyQuestion(survey=survey, kind=QuestionKind.RATING, prompt="Rate", choices=["a", "b"]),
            actor=staff,
        )


def test_activation_needs_a_question_and_a_future_closing_time(staff: User) -> None:
    empty = survey_save(survey=Survey(title="Empty"), actor=staff)
    late = survey_out(staff=staff, activate=False, closes_at=timezone.now() + timedelta(minutes=5))

    with pytest.raises(ApplicationError) as no_questions:
        survey_activate(survey_id=empty.pk, actor=staff)
    with pytest.raises(ApplicationError) as passed:
        survey_activate(survey_id=late.pk, actor=staff, now=timezone.now() + timedelta(minutes=10))

    assert no_questions.value.code == FeedbackError.SURVEY_HAS_NO_QUESTIONS
    assert passed.value.errors == {"closes_at": ["The closing time has passed: move it or clear it first."]}
    assert Survey.objects.filter(status=SurveyStatus.DRAFT).count() == 2


def test_close_and_reopen(staff: User) -> None:
    survey = survey_out(staff=staff)
    draft = survey_out(staff=staff, activate=False)

    closed = survey_close(survey_id=survey.pk, actor=staff)
    again = survey_close(survey_id=survey.pk, actor=staff)
    reopened = survey_activate(survey_id=survey.pk, actor=staff)
    with pytest.raises(ApplicationError) as never_out:
        survey_close(survey_id=draft.pk, actor=staff)

    assert (closed.status, again.status, reopened.status) == ("closed", "closed", "active")
    assert never_out.value.code == FeedbackError.SURVEY_NOT_ACTIVE
    assert AuditEvent.objects.filter(action="survey.closed", target_id=str(survey.pk)).count() == 1


@pytest.mark.django_db(transaction=True)
def test_racing_first_answers_store_one_response() -> None:
    from accounts.tests.factories import ParentFactory, StaffFactory
    from conftest import race
    from feedback.models import SurveyResponse
    from feedback.services.surveys import survey_respond
    from feedback.tests.factories import good_answers

    survey = survey_out(staff=StaffFactory())
    parent = ParentFactory()

    results = race(6, lambda: survey_respond(survey_id=survey.pk, respondent=parent, answers=good_answers(survey)))

    refusals = [result for result in results if isinstance(result, ApplicationError)]
    assert len(results) - len(refusals) == 1, results
    assert {refusal.code for refusal in refusals} == {FeedbackError.SURVEY_ALREADY_ANSWERED}
    assert SurveyResponse.objects.filter(survey=survey).count() == 1

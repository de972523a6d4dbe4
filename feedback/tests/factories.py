"""Rows of the feedback app for tests, and a survey sent out through the services as staff would."""

from __future__ import annotations

from typing import Any

import factory

from accounts.models import User
from accounts.tests.factories import StaffFactory
from feedback.models import (
    Audience,
    FeatureRequest,
    Feedback,
    FeedbackKind,
    QuestionKind,
    Survey,
    SurveyQuestion,
)
from feedback.services.surveys import survey_activate, survey_question_save, survey_save

CHOICES = ["Search", "Chat", "Payments"]


class FeedbackFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Feedback

    kind = FeedbackKind.FEEDBACK
    message = factory.Sequence(lambda n: f"Feedback number {n}")
    author_role = factory.LazyAttribute(lambda row: row.author.role if row.author else "")


class FeatureRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FeatureRequest

    title = factory.Sequence(lambda n: f"Feature {n}")
    description = "Would be nice."


def survey_out(
    *, audience: str = Audience.ALL, staff: User | None = None, activate: bool = True, **fields: Any
) -> Survey:
    """A survey with three questions (rating required, choice required, text optional), sent out unless told."""
    staff = staff or StaffFactory()
    survey = survey_save(survey=Survey(title=fields.pop("title", "Tell us"), audience=audience, **fields), actor=staff)
    for position, (kind, required, choices) in enumerate(
        [(QuestionKind.RATING, True, []), (QuestionKind.CHOICE, True, CHOICES), (QuestionKind.TEXT, False, [])],
        start=1,
    ):
        question = SurveyQuestion(
            survey=survey,
            position=position,
            kind=kind,
            prompt=f"Question {position}",
            required=required,
            choices=choices,
        )
        survey_question_save(question=question, actor=staff)
    return survey_activate(survey_id=survey.pk, actor=staff) if activate else survey


def questions_of(survey: Survey) -> dict[str, SurveyQuestion]:
    """The survey's questions by kind (survey_out makes one of each)."""
    return {question.kind: question for question in survey.questions.all()}


def good_answers(
    survey: Survey, *, rating: int = 4, choice: str = "Chat", text: str | None = "More sitters"
) -> list[dict[str, Any]]:
    questions = questions_of(survey)
    answers: list[dict[str, Any]] = [
        {"question_id": str(questions["rating"].pk), "rating": rating},
        {"question_id": str(questions["choice"].pk), "choice": choice},
    ]
    if text is not None:
        answers.append({"question_id": str(questions["text"].pk), "text": text})
    return answers

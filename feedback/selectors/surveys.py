"""Surveys as users see them (the active ones meant for them), and their results as staff see them.

A survey is out for a user when it is active, its closing time (if any) has
not passed, and its audience is everyone or the user's role. Anything else
is "not found", exactly like a missing survey.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from django.db.models import Avg, Count, Prefetch, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from feedback.models import Audience, QuestionKind, Survey, SurveyAnswer, SurveyQuestion, SurveyResponse, SurveyStatus
from guardiannest.errors import not_found

TEXTS_SHOWN = 200  # free-text answers listed per question on the results page, newest first


def _out_for(user: User, now: datetime) -> Q:
    return (
        Q(status=SurveyStatus.ACTIVE)
        & (Q(closes_at__isnull=True) | Q(closes_at__gt=now))
        & Q(audience__in=[Audience.ALL, user.role])
    )


def _with_questions(rows: QuerySet[Survey]) -> QuerySet[Survey]:
    return rows.prefetch_related(Prefetch("questions", queryset=SurveyQuestion.objects.order_by("position", "id")))


def survey_list_active_for_user(*, user: User, now: datetime | None = None) -> QuerySet[Survey]:
    """The surveys out for ``user`` that they have not answered yet, newest first, with their questions."""
    answered = SurveyResponse.objects.filter(respondent=user).values("survey_id")
    rows = Survey.objects.filter(_out_for(user, now or timezone.now())).exclude(pk__in=answered)
    return _with_questions(rows).order_by("-created_at", "-id")


def survey_get_active_for_user(*, survey_id: UUID, user: User, now: datetime | None = None) -> Survey:
    """One survey out for ``user`` (answered or not); a draft, closed or other audience's survey is not found."""
    survey = _with_questions(Survey.objects.filter(_out_for(user, now or timezone.now()), pk=survey_id)).first()
    if survey is None:
        raise not_found("No such survey.")
    return survey


def survey_results_get(*, survey: Survey) -> dict[str, Any]:
    """Each question's figures, from aggregate queries: ratings (average, count per value), choices (count per
    choice offered, in order), free text (the newest answers listed, and how many there are)."""
    questions = list(survey.questions.order_by("position", "id"))
    answers = SurveyAnswer.objects.filter(question__survey=survey)
    answered = dict(answers.values_list("question").annotate(n=Count("id")).order_by())
    averages = dict(
        answers.filter(question__kind=QuestionKind.RATING).values_list("question").annotate(a=Avg("rating")).order_by()
    )
    ratings: dict[Any, dict[int, int]] = {}
    for question_id, rating, count in (
        answers.filter(question__kind=QuestionKind.RATING)
        .values_list("question", "rating")
        .annotate(n=Count("id"))
        .order_by()
    ):
        ratings.setdefault(question_id, {})[rating] = count
    picks: dict[Any, dict[str, int]] = {}
    for question_id, choice, count in (
        answers.filter(question__kind=QuestionKind.CHOICE)
        .values_list("question", "choice")
        .annotate(n=Count("id"))
        .order_by()
    ):
        picks.setdefault(question_id, {})[choice] = count
    results = []
    for question in questions:
        row: dict[str, Any] = {
            "id": question.pk,
            "position": question.position,
            "prompt": question.prompt,
            "kind": question.kind,
            "required": question.required,
            "answers": answered.get(question.pk, 0),
        }
        if question.kind == QuestionKind.RATING:
            average = averages.get(question.pk)
            row["average"] = None if average is None else round(float(average), 2)
            row["distribution"] = [(value, ratings.get(question.pk, {}).get(value, 0)) for value in range(1, 6)]
        elif question.kind == QuestionKind.CHOICE:
            counts = picks.get(question.pk, {})
            row["choices"] = [(choice, counts.get(choice, 0)) for choice in question.choices]
        else:
            row["texts"] = list(
                answers.filter(question=question)
                .order_by("-response__submitted_at", "-id")
                .values_list("text", flat=True)[:TEXTS_SHOWN]
            )
        results.append(row)
    return {"responses": SurveyResponse.objects.filter(survey=survey).count(), "questions": results}

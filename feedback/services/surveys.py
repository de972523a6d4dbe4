"""Surveys: staff write one (in the admin) and send it out; users answer it once.

A survey is written as a draft: its questions and audience change freely and
nobody sees it. Activating it sends it out to its audience (parents, sitters
or everyone) until staff close it or its ``closes_at`` passes; from then on
its questions are fixed, since every answer is read against them. Each user
answers once (a unique response per survey and respondent), and the answers
are checked against the questions: each names a question of this survey,
gives the kind of answer that question takes (a rating 1-5, one of the
choices offered, or text), and every required question is answered.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from feedback.errors import FeedbackError
from feedback.models import QuestionKind, Survey, SurveyAnswer, SurveyQuestion, SurveyResponse, SurveyStatus
from feedback.selectors.surveys import survey_get_active_for_user
from guardiannest.audit.services import audit_record
from guardiannest.errors import ApplicationError, invalid, invalid_fields, not_found
from guardiannest.text import clean_text

TEXT_ANSWER_MAX = 2000
# The answer field each kind of question takes.
ANSWER_FIELD = {QuestionKind.RATING: "rating", QuestionKind.CHOICE: "choice", QuestionKind.TEXT: "text"}
ANSWER_FIELDS = tuple(ANSWER_FIELD.values())


# --- staff: writing and sending out -------------------------------------------------------------


def _model_errors(exc: ValidationError) -> dict[str, list[str]]:
    return {field: [str(message) for message in messages] for field, messages in exc.message_dict.items()}


def _locked_survey(survey_id: UUID) -> Survey:
    survey = Survey.objects.select_for_update().filter(pk=survey_id).first()
    if survey is None:
        raise not_found("No such survey.")
    return survey


def _refuse_unless_draft(survey: Survey, what: str) -> None:
    if survey.status != SurveyStatus.DRAFT:
        raise ApplicationError(FeedbackError.SURVEY_NOT_DRAFT, f"The survey is out: its {what} no longer change.")


def survey_save(*, survey: Survey, actor: User) -> Survey:
    """Create a draft survey, or save staff's edits of one: title, description, closing time; audience while draft."""
    try:
        survey.full_clean(exclude=["created_by"])
    except ValidationError as exc:
        raise invalid_fields(_model_errors(exc)) from None
    with transaction.atomic():
        if survey._state.adding:
            survey.status = SurveyStatus.DRAFT
            survey.created_by = actor
            survey.save()
            audit_record(action="survey.created", actor=actor, target=survey)
            return survey
        stored = _locked_survey(survey.pk)
        changed = sorted(
            field
            for field in ("title", "description", "audience", "closes_at")
            if getattr(stored, field) != getattr(survey, field)
        )
        if "audience" in changed:
            _refuse_unless_draft(stored, "audience")
        for field in changed:
            setattr(stored, field, getattr(survey, field))
        if changed:
            stored.save()
            audit_record(action="survey.updated", actor=actor, target=stored, data={"fields": changed})
    return stored


def survey_question_save(*, question: SurveyQuestion, actor: User) -> SurveyQuestion:
    """Add or change a question of a draft survey."""
    try:
        question.full_clean(exclude=["survey"])
    except ValidationError as exc:
        raise invalid_fields(_model_errors(exc)) from None
    with transaction.atomic():
        _refuse_unless_draft(_locked_survey(question.survey_id), "questions")
        adding = question._state.adding
        question.save()
        audit_record(
            action="survey.question_added" if adding else "survey.question_changed",
            actor=actor,
            target=question.survey,
            data={"question": str(question.pk), "kind": question.kind},
        )
    return question


def survey_question_delete(*, question: SurveyQuestion, actor: User) -> None:
    """Remove a question of a draft survey."""
    with transaction.atomic():
        survey = _locked_survey(question.survey_id)
        _refuse_unless_draft(survey, "questions")
        question_id = str(question.pk)
        SurveyQuestion.objects.filter(pk=question.pk).delete()
        audit_record(action="survey.question_removed", actor=actor, target=survey, data={"question": question_id})


def survey_activate(*, survey_id: UUID, actor: User, now: datetime | None = None) -> Survey:
    """Send a draft (or reopen a closed) survey out to its audience; it needs a question and a future closing time."""
    now = now or timezone.now()
    with transaction.atomic():
        survey = _locked_survey(survey_id)
        if survey.status == SurveyStatus.ACTIVE:
            return survey
        if not survey.questions.exists():
            raise ApplicationError(FeedbackError.SURVEY_HAS_NO_QUESTIONS, "Add a question before sending it out.")
        if survey.closes_at is not None and survey.closes_at <= now:
            raise invalid("closes_at", "The closing time has passed: move it or clear it first.")
        previous, survey.status = survey.status, SurveyStatus.ACTIVE
        survey.save(update_fields=["status", "updated_at"])
        audit_record(action="survey.activated", actor=actor, target=survey, data={"from": previous})
    return survey


def survey_close(*, survey_id: UUID, actor: User) -> Survey:
    """Stop taking answers; the results stay. Closing a closed survey changes nothing; a draft was never out."""
    with transaction.atomic():
        survey = _locked_survey(survey_id)
        if survey.status == SurveyStatus.CLOSED:
            return survey
        if survey.status != SurveyStatus.ACTIVE:
            raise ApplicationError(FeedbackError.SURVEY_NOT_ACTIVE, "A draft has not been sent out.")
        survey.status = SurveyStatus.CLOSED
        survey.save(update_fields=["status", "updated_at"])
        audit_record(action="survey.closed", actor=actor, target=survey)
    return survey


# --- users: answering -------------------------------------------------------------------------


def _already_answered() -> ApplicationError:
    return ApplicationError(FeedbackError.SURVEY_ALREADY_ANSWERED, "You have answered this survey already.")


def _answer_value(question: SurveyQuestion, value: Any, where: str) -> Any:
    """The value to store for one answer, or an invalid-input error on ``where``; None for a blank optional text."""
    if question.kind == QuestionKind.RATING:
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
            raise invalid(where, "A rating is a whole number from 1 to 5.")
        return value
    if question.kind == QuestionKind.CHOICE:
        if not isinstance(value, str) or value not in question.choices:
            raise invalid(where, f"Not one of the choices offered: {', '.join(question.choices)}.")
        return value
    if not isinstance(value, str):
        raise invalid(where, "Text.")
    return clean_text(value, max_length=TEXT_ANSWER_MAX, field=where) or None


def _checked_answers(
    questions: Iterable[SurveyQuestion], answers: Iterable[Mapping[str, Any]]
) -> list[tuple[SurveyQuestion, str, Any]]:
    """Each answer as (question, field, value), or one invalid-input error naming every field at fault."""
    by_id = {str(question.pk): question for question in questions}
    errors: dict[str, list[str]] = {}
    checked: list[tuple[SurveyQuestion, str, Any]] = []
    seen: set[str] = set()  # questions answered, rightly or not
    for index, answer in enumerate(answers):
        where = f"answers.{index}"
        question = by_id.get(str(answer.get("question_id")))
        if question is None:
            errors[f"{where}.question_id"] = ["No such question in this survey."]
            continue
        if str(question.pk) in seen:
            errors[f"{where}.question_id"] = ["This question is answered twice."]
            continue
        seen.add(str(question.pk))
        given = [field for field in ANSWER_FIELDS if answer.get(field) is not None]
        expected = ANSWER_FIELD[QuestionKind(question.kind)]
        if given != [expected]:
            wrong = next((field for field in given if field != expected), None)
            message = f"This question takes a {question.kind} answer: send {expected}."
            errors[f"{where}.{wrong}" if wrong else where] = [message]
            continue
        try:
            value = _answer_value(question, answer[expected], f"{where}.{expected}")
        except ApplicationError as exc:
            errors.update(exc.errors or {})
            continue
        if value is None:
            seen.discard(str(question.pk))  # a blank text is no answer
        else:
            checked.append((question, expected, value))
    missing = [question for key, question in by_id.items() if question.required and key not in seen]
    if missing:
        errors["answers"] = [
            f'Answer the required question {question.pk} ("{question.prompt}").' for question in missing
        ]
    elif not errors and not checked:
        errors["answers"] = ["Answer at least one question."]
    if errors:
        raise invalid_fields(errors)
    return checked


def survey_respond(*, survey_id: UUID, respondent: User, answers: Iterable[Mapping[str, Any]]) -> SurveyResponse:
    """Answer an active survey meant for the respondent, once (409 ``survey_already_answered`` the second time).

    ``answers`` is a list of ``{question_id, rating | choice | text}``. A survey
    not out, closed, past its closing time or for another audience is not
    found. A blank text to an optional question is no answer.
    """
    survey = survey_get_active_for_user(survey_id=survey_id, user=respondent)
    if SurveyResponse.objects.filter(survey=survey, respondent=respondent).exists():
        raise _already_answered()
    questions = list(survey.questions.all())
    checked = _checked_answers(questions, list(answers))
    try:
        with transaction.atomic():
            response = SurveyResponse.objects.create(
                survey=survey, respondent=respondent, respondent_role=respondent.role
            )
            SurveyAnswer.objects.bulk_create(
                SurveyAnswer(response=response, question=question, **{field: value})
                for question, field, value in checked
            )
            audit_record(action="survey.answered", actor=respondent, target=survey, data={"answers": len(checked)})
    except IntegrityError:  # a concurrent first answer won the unique (survey, respondent)
        raise _already_answered() from None
    return response

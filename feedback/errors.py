"""Error codes of the feedback app, each with the kind of refusal it is (``guardiannest.errors``)."""

from __future__ import annotations

from guardiannest.errors import ErrorCodes


class FeedbackError(ErrorCodes):
    # Done and declined requests are settled: their vote counts no longer move.
    FEATURE_REQUEST_CLOSED = "feature_request_closed"
    SURVEY_ALREADY_ANSWERED = "survey_already_answered"
    # Questions and audience are fixed once a survey is out: answers are read against them.
    SURVEY_NOT_DRAFT = "survey_not_draft"
    SURVEY_NOT_ACTIVE = "survey_not_active"
    SURVEY_HAS_NO_QUESTIONS = "survey_has_no_questions"

"""GDPR for the feedback app: what it holds about a user, and erasing it on account deletion.

Registered in ``FeedbackConfig.ready`` as ``gdpr_exporters`` / ``gdpr_erasers``
entry ``"feedback"``. Erase keeps the figures and drops the person: the user
is detached from their feedback, feature requests, votes and survey responses,
and what they wrote in their own words to us (feedback messages, free-text
survey answers) is blanked. Votes still count, ratings and choices still
average and add up, and the feature requests they proposed stay (other people
voted for them), without an author.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from accounts.models import User
from feedback.models import FeatureRequest, FeatureVote, Feedback, SurveyAnswer, SurveyResponse
from guardiannest.audit.services import audit_record

ERASED_TEXT = ""


def _iso(value: Any) -> str | None:
    return None if value is None else value.isoformat()


def feedback_export(user: User) -> dict[str, Any]:
    """The user's feedback, the requests they proposed, their votes and their survey answers."""
    responses = (
        SurveyResponse.objects.filter(respondent=user)
        .select_related("survey")
        .prefetch_related("answers__question")
        .order_by("submitted_at")
    )
    return {
        "feedback": [
            {
                "id": str(item.pk),
                "kind": item.kind,
                "message": item.message,
                "rating": item.rating,
                "app_version": item.app_version,
                "platform": item.platform,
                "status": item.status,
                "created_at": _iso(item.created_at),
            }
            for item in Feedback.objects.filter(author=user).order_by("created_at")
        ],
        "feature_requests": [
            {
                "id": str(item.pk),
                "title": item.title,
                "description": item.description,
                "status": item.status,
                "created_at": _iso(item.created_at),
            }
            for item in FeatureRequest.objects.filter(author=user).order_by("created_at")
        ],
        "votes": [
            {
                "feature_request_id": str(vote.feature_request_id),
                "title": vote.feature_request.title,
                "created_at": _iso(vote.created_at),
            }
            for vote in FeatureVote.objects.filter(voter=user).select_related("feature_request").order_by("created_at")
        ],
        "survey_responses": [
            {
                "id": str(response.pk),
                "survey": response.survey.title,
                "submitted_at": _iso(response.submitted_at),
                "answers": [
                    {
                        "question": answer.question.prompt,
                        "rating": answer.rating,
                        "choice": answer.choice or None,
                        "text": answer.text or None,
                    }
                    for answer in sorted(response.answers.all(), key=lambda a: (a.question.position, a.pk))
                ],
            }
            for response in responses
        ],
    }


@transaction.atomic
def feedback_erase(user: User) -> None:
    """Detach the user from everything here and blank their own words; every figure stays."""
    counts = {
        "feedback": Feedback.objects.filter(author=user).update(author=None, message=ERASED_TEXT),
        "feature_requests": FeatureRequest.objects.filter(author=user).update(author=None),
        "votes": FeatureVote.objects.filter(voter=user).update(voter=None),
        "texts": SurveyAnswer.objects.filter(response__respondent=user).exclude(text="").update(text=ERASED_TEXT),
        "survey_responses": SurveyResponse.objects.filter(respondent=user).update(respondent=None),
    }
    audit_record(action="feedback.erased", target=user, data=counts)

"""Demo feedback for ``make run``: a survey out for everyone, and a few feature requests with votes.

Registered in ``demo_seeders`` (key ``"feedback"``), after the accounts seeder
made the demo users. Idempotent: the survey and each request are made once
(found again by their title), through the services, so the audit trail and the
vote counts are what real use would leave. It adds no logins.
"""

from __future__ import annotations

from accounts.demo import DEMO_USERS
from accounts.models import User
from feedback.models import FeatureRequest, FeatureRequestStatus, QuestionKind, Survey, SurveyQuestion
from feedback.services.feature_requests import feature_request_create, feature_request_status_set, feature_request_vote
from feedback.services.surveys import survey_activate, survey_question_save, survey_save
from guardiannest.registries import DemoLogin

SURVEY_TITLE = "How is GuardianNest working for you?"
QUESTIONS = [
    (QuestionKind.RATING, "How likely are you to recommend GuardianNest to a friend? (1-5)", True, []),
    (
        QuestionKind.CHOICE,
        "What do you use most?",
        True,
        ["Search and booking", "Chat", "Live tracking", "Payments"],
    ),
    (QuestionKind.TEXT, "What one thing should we improve?", False, []),
]
# (title, description, proposed by, voters, status set by staff)
REQUESTS = [
    (
        "Share a booking with my partner",
        "Let a second parent see and manage our family's bookings.",
        "parent.anna@guardiannest.demo",
        ["parent.ben@guardiannest.demo", "sitter.chloe@guardiannest.demo"],
        FeatureRequestStatus.PLANNED,
    ),
    (
        "Recurring weekly bookings from the app",
        "Book the same sitter every Tuesday without asking each week.",
        "parent.ben@guardiannest.demo",
        ["parent.anna@guardiannest.demo"],
        FeatureRequestStatus.OPEN,
    ),
    (
        "Dark mode",
        "Easier on the eyes during late-evening shifts.",
        "sitter.dev@guardiannest.demo",
        ["sitter.emma@guardiannest.demo", "sitter.chloe@guardiannest.demo", "parent.anna@guardiannest.demo"],
        FeatureRequestStatus.IN_PROGRESS,
    ),
]


def _user(email: str) -> User | None:
    return User.objects.filter(email=email).first()


def seed() -> list[DemoLogin]:
    staff = _user(DEMO_USERS[0][0])
    if staff is None:
        return []
    if not Survey.objects.filter(title=SURVEY_TITLE).exists():
        survey = survey_save(survey=Survey(title=SURVEY_TITLE, description="Three questions, one minute."), actor=staff)
        for position, (kind, prompt, required, choices) in enumerate(QUESTIONS, start=1):
            question = SurveyQuestion(
                survey=survey, position=position, kind=kind, prompt=prompt, required=required, choices=choices
            )
            survey_question_save(question=question, actor=staff)
        survey_activate(survey_id=survey.pk, actor=staff)
    for title, description, author_email, voter_emails, status in REQUESTS:
        author = _user(author_email)
        if author is None or FeatureRequest.objects.filter(title=title).exists():
            continue
        request = feature_request_create(author=author, title=title, description=description)
        for voter in filter(None, map(_user, voter_emails)):
            feature_request_vote(feature_request_id=request.pk, voter=voter)
        feature_request_status_set(feature_request_id=request.pk, status=status, actor=staff)
    return []

"""Tables of feedback: what users tell us (feedback, bug reports), what they ask for (feature requests and
their votes), and what we ask them (surveys, their questions, responses and answers).

Authorship is a nullable foreign key everywhere: erasing an account (GDPR) detaches the user from what they
wrote and keeps the figures (votes, ratings, choices), so aggregates survive the people behind them.
A feature request keeps its vote count in a plain column, recounted from the vote rows under the request's
row lock by each vote, so the list sorts on an index.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

__all__ = [
    "Audience",
    "FeatureRequest",
    "FeatureRequestStatus",
    "FeatureVote",
    "Feedback",
    "FeedbackKind",
    "FeedbackStatus",
    "QuestionKind",
    "Survey",
    "SurveyAnswer",
    "SurveyQuestion",
    "SurveyResponse",
    "SurveyStatus",
]

CHOICE_MAX = 200  # characters of one offered choice
CHOICES_MAX = 20  # choices of one question


class FeedbackKind(models.TextChoices):
    FEEDBACK = "feedback"
    BUG = "bug"


class FeedbackStatus(models.TextChoices):
    NEW = "new"  # nobody has looked yet
    TRIAGED = "triaged"  # read, assigned or noted
    CLOSED = "closed"  # nothing more to do


class Feedback(models.Model):
    """One message from a user: general feedback or a bug report, with the app it came from; triaged by staff."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    author_role = models.CharField(max_length=10, blank=True, help_text="parent, sitter or staff, as they wrote.")
    kind = models.CharField(max_length=10, choices=FeedbackKind.choices)
    message = models.TextField(help_text="Plain text, cleaned of markup (nh3).")
    rating = models.PositiveSmallIntegerField(null=True, blank=True, help_text="1-5, optional.")
    app_version = models.CharField(max_length=32, blank=True, help_text="From the X-App-Version header.")
    platform = models.CharField(max_length=16, blank=True, help_text="From the X-App-Platform header.")
    status = models.CharField(max_length=10, choices=FeedbackStatus.choices, default=FeedbackStatus.NEW)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    staff_note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "feedback"
        indexes = [
            models.Index(fields=["status", "-created_at"], name="feedback_status_recent"),
            models.Index(fields=["author"], name="feedback_author"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=FeedbackKind.values), name="feedback_kind_valid"),
            models.CheckConstraint(condition=Q(status__in=FeedbackStatus.values), name="feedback_status_valid"),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5), name="feedback_rating_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {str(self.pk)[:8]} ({self.status})"


class FeatureRequestStatus(models.TextChoices):
    OPEN = "open"
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    DECLINED = "declined"


# Done and declined requests are settled: they take no more votes, nor withdrawals.
VOTABLE = frozenset({FeatureRequestStatus.OPEN, FeatureRequestStatus.PLANNED, FeatureRequestStatus.IN_PROGRESS})


class FeatureRequest(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    title = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=12, choices=FeatureRequestStatus.choices, default=FeatureRequestStatus.OPEN)
    vote_count = models.PositiveIntegerField(default=0, help_text="Recounted from the votes at each vote.")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-vote_count", "-created_at"]
        indexes = [models.Index(fields=["-vote_count", "-created_at"], name="feedback_request_by_votes")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=FeatureRequestStatus.values), name="feedback_request_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def votable(self) -> bool:
        return self.status in VOTABLE


class FeatureVote(models.Model):
    """One user's vote for one request; the voter is detached (the vote kept) when their account is erased."""

    id = models.BigAutoField(primary_key=True)
    feature_request = models.ForeignKey(FeatureRequest, on_delete=models.CASCADE, related_name="votes")
    voter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["feature_request", "voter"], name="feedback_vote_once"),
        ]
        indexes = [models.Index(fields=["voter"], name="feedback_vote_voter")]

    def __str__(self) -> str:
        return f"vote of {self.voter_id} for {self.feature_request_id}"


class Audience(models.TextChoices):
    ALL = "all", "Everyone"
    PARENT = "parent", "Parents"
    SITTER = "sitter", "Sitters"


class SurveyStatus(models.TextChoices):
    DRAFT = "draft"  # staff are writing it: questions change freely, nobody sees it
    ACTIVE = "active"  # out (until closes_at, when set): questions are fixed
    CLOSED = "closed"  # no more answers; results stay


class Survey(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    audience = models.CharField(max_length=10, choices=Audience.choices, default=Audience.ALL)
    status = models.CharField(max_length=10, choices=SurveyStatus.choices, default=SurveyStatus.DRAFT, editable=False)
    closes_at = models.DateTimeField(null=True, blank=True, help_text="Optional: no answers after this time.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, editable=False, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["-created_at"], name="feedback_survey_active", condition=Q(status="active"))]
        constraints = [
            models.CheckConstraint(condition=Q(audience__in=Audience.values), name="feedback_survey_audience_valid"),
            models.CheckConstraint(condition=Q(status__in=SurveyStatus.values), name="feedback_survey_status_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.status})"


class QuestionKind(models.TextChoices):
    RATING = "rating", "Rating (1-5)"
    CHOICE = "choice", "Single choice"
    TEXT = "text", "Free text"


class SurveyQuestion(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(max_length=10, choices=QuestionKind.choices)
    prompt = models.CharField(max_length=300)
    required = models.BooleanField(default=True)
    choices = models.JSONField(default=list, blank=True, help_text="Single choice only: the choices offered.")

    class Meta:
        ordering = ["survey", "position", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=QuestionKind.values), name="feedback_question_kind_valid"),
        ]

    def __str__(self) -> str:
        return self.prompt

    def clean(self) -> None:
        """A single-choice question offers 2 to 20 distinct, non-blank choices; other kinds offer none."""
        choices: Any = self.choices
        if self.kind != QuestionKind.CHOICE:
            if choices:
                raise ValidationError({"choices": "Only a single-choice question offers choices."})
            return
        if not isinstance(choices, list) or not all(isinstance(item, str) and item.strip() for item in choices):
            raise ValidationError({"choices": "A list of choices, none blank."})
        cleaned = [item.strip() for item in choices]
        if not 2 <= len(cleaned) <= CHOICES_MAX:
            raise ValidationError({"choices": f"Offer 2 to {CHOICES_MAX} choices."})
        if len(set(cleaned)) != len(cleaned):
            raise ValidationError({"choices": "Each choice once."})
        if any(len(item) > CHOICE_MAX for item in cleaned):
            raise ValidationError({"choices": f"A choice has at most {CHOICE_MAX} characters."})
        self.choices = cleaned


class SurveyResponse(models.Model):
    """One person's answers to one survey, once; the respondent is detached when their account is erased."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    respondent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    respondent_role = models.CharField(max_length=10, blank=True)
    submitted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-submitted_at"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "respondent"], name="feedback_survey_answered_once"),
        ]
        indexes = [models.Index(fields=["respondent"], name="feedback_response_respondent")]

    def __str__(self) -> str:
        return f"response to {self.survey_id}"


class SurveyAnswer(models.Model):
    """One answer: ``rating``, ``choice`` or ``text``, whichever its question's kind takes."""

    id = models.BigAutoField(primary_key=True)
    response = models.ForeignKey(SurveyResponse, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(SurveyQuestion, on_delete=models.CASCADE, related_name="answers")
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    choice = models.CharField(max_length=CHOICE_MAX, blank=True)
    text = models.TextField(blank=True)

    class Meta:
        ordering = ["response", "question__position"]
        constraints = [
            models.UniqueConstraint(fields=["response", "question"], name="feedback_answer_once"),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5), name="feedback_answer_rating_range"
            ),
        ]
        indexes = [models.Index(fields=["question"], name="feedback_answer_question")]

    def __str__(self) -> str:
        return f"answer to {self.question_id}"

"""The feedback back office: triage feedback, move feature requests along, write surveys and read their results.

Feedback and feature requests are read-only tables; staff change them only
through actions that call the services (audited). Surveys are written here
while drafts (:class:`guardiannest.admin.ServiceFormAdmin`): the survey's page
and its inline questions save through the survey services (audited); once the
survey is out the page is read-only, and it shows the results, computed by aggregate
queries (average rating, count per choice, free-text answers listed).
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.utils.safestring import SafeString

from accounts.models import User
from feedback.models import (
    FeatureRequest,
    FeatureRequestStatus,
    FeatureVote,
    Feedback,
    FeedbackStatus,
    Survey,
    SurveyAnswer,
    SurveyQuestion,
    SurveyResponse,
    SurveyStatus,
)
from feedback.selectors.surveys import survey_results_get
from feedback.services.feature_requests import feature_request_status_set
from feedback.services.feedback import NOTE_MAX, feedback_triage
from feedback.services.surveys import (
    survey_activate,
    survey_close,
    survey_question_delete,
    survey_question_save,
    survey_save,
)
from guardiannest.admin import ReadOnlyAdmin, ReadOnlyInline, ServiceFormAdmin, form_action, service_action

# --- feedback ---------------------------------------------------------------------------------------


class TriageForm(forms.Form):
    status = forms.ChoiceField(choices=FeedbackStatus.choices, initial=FeedbackStatus.TRIAGED)
    assignee = forms.ModelChoiceField(
        queryset=User.objects.filter(is_staff=True, is_active=True).order_by("email"),
        required=False,
        help_text="Leave empty to keep the current assignee.",
    )
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        required=False,
        max_length=NOTE_MAX,
        help_text="Replaces the staff note; leave empty to keep it.",
    )


def _set_status(status: str) -> Any:
    return lambda row, actor: feedback_triage(feedback_id=row.pk, actor=actor, status=status)


@admin.register(Feedback)
class FeedbackAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "kind", "status", "rating", "author_role", "platform", "app_version", "assignee")
    list_filter = ("status", "kind", "rating", "platform", "author_role")
    search_fields = ("=id", "message")
    list_select_related = ("assignee",)
    date_hierarchy = "created_at"
    fields = readonly_fields = (
        "id",
        "kind",
        "status",
        "rating",
        "message",
        "author",
        "author_role",
        "app_version",
        "platform",
        "assignee",
        "staff_note",
        "created_at",
        "updated_at",
    )
    actions = [
        "triage",
        service_action(
            "assign_to_me",
            "Assign to me",
            "triage",
            lambda row, actor: feedback_triage(feedback_id=row.pk, actor=actor, assignee=actor),
        ),
        service_action("mark_triaged", "Mark triaged", "triage", _set_status(FeedbackStatus.TRIAGED)),
        service_action("close", "Close", "triage", _set_status(FeedbackStatus.CLOSED)),
        service_action("reopen", "Reopen (back to new)", "triage", _set_status(FeedbackStatus.NEW)),
    ]

    def has_triage_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_staff and request.user.has_perm("feedback.change_feedback"))

    @admin.action(description="Triage (status, assignee, note)…", permissions=["triage"])
    def triage(self, request: HttpRequest, queryset: QuerySet[Any]) -> TemplateResponse | None:
        actor = cast(User, request.user)
        return form_action(
            self,
            request,
            queryset,
            form_class=TriageForm,
            run=lambda values: self.apply_each(
                request,
                queryset,
                lambda row: feedback_triage(
                    feedback_id=row.pk,
                    actor=actor,
                    status=values["status"],
                    assignee=values["assignee"],
                    note=values["note"] or None,
                ),
                "Triaged",
            ),
            action="triage",
            title="Triage feedback",
            prompt="Set the status, assignee and note of:",
            submit_label="Triage",
        )


# --- feature requests ---------------------------------------------------------------------------


def _request_status(status: str) -> Any:
    return lambda row, actor: feature_request_status_set(feature_request_id=row.pk, status=status, actor=actor)


@admin.register(FeatureRequest)
class FeatureRequestAdmin(ReadOnlyAdmin):
    list_display = ("title", "status", "vote_count", "created_at")
    list_filter = ("status",)
    search_fields = ("=id", "title", "description")
    ordering = ("-vote_count", "-created_at")
    fields = readonly_fields = ("id", "title", "description", "status", "vote_count", "author", "created_at")
    actions = [
        service_action(f"mark_{status}", f"Mark {label.lower()}", "triage", _request_status(status))
        for status, label in FeatureRequestStatus.choices
    ]

    def has_triage_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_staff and request.user.has_perm("feedback.change_featurerequest"))


# --- surveys --------------------------------------------------------------------------------------


class QuestionForm(ModelForm):
    """The choices as lines of text rather than JSON."""

    choices = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 30}),
        required=False,
        help_text="Single choice only: one choice per line.",
    )

    class Meta:
        model = SurveyQuestion
        fields = ("position", "kind", "prompt", "required", "choices")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initial["choices"] = "\n".join(self.instance.choices or [])

    def clean_choices(self) -> list[str]:
        return [line.strip() for line in str(self.cleaned_data.get("choices") or "").splitlines() if line.strip()]


class QuestionInline(admin.TabularInline):
    """A survey's questions, saved through the survey services by :class:`SurveyAdmin` (read-only once out)."""

    model = SurveyQuestion
    form = QuestionForm
    extra = 0
    ordering = ("position", "id")


def _survey_send_out(survey: Survey, actor: User) -> object:
    return survey_activate(survey_id=survey.pk, actor=actor)


def _survey_close(survey: Survey, actor: User) -> object:
    return survey_close(survey_id=survey.pk, actor=actor)


@admin.register(Survey)
class SurveyAdmin(ServiceFormAdmin):
    """Drafts are written here, questions inline; sent out and closed by actions; read-only (with results) once out."""

    list_display = ("title", "audience", "status", "closes_at", "created_at")
    list_filter = ("status", "audience")
    search_fields = ("title",)
    fields = ("title", "description", "audience", "closes_at", "status", "created_by", "created_at", "results")
    readonly_fields = ("status", "created_by", "created_at", "results")
    inlines = (QuestionInline,)
    actions = [
        service_action(
            "activate",
            "Send out (activate)",
            "publish",
            lambda row, actor: survey_activate(survey_id=row.pk, actor=actor),
        ),
        service_action("close", "Close", "publish", lambda row, actor: survey_close(survey_id=row.pk, actor=actor)),
    ]

    def editable(self, obj: Survey) -> bool:
        return obj.status == SurveyStatus.DRAFT

    def save_row(self, obj: Survey, actor: User) -> Survey:
        saved = survey_save(survey=obj, actor=actor)
        obj.status, obj.created_by_id = saved.status, saved.created_by_id
        return saved

    def save_inline_row(self, obj: SurveyQuestion, actor: User) -> SurveyQuestion:
        return survey_question_save(question=obj, actor=actor)

    def delete_inline_row(self, obj: SurveyQuestion, actor: User) -> None:
        survey_question_delete(question=obj, actor=actor)

    def has_publish_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_staff and request.user.has_perm("feedback.change_survey"))

    @admin.display(description="Results")
    def results(self, obj: Survey) -> SafeString | str:
        if obj.pk is None or obj._state.adding:
            return "-"
        return render_to_string("feedback/survey_results.html", {"results": survey_results_get(survey=obj)})


# --- the rows behind votes and answers: read here, written only by the API's services ------------


@admin.register(FeatureVote)
class FeatureVoteAdmin(ReadOnlyAdmin):
    list_display = ("feature_request", "voter", "created_at")
    list_filter = ("feature_request__status", "created_at")
    search_fields = ("=feature_request__id", "feature_request__title", "=voter__email")
    list_select_related = ("feature_request", "voter")


@admin.register(SurveyQuestion)
class SurveyQuestionAdmin(ReadOnlyAdmin):
    """Questions are written on their survey's page while it is a draft (``SurveyAdmin``)."""

    list_display = ("prompt", "survey", "position", "kind", "required")
    list_filter = ("kind", "required", "survey__status")
    search_fields = ("prompt", "survey__title")
    list_select_related = ("survey",)


class SurveyAnswerInline(ReadOnlyInline):
    model = SurveyAnswer
    fields = ("question", "rating", "choice", "text")


@admin.register(SurveyResponse)
class SurveyResponseAdmin(ReadOnlyAdmin):
    list_display = ("survey", "respondent", "respondent_role", "submitted_at")
    list_filter = ("respondent_role", "survey__status", "submitted_at")
    search_fields = ("survey__title", "=respondent__email")
    list_select_related = ("survey", "respondent")
    inlines = (SurveyAnswerInline,)


@admin.register(SurveyAnswer)
class SurveyAnswerAdmin(ReadOnlyAdmin):
    list_display = ("question", "rating", "choice", "response")
    list_filter = ("question__kind", "rating", "question__survey")
    search_fields = ("question__prompt", "choice", "text")
    list_select_related = ("question", "response")

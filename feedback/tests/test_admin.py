"""The feedback back office: triage and status actions call the services (audited); surveys are written with
their questions inline through the services, fixed once out; a survey's page shows its results."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from accounts.tests.factories import ParentFactory
from feedback.models import FeatureRequest, Feedback, Survey, SurveyQuestion, SurveyStatus
from feedback.services.feature_requests import feature_request_create
from feedback.services.feedback import feedback_submit
from feedback.services.surveys import survey_respond
from feedback.tests.factories import good_answers, survey_out
from guardiannest.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

FEEDBACK = reverse("admin:feedback_feedback_changelist")
REQUESTS = reverse("admin:feedback_featurerequest_changelist")
SURVEYS = reverse("admin:feedback_survey_changelist")


def demo_staff() -> User:
    return User.objects.get(email="staff@guardiannest.demo")


def action(client: Client, url: str, name: str, pks: list[Any], **extra: Any) -> Any:
    data = {"action": name, "_selected_action": [str(pk) for pk in pks], "index": "0", "select_across": "0", **extra}
    return client.post(url, data)


def test_every_feedback_page_renders(staff_client: Client, parent: User) -> None:
    feedback = feedback_submit(author=parent, kind="bug", message="It crashed")
    request = feature_request_create(author=parent, title="Dark mode")
    survey = survey_out(staff=demo_staff())

    for url in (FEEDBACK, REQUESTS, SURVEYS, reverse("admin:feedback_survey_add")):
        assert staff_client.get(url).status_code == 200, url
    for model in ("feedback", "featurerequest"):
        assert staff_client.get(reverse(f"admin:feedback_{model}_add")).status_code == 403, model  # read-only
    for model, pk in (("feedback", feedback.pk), ("featurerequest", request.pk), ("survey", survey.pk)):
        page = staff_client.get(reverse(f"admin:feedback_{model}_change", args=[pk]))
        assert page.status_code == 200, model
    assert (
        b'name="_save"' not in staff_client.get(reverse("admin:feedback_feedback_change", args=[feedback.pk])).content
    )


def test_triage_asks_then_sets_status_assignee_and_note(staff_client: Client, parent: User) -> None:
    feedback = feedback_submit(author=parent, kind="bug", message="It crashed")
    staff = demo_staff()

    asked = action(staff_client, FEEDBACK, "triage", [feedback.pk])
    done = action(
        staff_client,
        FEEDBACK,
        "triage",
        [feedback.pk],
        apply="1",
        status="triaged",
        assignee=str(staff.pk),
        note="Reproduced on iOS 18",
    )

    assert asked.status_code == 200 and b"Reproduced" not in asked.content
    assert b"Triage feedback" in asked.content
    assert done.status_code == 302
    feedback.refresh_from_db()
    assert (feedback.status, feedback.assignee, feedback.staff_note) == ("triaged", staff, "Reproduced on iOS 18")
    [event] = AuditEvent.objects.filter(action="feedback.triaged", target_id=str(feedback.pk))
    assert event.actor_id == staff.pk
    assert event.data == {"assignee": str(staff.pk), "note": True, "status": {"from": "new", "to": "triaged"}}


def test_assign_to_me_triages_and_close_closes(staff_client: Client, parent: User) -> None:
    first = feedback_submit(author=parent, kind="feedback", message="One")
    second = feedback_submit(author=parent, kind="feedback", message="Two")

    action(staff_client, FEEDBACK, "assign_to_me", [first.pk])
    action(staff_client, FEEDBACK, "close", [first.pk, second.pk])

    rows = {row.pk: (row.status, row.assignee) for row in Feedback.objects.filter(pk__in=[first.pk, second.pk])}
    assert rows == {first.pk: ("closed", demo_staff()), second.pk: ("closed", None)}
    assert AuditEvent.objects.filter(action="feedback.triaged").count() == 3


def test_declining_a_request_closes_its_votes(staff_client: Client, parent: User, other_parent: User) -> None:
    from conftest import client_for

    request = feature_request_create(author=parent, title="Teleport the sitter")

    response = action(staff_client, REQUESTS, "mark_declined", [request.pk])

    assert response.status_code == 302
    assert FeatureRequest.objects.get(pk=request.pk).status == "declined"
    [event] = AuditEvent.objects.filter(action="feature_request.status_changed", target_id=str(request.pk))
    assert event.data == {"from": "open", "to": "declined"}
    voted = client_for(other_parent).post(f"/api/v1/feature-requests/{request.pk}/vote")
    assert voted.status_code == 409 and voted.json()["code"] == "feature_request_closed"


def _survey_form(**extra: str) -> dict[str, str]:
    return {
        "title": "Bedtime routines",
        "description": "",
        "audience": "parent",
        "closes_at_0": "",
        "closes_at_1": "",
        "questions-TOTAL_FORMS": "2",
        "questions-INITIAL_FORMS": "0",
        "questions-MIN_NUM_FORMS": "0",
        "questions-MAX_NUM_FORMS": "1000",
        "questions-0-position": "1",
        "questions-0-kind": "rating",
        "questions-0-prompt": "How smooth was bedtime?",
        "questions-0-required": "on",
        "questions-0-choices": "",
        "questions-1-position": "2",
        "questions-1-kind": "choice",
        "questions-1-prompt": "Who read the story?",
        "questions-1-choices": "The sitter\r\nThe children\r\n\r\n",
        **extra,
    }


def test_staff_write_a_survey_with_its_questions_through_the_services(staff_client: Client) -> None:
    response = staff_client.post(reverse("admin:feedback_survey_add"), _survey_form())

    assert response.status_code == 302, response.context and response.context["errors"]
    survey = Survey.objects.get(title="Bedtime routines")
    assert (survey.status, survey.audience, survey.created_by) == (SurveyStatus.DRAFT, "parent", demo_staff())
    questions = list(survey.questions.order_by("position").values_list("kind", "required", "choices"))
    assert questions == [("rating", True, []), ("choice", False, ["The sitter", "The children"])]
    assert AuditEvent.objects.filter(action="survey.created", target_id=str(survey.pk)).count() == 1
    assert AuditEvent.objects.filter(action="survey.question_added", target_id=str(survey.pk)).count() == 2


def test_a_choice_question_without_two_choices_is_refused_on_the_form(staff_client: Client) -> None:
    response = staff_client.post(reverse("admin:feedback_survey_add"), _survey_form(**{"questions-1-choices": "One"}))

    assert response.status_code == 200
    assert b"Offer 2 to 20 choices." in response.content
    assert not Survey.objects.filter(title="Bedtime routines").exists()


def test_once_out_its_questions_are_read_only_and_its_results_show(staff_client: Client) -> None:
    survey = survey_out(staff=demo_staff(), audience="parent", activate=False)
    sent = action(staff_client, SURVEYS, "activate", [survey.pk])
    for rating, text in [(5, "Loved it"), (2, None)]:
        survey_respond(
            survey_id=survey.pk, respondent=ParentFactory(), answers=good_answers(survey, rating=rating, text=text)
        )

    page = staff_client.get(reverse("admin:feedback_survey_change", args=[survey.pk]))

    assert sent.status_code == 302
    assert Survey.objects.get(pk=survey.pk).status == SurveyStatus.ACTIVE
    assert AuditEvent.objects.filter(action="survey.activated", target_id=str(survey.pk)).count() == 1
    content = page.content.decode()
    assert 'name="questions-0-prompt"' not in content  # the questions are shown, not editable
    assert 'name="audience"' not in content
    assert "<strong>2</strong> responses" in content
    assert "Average: <strong>3.5</strong>" in content
    assert "<td>Chat</td><td>2</td>" in content and "<td>Payments</td><td>0</td>" in content
    assert "<li>Loved it</li>" in content
    assert SurveyQuestion.objects.filter(survey=survey).count() == 3

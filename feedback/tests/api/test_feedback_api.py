"""POST feedback: a message or a bug report, stored with the app's labels, refused with the field named, throttled."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.problems import assert_problem
from feedback.models import Feedback
from guardiannest.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

URL = "/api/v1/feedback"


def send(client: APIClient, body: dict[str, Any], **headers: str) -> Any:
    return client.post(URL, body, format="json", headers=headers)


def test_feedback_is_stored_with_the_apps_version_and_platform(parent_api: APIClient, parent: User) -> None:
    response = send(
        parent_api,
        {"kind": "bug", "message": "The map <b>freezes</b> on check-in.", "rating": 2},
        **{"X-App-Version": "2.4.1", "X-App-Platform": "iOS"},
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["kind"] == "bug"
    assert body["message"] == "The map freezes on check-in."  # markup removed
    assert (body["rating"], body["status"], body["app_version"], body["platform"]) == (2, "new", "2.4.1", "ios")
    stored = Feedback.objects.get(pk=body["id"])
    assert (stored.author, stored.author_role) == (parent, "parent")
    assert AuditEvent.objects.filter(action="feedback.submitted", target_id=str(stored.pk)).exists()


def test_rating_and_headers_are_optional(sitter_api: APIClient) -> None:
    response = send(sitter_api, {"kind": "feedback", "message": "Love it"})

    assert response.status_code == 201
    assert (response.json()["rating"], response.json()["app_version"], response.json()["platform"]) == (None, "", "")


def test_malformed_labels_are_dropped_not_refused(parent_api: APIClient) -> None:
    response = send(
        parent_api,
        {"kind": "feedback", "message": "Hi"},
        **{"X-App-Version": "2.4 <script>", "X-App-Platform": "x" * 40},
    )

    assert response.status_code == 201
    assert (response.json()["app_version"], response.json()["platform"]) == ("", "")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "praise", "message": "Hi"}, "kind"),
        ({"kind": "bug"}, "message"),
        ({"kind": "bug", "message": "   "}, "message"),
        ({"kind": "bug", "message": "<script>alert(1)</script>"}, "message"),
        ({"kind": "bug", "message": "x" * 4001}, "message"),
        ({"kind": "bug", "message": "Hi", "rating": 0}, "rating"),
        ({"kind": "bug", "message": "Hi", "rating": 6}, "rating"),
        ({"kind": "bug", "message": "Hi", "rating": "5"}, "rating"),
        ({"kind": "bug", "message": "Hi", "author": "someone"}, "author"),
    ],
)
def test_bad_input_is_400_naming_the_field(parent_api: APIClient, body: dict[str, Any], field: str) -> None:
    problem = assert_problem(send(parent_api, body), 400, "invalid")

    assert field in problem["errors"]
    assert not Feedback.objects.exists()


def test_anonymous_callers_are_401(api: APIClient) -> None:
    assert_problem(send(api, {"kind": "bug", "message": "Hi"}), 401)
    assert not Feedback.objects.exists()


def test_sending_is_throttled_per_user(parent_api: APIClient, sitter_api: APIClient, settings: Any) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "feedback": "2/hour"},
    }
    statuses = [send(parent_api, {"kind": "feedback", "message": f"Note {n}"}).status_code for n in range(2)]

    flooded = send(parent_api, {"kind": "feedback", "message": "One too many"})

    assert statuses == [201, 201]
    assert_problem(flooded, 429, "throttled")
    assert int(flooded["Retry-After"]) > 0
    assert Feedback.objects.count() == 2
    assert send(sitter_api, {"kind": "feedback", "message": "My own budget"}).status_code == 201

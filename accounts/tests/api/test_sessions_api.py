"""Signed-in devices: listed, ended one by one, and gone after logout."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.models import User, UserSession
from accounts.tests.factories import PASSWORD
from accounts.tests.problems import assert_problem

pytestmark = pytest.mark.django_db

SESSIONS = "/api/v1/security/sessions"


def sign_in(user: User, agent: str) -> tuple[APIClient, dict[str, str]]:
    client = APIClient(HTTP_USER_AGENT=agent)
    tokens = client.post("/api/v1/auth/login", {"email": user.email, "password": PASSWORD}, format="json").json()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    return client, tokens


def test_each_sign_in_is_a_device_with_its_details(parent: User) -> None:
    phone, _ = sign_in(parent, "GuardianNest/1.0 (iPhone)")
    sign_in(parent, "GuardianNest/1.0 (Android)")
    body = phone.get(SESSIONS).json()
    assert [row["user_agent"] for row in body["results"]].count("GuardianNest/1.0 (iPhone)") == 1
    assert len(body["results"]) == 2
    current = [row for row in body["results"] if row["current"]]
    assert len(current) == 1 and current[0]["user_agent"] == "GuardianNest/1.0 (iPhone)"
    assert current[0]["ip"] == "127.0.0.1" and current[0]["method"] == "password"
    assert set(current[0]) == {"id", "created_at", "last_used_at", "ip", "user_agent", "method", "current"}


def test_ending_a_device_kills_its_refresh_token(parent: User, api: APIClient) -> None:
    phone, _ = sign_in(parent, "phone")
    _, tablet_tokens = sign_in(parent, "tablet")
    tablet = UserSession.objects.get(user=parent, user_agent="tablet")
    # when
    assert phone.delete(f"{SESSIONS}/{tablet.pk}").status_code == 204
    # then
    assert_problem(
        api.post("/api/v1/auth/token/refresh", {"refresh": tablet_tokens["refresh"]}), 401, "token_not_valid"
    )
    assert [row["user_agent"] for row in phone.get(SESSIONS).json()["results"]] == ["phone"]
    assert phone.delete(f"{SESSIONS}/{tablet.pk}").status_code == 404


def test_rotation_keeps_the_device(parent: User, api: APIClient) -> None:
    _, tokens = sign_in(parent, "phone")
    rotated = api.post("/api/v1/auth/token/refresh", {"refresh": tokens["refresh"]}, format="json")
    assert rotated.status_code == 200
    assert UserSession.objects.filter(user=parent, ended_at__isnull=True).count() == 1


def test_logout_ends_the_device(parent: User) -> None:
    phone, tokens = sign_in(parent, "phone")
    assert phone.post("/api/v1/auth/logout", {"refresh": tokens["refresh"]}, format="json").status_code == 204
    session = UserSession.objects.get(user=parent)
    assert session.end_reason == "logout" and not session.active


def test_events_show_my_sign_ins_and_failures_but_not_others(parent: User, other_parent: User, api: APIClient) -> None:
    api.post("/api/v1/auth/login", {"email": parent.email, "password": "wrong-password"}, format="json")
    client, _ = sign_in(parent, "phone")
    sign_in(other_parent, "their phone")
    events = client.get("/api/v1/security/events").json()["results"]
    actions = [event["action"] for event in events]
    assert actions[:2] == ["auth.login_succeeded", "auth.login_failed"]
    assert events[0]["by"] == "you" and events[0]["ip"] == "127.0.0.1"
    assert events[1]["by"] == "system" and events[1]["ip"] is None
    assert all(set(event) == {"id", "created_at", "action", "by", "ip"} for event in events)
    # the other parent's sign-in is theirs alone
    assert actions.count("auth.login_succeeded") == 1
    assert not any(event["by"] == "someone_else" for event in events)

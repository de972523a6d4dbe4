"""Reuse of a rotated refresh token ends the session (issue 11, item 6).

A refresh token is copied (a backup, malware, a log). Whichever holder
rotates it first, the other one's later use of the same token reveals two
holders: before, that answered 401 and nothing else, and the first holder's
chain lived on. Now the whole session ends, both chains die, and the owner
sees it in their security events.
"""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.models import User, UserSession
from accounts.tests.helpers import sign_in
from accounts.tests.problems import assert_problem
from guardiannest.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

REFRESH = "/api/v1/auth/token/refresh"


def _refresh(token: str) -> tuple[int, dict[str, str]]:
    response = APIClient().post(REFRESH, {"refresh": token}, format="json")
    return response.status_code, response.json()


def test_a_reused_refresh_token_kills_both_chains(parent: User) -> None:
    # given: the owner's device and a thief holding a copy of the same refresh token
    _, tokens = sign_in(parent)
    stolen = tokens["refresh"]
    status, rotated = _refresh(stolen)  # one of them rotates it first
    assert status == 200

    # when: the other presents the copy
    replay = APIClient().post(REFRESH, {"refresh": stolen}, format="json")

    # then: refused, the session is over, and nothing grown from it works any more
    assert_problem(replay, 401, "token_not_valid")
    session = UserSession.objects.get(user=parent)
    assert (session.ended_at is not None, session.end_reason) == (True, "refresh_reused")
    assert _refresh(rotated["refresh"])[0] == 401
    for access in (tokens["access"], rotated["access"]):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
        assert client.get("/api/v1/auth/me").status_code == 401
    event = AuditEvent.objects.get(action="auth.refresh_reused")
    assert (event.target_id, event.data["session"]) == (str(parent.pk), str(session.pk))


def test_reuse_ends_only_that_session(parent: User) -> None:
    _, tokens = sign_in(parent, agent="stolen")
    other, _ = sign_in(parent, agent="tablet")
    _refresh(tokens["refresh"])

    _refresh(tokens["refresh"])

    assert other.get("/api/v1/auth/me").status_code == 200
    assert UserSession.objects.filter(user=parent, ended_at__isnull=True).count() == 1

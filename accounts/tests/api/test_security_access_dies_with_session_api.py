"""An access token dies with its session (issue 11, item 3).

Before, a stolen access token kept working for up to 15 minutes after the
owner logged out, revoked the device or reset the password. Now API
authentication loads the user only while the token's session is live, in the
same one query (``accounts/tests/api/test_me_api.py`` counts it).
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from accounts.models import User, UserSession
from accounts.services.passwords import password_reset_tokens
from accounts.tests.api.test_pre_hijack_api import _link_token
from accounts.tests.factories import PASSWORD
from accounts.tests.helpers import sign_in

pytestmark = pytest.mark.django_db

ME = "/api/v1/auth/me"


def test_logout_kills_the_access_token_at_once(parent: User) -> None:
    phone, tokens = sign_in(parent)
    assert phone.get(ME).status_code == 200

    assert phone.post("/api/v1/auth/logout", {"refresh": tokens["refresh"]}, format="json").status_code == 204

    assert phone.get(ME).status_code == 401


def test_revoking_a_device_kills_its_access_token(parent: User) -> None:
    thief, _ = sign_in(parent, agent="stolen laptop")
    owner, _ = sign_in(parent, agent="phone")
    stolen = UserSession.objects.get(user=parent, user_agent="stolen laptop")

    assert owner.delete(f"/api/v1/security/sessions/{stolen.pk}").status_code == 204

    assert thief.get(ME).status_code == 401
    assert owner.get(ME).status_code == 200


def test_a_password_reset_kills_every_access_token(parent: User) -> None:
    thief, _ = sign_in(parent)

    reset = APIClient().post(
        "/api/v1/auth/password/reset/confirm",
        {"token": _link_token(parent, password_reset_tokens), "password": "a-brand-new-passphrase"},
        format="json",
    )

    assert reset.status_code == 200
    assert thief.get(ME).status_code == 401


def test_a_password_change_kills_the_other_devices_tokens(parent: User) -> None:
    thief, _ = sign_in(parent, agent="thief")
    owner, _ = sign_in(parent, agent="owner")

    changed = owner.post(
        "/api/v1/auth/password/change",
        {"old_password": PASSWORD, "new_password": "a-brand-new-passphrase"},
        format="json",
    )

    assert changed.status_code == 200
    assert (thief.get(ME).status_code, owner.get(ME).status_code) == (401, 200)


@pytest.mark.parametrize("sid", ["someone else's", "unknown", "missing"])
def test_a_token_naming_a_session_not_its_own_is_refused(parent: User, other_parent: User, sid: str) -> None:
    _, tokens = sign_in(parent)
    _, others = sign_in(other_parent)
    forged = AccessToken(tokens["access"])  # type: ignore[arg-type]
    if sid == "missing":
        del forged["sid"]
    else:
        forged["sid"] = AccessToken(others["access"])["sid"] if sid == "someone else's" else str(uuid.uuid4())  # type: ignore[arg-type]
    client: Any = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {forged}")

    assert client.get(ME).status_code == 401

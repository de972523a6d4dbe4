"""Staff powers need a second factor (issue 11, item 2).

Before, a staff account with no authenticator got full staff tokens from a
password alone, and could verify sitters or read ID documents with them.
Now no staff session is opened by a one-factor sign-in, an older one neither
authenticates nor refreshes, and the staff member is told to enrol.
"""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.models import User, UserSession
from accounts.services.auth import tokens_for
from accounts.tests.factories import PASSWORD, StaffFactory, TOTPDeviceFactory
from accounts.tests.mfa_helpers import totp_code, wait_for_fresh_step
from accounts.tests.problems import assert_problem

pytestmark = pytest.mark.django_db

LOGIN = "/api/v1/auth/login"


@pytest.fixture
def staff_member() -> User:
    return StaffFactory(email="desk@example.com")


def test_a_staff_password_alone_gets_no_tokens_and_is_told_to_enrol(staff_member: User) -> None:
    response = APIClient().post(LOGIN, {"email": staff_member.email, "password": PASSWORD}, format="json")

    body = assert_problem(response, 403, "staff_mfa_required")
    assert "enrol an authenticator" in body["detail"]
    assert "access" not in body
    assert not UserSession.objects.filter(user=staff_member).exists()


def test_a_staff_token_from_a_one_factor_sign_in_opens_nothing(staff_member: User) -> None:
    # a session opened by a password alone before this rule: its tokens stop working
    session = UserSession.objects.create(user=staff_member, method="password")
    pair = tokens_for(staff_member, session=session)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {pair['access']}")

    assert client.get("/health/services").status_code == 401
    assert client.get("/api/v1/auth/me").status_code == 401
    refreshed = APIClient().post("/api/v1/auth/token/refresh", {"refresh": pair["refresh"]}, format="json")
    assert_problem(refreshed, 403, "staff_mfa_required")


def test_staff_with_an_authenticator_get_in_after_the_code(staff_member: User) -> None:
    device = TOTPDeviceFactory(user=staff_member)
    wait_for_fresh_step(device)
    api = APIClient()
    challenge = api.post(LOGIN, {"email": staff_member.email, "password": PASSWORD}, format="json").json()

    done = api.post(
        "/api/v1/auth/login/mfa", {"mfa_token": challenge["mfa_token"], "code": totp_code(device)}, format="json"
    )

    assert done.status_code == 200
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {done.json()['access']}")
    assert api.get("/health/services").status_code == 200


def test_a_parent_password_sign_in_is_unchanged(parent: User) -> None:
    response = APIClient().post(LOGIN, {"email": parent.email, "password": PASSWORD}, format="json")

    assert response.status_code == 200 and "access" in response.json()

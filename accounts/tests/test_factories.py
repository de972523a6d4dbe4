"""The MFA factories others build on (the login benchmark, other apps' tests) make what they say."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.tests import verified_personas
from accounts.tests.factories import PASSWORD, MfaParentFactory, MfaStaffFactory
from accounts.tests.mfa_helpers import device_of, totp_code, wait_for_fresh_step

# The personas with a verified email: these tests add or change ways to sign in.
parent = verified_personas.parent
other_parent = verified_personas.other_parent

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("factory", [MfaParentFactory, MfaStaffFactory])
def test_an_mfa_user_signs_in_with_password_then_code(api: APIClient, factory: type[MfaParentFactory]) -> None:
    user = factory()
    device = device_of(user)
    wait_for_fresh_step(device)
    assert user.mfa_enabled is True

    challenge = api.post("/api/v1/auth/login", {"email": user.email, "password": PASSWORD}, format="json").json()
    finish = api.post(
        "/api/v1/auth/login/mfa", {"mfa_token": challenge["mfa_token"], "code": totp_code(device)}, format="json"
    )

    assert challenge["mfa_required"] is True
    assert finish.status_code == 200, finish.content

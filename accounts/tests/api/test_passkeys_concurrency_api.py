"""Racing the same assertion: one challenge, one session."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import Passkey, User, UserSession
from accounts.tests import verified_personas
from accounts.tests.authenticator import SoftAuthenticator
from accounts.tests.passkeys_helpers import BASE, login_options, register
from conftest import client_for, race

# The personas with a verified email: these tests add or change ways to sign in.
parent = verified_personas.parent
other_parent = verified_personas.other_parent

pytestmark = pytest.mark.usefixtures("relying_party")


@pytest.mark.django_db(transaction=True)
def test_ten_racing_submissions_of_one_assertion_open_one_session(parent: User, settings: Any) -> None:
    settings.AXES_FAILURE_LIMIT = 100  # the losers are failures; keep the lockout out of this race
    authenticator = SoftAuthenticator()
    assert register(client_for(parent), authenticator).status_code == 201
    credential = authenticator.get(login_options(APIClient()))

    def submit() -> int:
        return APIClient().post(f"{BASE}/login/verify", {"credential": credential}, format="json").status_code

    results = race(10, submit)

    assert sorted(results) == [200] + [401] * 9  # type: ignore[type-var]
    assert UserSession.objects.filter(user=parent, method="passkey").count() == 1
    assert Passkey.objects.get(credential_id=authenticator.id).sign_count == 1


@pytest.mark.django_db(transaction=True)
def test_racing_sign_ins_with_fresh_challenges_never_accept_one_count_twice(parent: User) -> None:
    """Two challenges, one counter value: the row lock lets the first in, the second sees the new count."""
    authenticator = SoftAuthenticator()
    assert register(client_for(parent), authenticator).status_code == 201
    credentials = [authenticator.get(login_options(APIClient()), sign_count=7) for _ in range(2)]
    pending = list(credentials)

    def submit() -> int:
        credential = pending.pop()
        return APIClient().post(f"{BASE}/login/verify", {"credential": credential}, format="json").status_code

    results = race(2, submit)

    assert sorted(results) == [200, 401]  # type: ignore[type-var]
    assert Passkey.objects.get(credential_id=authenticator.id).sign_count == 7

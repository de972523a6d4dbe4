from __future__ import annotations

import pytest

from accounts.models import User
from accounts.services.auth import user_login
from accounts.tests.factories import PASSWORD
from guardiannest.client import Client
from guardiannest.errors import ApplicationError, Refusal

pytestmark = pytest.mark.django_db

HERE = Client(ip="127.0.0.1")


def test_user_login_hands_out_a_pair_for_any_case_of_the_email(parent: User) -> None:
    pair = user_login(client=HERE, email=" PARENT@example.com ", password=PASSWORD)

    assert set(pair) == {"access", "refresh"}


@pytest.mark.parametrize(
    ("email", "password"),
    [("parent@example.com", "wrong-password"), ("nobody@example.com", PASSWORD)],
)
def test_user_login_refuses_bad_credentials(parent: User, email: str, password: str) -> None:
    with pytest.raises(ApplicationError) as caught:
        user_login(client=HERE, email=email, password=password)

    assert (caught.value.code, caught.value.refusal) == ("invalid_credentials", Refusal.UNAUTHENTICATED)

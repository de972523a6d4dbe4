from __future__ import annotations

import pytest
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import User
from accounts.services.auth import tokens_for, user_logout
from guardiannest.errors import ApplicationError, Refusal

pytestmark = pytest.mark.django_db


def test_user_logout_blacklists_the_refresh_token(parent: User) -> None:
    refresh = tokens_for(parent)["refresh"]

    user_logout(user=parent, refresh=refresh)

    jti = RefreshToken(refresh, verify=False)["jti"]
    assert BlacklistedToken.objects.filter(token__jti=jti, token__user=parent).exists()


def test_user_logout_refuses_another_users_token(parent: User, other_parent: User) -> None:
    with pytest.raises(ApplicationError) as caught:
        user_logout(user=parent, refresh=tokens_for(other_parent)["refresh"])

    assert (caught.value.code, caught.value.refusal) == ("invalid_token", Refusal.INVALID)
    assert not BlacklistedToken.objects.exists()


def test_user_logout_refuses_garbage(parent: User) -> None:
    with pytest.raises(ApplicationError) as caught:
        user_logout(user=parent, refresh="garbage")

    assert caught.value.code == "invalid_token"

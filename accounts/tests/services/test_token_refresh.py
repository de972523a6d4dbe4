from __future__ import annotations

import pytest

from accounts.models import User
from accounts.services.auth import token_refresh, tokens_for
from accounts.services.sessions import session_start
from conftest import race
from guardiannest.errors import ApplicationError


@pytest.mark.django_db
def test_refresh_keeps_the_session_id(parent: User) -> None:
    from rest_framework_simplejwt.tokens import RefreshToken

    session = session_start(user=parent, client=None, method="password")
    pair = tokens_for(parent, session=session)
    rotated = token_refresh(refresh=pair["refresh"])
    assert RefreshToken(rotated["refresh"])["sid"] == str(session.pk)  # type: ignore[arg-type]
    session.refresh_from_db()
    assert session.refresh_jti == RefreshToken(rotated["refresh"])["jti"]  # type: ignore[arg-type]


@pytest.mark.django_db(transaction=True)
def test_racing_refreshes_with_one_token_succeed_once(parent: User) -> None:
    # given: one refresh token presented by eight clients at once
    refresh = tokens_for(parent)["refresh"]
    # when
    outcomes = race(8, lambda: token_refresh(refresh=refresh))
    # then
    assert sum(isinstance(outcome, dict) for outcome in outcomes) == 1
    assert sorted(o.code for o in outcomes if isinstance(o, ApplicationError)) == ["token_not_valid"] * 7

from __future__ import annotations

import threading

import pytest
from django.db import connection

from accounts.models import User
from accounts.services import token_refresh, tokens_for
from guardiannest.api.errors import ApplicationError


@pytest.mark.django_db
def test_refresh_keeps_the_session_id(parent: User) -> None:
    from rest_framework_simplejwt.tokens import RefreshToken

    pair = tokens_for(parent, session_id="s-1")
    rotated = token_refresh(refresh=pair["refresh"])
    assert RefreshToken(rotated["refresh"])["sid"] == "s-1"  # type: ignore[arg-type]


@pytest.mark.django_db(transaction=True)
def test_racing_refreshes_with_one_token_succeed_once(parent: User) -> None:
    # given: one refresh token presented by eight clients at once
    refresh = tokens_for(parent)["refresh"]
    outcomes: list[str] = []
    barrier = threading.Barrier(8)

    def attempt() -> None:
        try:
            barrier.wait()
            token_refresh(refresh=refresh)
            outcomes.append("ok")
        except ApplicationError as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    # then
    assert sorted(outcomes) == ["ok"] + ["token_not_valid"] * 7

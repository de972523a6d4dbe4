"""Tokens we hand out, and tokens an attacker might forge (SECURITY.md, Tokens)."""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from django.conf import settings
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from accounts.models import User
from accounts.services.auth import tokens_for
from accounts.services.sessions import session_start
from accounts.tests.problems import assert_problem

pytestmark = pytest.mark.django_db

ME = "/api/v1/auth/me"
OTHER_KEY = "an-attackers-own-secret-key-of-forty-chars"


def decode(token: str) -> dict[str, Any]:
    return jwt.decode(token, settings.JWT_SECRET, algorithms=["HS256"], audience="guardiannest-api")


def claims_for(user: User, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "token_type": "access",
        "iat": now,
        "exp": now + 300,
        "jti": uuid.uuid4().hex,
        "sub": str(user.pk),
        # A token is good only while the session it names is live (every real pair names one).
        "sid": str(session_start(user=user, client=None, method="password").pk),
        "aud": "guardiannest-api",
        "iss": "guardiannest",
    }
    claims.update(overrides)
    return {key: value for key, value in claims.items() if value is not None}


def forge(user: User, *, key: str = settings.JWT_SECRET, algorithm: str = "HS256", **overrides: Any) -> str:
    return jwt.encode(claims_for(user, **overrides), key, algorithm=algorithm)


def unsigned(user: User) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims_for(user))}."


def me_with(token: str) -> Any:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client.get(ME)


def test_tokens_for_names_the_user_audience_and_issuer(parent: User) -> None:
    pair = tokens_for(parent)

    access, refresh = decode(pair["access"]), decode(pair["refresh"])
    assert (access["token_type"], refresh["token_type"]) == ("access", "refresh")
    assert access["sub"] == refresh["sub"] == str(parent.pk)
    assert access["iss"] == refresh["iss"] == "guardiannest"
    assert access["sid"] == refresh["sid"]
    assert access["exp"] - access["iat"] <= 3600
    assert refresh["exp"] - refresh["iat"] > access["exp"] - access["iat"]
    assert OutstandingToken.objects.filter(jti=refresh["jti"], user=parent).exists()


def test_a_well_forged_token_works(parent: User) -> None:
    """The attacks below differ from this token in one way each, so each 401 means that one check."""
    assert me_with(forge(parent)).status_code == 200


ATTACKS: dict[str, Callable[[User], str]] = {
    "alg none": unsigned,
    "alg none via PyJWT": lambda user: jwt.encode(claims_for(user), None, algorithm="none"),
    "signed with another key": lambda user: forge(user, key=OTHER_KEY),
    "HS512 with our key": lambda user: forge(user, algorithm="HS512"),
    "expired": lambda user: forge(user, iat=int(time.time()) - 3600, exp=int(time.time()) - 60),
    "wrong audience": lambda user: forge(user, aud="another-api"),
    "no audience": lambda user: forge(user, aud=None),
    "wrong issuer": lambda user: forge(user, iss="someone-else"),
    "no issuer": lambda user: forge(user, iss=None),
    "refresh claimed as access": lambda user: forge(user, token_type="refresh"),
    "no token type": lambda user: forge(user, token_type=None),
    "a real refresh token": lambda user: tokens_for(user)["refresh"],
    "no expiry": lambda user: forge(user, exp=None),
    "no token id": lambda user: forge(user, jti=None),
    "expiry not a number": lambda user: forge(user, exp="tomorrow"),
}


@pytest.mark.parametrize("attack", sorted(ATTACKS))
@pytest.mark.filterwarnings(
    "ignore::jwt.warnings.InsecureKeyLengthWarning"
)  # HS512 wants a longer key; we refuse it anyway
def test_forged_or_misused_tokens_are_refused(parent: User, attack: str) -> None:
    response = me_with(ATTACKS[attack](parent))

    assert_problem(response, 401, "token_not_valid")


def test_token_of_a_deleted_user_is_refused(parent: User) -> None:
    # given
    access = tokens_for(parent)["access"]
    parent.delete()
    # when
    response = me_with(access)
    # then
    assert_problem(response, 401)


def test_token_of_a_deactivated_user_is_refused(parent: User) -> None:
    access = tokens_for(parent)["access"]
    User.objects.filter(pk=parent.pk).update(is_active=False)

    assert_problem(me_with(access), 401)


@pytest.mark.parametrize("header", ["Token {token}", "Bearer", "Bearer {token} extra", "bearer {token}"])
def test_malformed_authorization_headers_are_refused(parent: User, header: str) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header.format(token=tokens_for(parent)["access"]))

    assert_problem(client.get(ME), 401)

"""POST auth/login with MFA on, then POST auth/login/mfa (API.md, Auth; SECURITY.md, Sign-in)."""

from __future__ import annotations

import pytest
from rest_framework.settings import api_settings
from rest_framework.test import APIClient

from accounts.models import TOTPDevice, User, UserSession
from accounts.tests import verified_personas
from accounts.tests.factories import PASSWORD, ParentFactory, TOTPDeviceFactory
from accounts.tests.mfa_helpers import backup_codes_for, failures_counted, totp_code, wait_for_fresh_step
from accounts.tests.problems import assert_problem
from conftest import race

# The personas with a verified email: these tests add or change ways to sign in.
parent = verified_personas.parent
other_parent = verified_personas.other_parent

pytestmark = pytest.mark.django_db

LOGIN = "/api/v1/auth/login"
LOGIN_MFA = "/api/v1/auth/login/mfa"


def _challenge(api: APIClient, user: User, **extra: str) -> str:
    response = api.post(LOGIN, {"email": user.email, "password": PASSWORD}, format="json", **extra)
    assert response.status_code == 200, response.content
    return str(response.json()["mfa_token"])


def _wrong(device: TOTPDevice) -> str:
    return f"{(int(totp_code(device)) + 1) % 1_000_000:06d}"


def test_login_with_mfa_on_answers_the_challenge_and_no_tokens(
    api: APIClient, parent: User, device: TOTPDevice
) -> None:
    response = api.post(LOGIN, {"email": parent.email, "password": PASSWORD}, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"mfa_required", "mfa_token", "methods"}
    assert body["mfa_required"] is True
    assert body["methods"] == ["totp", "backup_code"]
    assert response["Cache-Control"] == "no-store"


def test_the_code_finishes_sign_in_with_a_working_pair(api: APIClient, parent: User, device: TOTPDevice) -> None:
    token = _challenge(api, parent)
    code = totp_code(device)

    response = api.post(LOGIN_MFA, {"mfa_token": token, "code": f"{code[:3]} {code[3:]}"}, format="json")

    assert response.status_code == 200, response.content
    pair = response.json()
    assert set(pair) == {"access", "refresh"}
    me = APIClient()
    me.credentials(HTTP_AUTHORIZATION=f"Bearer {pair['access']}")
    assert me.get("/api/v1/auth/me").json()["mfa_enabled"] is True
    assert api.post("/api/v1/auth/token/refresh", {"refresh": pair["refresh"]}, format="json").status_code == 200
    assert UserSession.objects.get(user=parent).method == "password+totp"


def test_a_backup_code_as_written_on_paper_finishes_sign_in(api: APIClient, parent: User, device: TOTPDevice) -> None:
    codes = backup_codes_for(parent)

    response = api.post(LOGIN_MFA, {"mfa_token": _challenge(api, parent), "code": codes[0].upper()}, format="json")

    assert response.status_code == 200, response.content
    assert UserSession.objects.get(user=parent).method == "password+backup_code"


def test_the_mfa_token_is_no_bearer_token(api: APIClient, parent: User, device: TOTPDevice) -> None:
    token = _challenge(api, parent)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    assert_problem(api.get("/api/v1/auth/me"), 401)
    assert_problem(api.get("/api/v1/security/sessions"), 401)


def test_the_mfa_token_is_no_refresh_token(api: APIClient, parent: User, device: TOTPDevice) -> None:
    token = _challenge(api, parent)

    assert_problem(api.post("/api/v1/auth/token/refresh", {"refresh": token}, format="json"), 401)


def test_the_mfa_token_works_once(api: APIClient, parent: User, device: TOTPDevice) -> None:
    token = _challenge(api, parent)
    assert api.post(LOGIN_MFA, {"mfa_token": token, "code": totp_code(device)}, format="json").status_code == 200

    second = api.post(LOGIN_MFA, {"mfa_token": token, "code": totp_code(device, steps=1)}, format="json")

    assert_problem(second, 401, "invalid_mfa_token")
    assert UserSession.objects.filter(user=parent).count() == 1


def test_the_mfa_token_only_works_from_the_address_that_gave_the_password(
    api: APIClient, parent: User, device: TOTPDevice
) -> None:
    token = _challenge(api, parent, REMOTE_ADDR="192.0.2.10")

    response = api.post(
        LOGIN_MFA, {"mfa_token": token, "code": totp_code(device)}, format="json", REMOTE_ADDR="192.0.2.99"
    )

    assert_problem(response, 401, "invalid_mfa_token")


def test_a_replayed_code_is_refused(api: APIClient, parent: User, device: TOTPDevice) -> None:
    code = totp_code(device)
    assert api.post(LOGIN_MFA, {"mfa_token": _challenge(api, parent), "code": code}, format="json").status_code == 200

    replay = api.post(LOGIN_MFA, {"mfa_token": _challenge(api, parent), "code": code}, format="json")

    assert_problem(replay, 401, "invalid_code")


def test_a_wrong_code_is_401_and_counted(api: APIClient, parent: User, device: TOTPDevice) -> None:
    response = api.post(LOGIN_MFA, {"mfa_token": _challenge(api, parent), "code": _wrong(device)}, format="json")

    assert_problem(response, 401, "invalid_code")
    assert failures_counted(parent) == 1
    assert not UserSession.objects.filter(user=parent).exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"mfa_token": "t", "code": "12345"}, "code"),
        ({"mfa_token": "t", "code": "1234567"}, "code"),
        ({"mfa_token": "t", "code": "12a456"}, "code"),
        ({"mfa_token": "t", "code": ["123456"]}, "code"),
        ({"mfa_token": "t"}, "code"),
        ({"code": "123456"}, "mfa_token"),
        ({"mfa_token": "x" * 129, "code": "123456"}, "mfa_token"),
        ({"mfa_token": "t", "code": "123456", "remember": True}, "remember"),
    ],
)
def test_malformed_input_is_400_naming_the_field(api: APIClient, body: dict[str, object], field: str) -> None:
    response = api.post(LOGIN_MFA, body, format="json")

    assert field in assert_problem(response, 400, "invalid")["errors"]


def test_a_malformed_code_does_not_spend_the_token(api: APIClient, parent: User, device: TOTPDevice) -> None:
    token = _challenge(api, parent)
    assert api.post(LOGIN_MFA, {"mfa_token": token, "code": "12345"}, format="json").status_code == 400

    assert api.post(LOGIN_MFA, {"mfa_token": token, "code": totp_code(device)}, format="json").status_code == 200


def test_a_locked_account_and_address_gets_429_even_with_the_right_code(
    settings, api: APIClient, parent: User, device: TOTPDevice
) -> None:
    statuses = [
        api.post(LOGIN_MFA, {"mfa_token": _challenge(api, parent), "code": _wrong(device)}, format="json").status_code
        for _ in range(settings.AXES_FAILURE_LIMIT)
    ]

    locked = api.post(LOGIN, {"email": parent.email, "password": PASSWORD}, format="json")

    assert statuses == [401] * (settings.AXES_FAILURE_LIMIT - 1) + [429]
    body = assert_problem(locked, 429, "account_locked")
    assert "mfa_token" not in body
    assert int(locked["Retry-After"]) > 0


def test_the_second_step_is_throttled_on_the_otp_scope(settings, api: APIClient) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**api_settings.DEFAULT_THROTTLE_RATES, "otp": "2/min"},
    }
    body = {"mfa_token": "not-issued", "code": "123456"}

    statuses = [api.post(LOGIN_MFA, body, format="json").status_code for _ in range(3)]

    assert statuses == [401, 401, 429]


def test_a_password_reset_does_not_skip_mfa(api: APIClient, parent: User, device: TOTPDevice) -> None:
    from accounts.services.passwords import password_reset_tokens
    from accounts.services.verification import token_pack

    token = token_pack(user=parent, generator=password_reset_tokens)
    reset = api.post(
        "/api/v1/auth/password/reset/confirm", {"token": token, "password": "a-brand-new-passphrase"}, format="json"
    )
    login = api.post(LOGIN, {"email": parent.email, "password": "a-brand-new-passphrase"}, format="json")

    assert reset.status_code == 200, reset.content
    assert not {"access", "refresh", "mfa_token"} & set(reset.json())
    assert login.status_code == 200
    assert set(login.json()) == {"mfa_required", "mfa_token", "methods"}


@pytest.mark.django_db(transaction=True)
def test_twenty_racing_sign_ins_with_one_code_let_one_in() -> None:
    user = ParentFactory()
    device = TOTPDeviceFactory(user=user)
    wait_for_fresh_step(device, at_least=8)
    tokens = [_challenge(APIClient(), user) for _ in range(20)]
    code = totp_code(device)
    pending = list(tokens)

    def attempt() -> int:
        token = pending.pop()
        return APIClient().post(LOGIN_MFA, {"mfa_token": token, "code": code}, format="json").status_code

    results = race(20, attempt)

    assert not [r for r in results if isinstance(r, BaseException)], results
    assert results.count(200) == 1
    assert set(results) <= {200, 401, 429}
    assert UserSession.objects.filter(user=user).count() == 1

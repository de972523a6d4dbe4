"""Enrolment and its undoing over HTTP: setup, confirm, disable, backup codes (API.md, Auth)."""

from __future__ import annotations

import pytest
from rest_framework.settings import api_settings
from rest_framework.test import APIClient

from accounts.models import BackupCode, TOTPDevice, User
from accounts.tests import verified_personas
from accounts.tests.factories import PASSWORD
from accounts.tests.mfa_helpers import actions_on, backup_codes_for, totp_code, wait_for_fresh_step
from accounts.tests.problems import assert_problem

# The personas with a verified email: these tests add or change ways to sign in.
parent = verified_personas.parent
other_parent = verified_personas.other_parent

pytestmark = pytest.mark.django_db

SETUP = "/api/v1/auth/mfa/totp/setup"
CONFIRM = "/api/v1/auth/mfa/totp/confirm"
DISABLE = "/api/v1/auth/mfa/totp/disable"
BACKUP_CODES = "/api/v1/auth/mfa/backup-codes"
LOGIN = "/api/v1/auth/login"
LOGIN_MFA = "/api/v1/auth/login/mfa"


def _wrong(device: TOTPDevice) -> str:
    return f"{(int(totp_code(device)) + 1) % 1_000_000:06d}"


def _set_up(client: APIClient, user: User) -> TOTPDevice:
    response = client.post(SETUP, format="json")
    assert response.status_code == 200, response.content
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    wait_for_fresh_step(device)
    return device


def test_setup_answers_secret_uri_and_svg(parent_api: APIClient, parent: User) -> None:
    response = parent_api.post(SETUP, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"secret", "otpauth_uri", "qr_svg"}
    assert body["otpauth_uri"].startswith("otpauth://totp/GuardianNest:parent%40example.com?")
    assert f"secret={body['secret']}" in body["otpauth_uri"]
    assert body["qr_svg"].startswith("<svg")
    assert response["Cache-Control"] == "no-store"
    assert parent_api.get("/api/v1/auth/me").json()["mfa_enabled"] is False


def test_setup_refuses_a_body_it_does_not_know(parent_api: APIClient) -> None:
    assert "secret" in assert_problem(parent_api.post(SETUP, {"secret": "mine"}, format="json"), 400)["errors"]


def test_setup_while_mfa_is_on_is_409(mfa_parent_api: APIClient) -> None:
    assert_problem(mfa_parent_api.post(SETUP, format="json"), 409, "mfa_already_enabled")


def test_confirm_turns_mfa_on_and_login_then_asks_for_it(api: APIClient, parent_api: APIClient, parent: User) -> None:
    device = _set_up(parent_api, parent)
    code = totp_code(device)

    response = parent_api.post(CONFIRM, {"code": f" {code[:3]} {code[3:]} "}, format="json")

    assert response.status_code == 200, response.content
    codes = response.json()["backup_codes"]
    assert len(codes) == 10
    assert parent_api.get("/api/v1/auth/me").json()["mfa_enabled"] is True
    assert "mfa.enabled" in actions_on(parent)
    login = api.post(LOGIN, {"email": parent.email, "password": PASSWORD}, format="json")
    assert login.json()["mfa_required"] is True
    finish = api.post(LOGIN_MFA, {"mfa_token": login.json()["mfa_token"], "code": codes[0]}, format="json")
    assert finish.status_code == 200, finish.content


def test_confirm_with_a_wrong_code_is_400_invalid_code(parent_api: APIClient, parent: User) -> None:
    device = _set_up(parent_api, parent)

    response = parent_api.post(CONFIRM, {"code": _wrong(device)}, format="json")

    assert assert_problem(response, 400, "invalid_code")["errors"] == {
        "code": ["The code is wrong, expired or already used."]
    }
    assert parent_api.get("/api/v1/auth/me").json()["mfa_enabled"] is False


@pytest.mark.parametrize("code", ["12345", "1234567", "abcdef", "", None, 123456.5])
def test_confirm_with_a_malformed_code_is_400_naming_it(parent_api: APIClient, parent: User, code: object) -> None:
    _set_up(parent_api, parent)

    response = parent_api.post(CONFIRM, {"code": code}, format="json")

    assert "code" in assert_problem(response, 400, "invalid")["errors"]


def test_confirm_before_setup_is_409(parent_api: APIClient) -> None:
    assert_problem(parent_api.post(CONFIRM, {"code": "123456"}, format="json"), 409, "mfa_setup_required")


def test_disable_with_password_and_code_is_204(mfa_parent_api: APIClient, parent: User, device: TOTPDevice) -> None:
    backup_codes_for(parent)

    response = mfa_parent_api.post(DISABLE, {"password": PASSWORD, "code": totp_code(device)}, format="json")

    assert response.status_code == 204, response.content
    assert not TOTPDevice.objects.filter(user=parent).exists()
    assert not BackupCode.objects.filter(user=parent).exists()
    assert "mfa.disabled" in actions_on(parent)
    assert mfa_parent_api.get("/api/v1/auth/me").json()["mfa_enabled"] is False


def test_disable_with_a_wrong_password_or_code_is_400(
    mfa_parent_api: APIClient, parent: User, device: TOTPDevice
) -> None:
    wrong_password = mfa_parent_api.post(
        DISABLE, {"password": "nope-nope-nope", "code": totp_code(device)}, format="json"
    )
    wrong_code = mfa_parent_api.post(DISABLE, {"password": PASSWORD, "code": _wrong(device)}, format="json")
    missing = mfa_parent_api.post(DISABLE, {"code": totp_code(device)}, format="json")

    assert assert_problem(wrong_password, 400, "invalid_password")["errors"] == {"password": ["The password is wrong."]}
    assert_problem(wrong_code, 400, "invalid_code")
    assert "password" in assert_problem(missing, 400, "invalid")["errors"]
    assert TOTPDevice.objects.filter(user=parent, confirmed=True).exists()


def test_disable_when_off_is_409(parent_api: APIClient) -> None:
    assert_problem(
        parent_api.post(DISABLE, {"password": PASSWORD, "code": "123456"}, format="json"), 409, "mfa_not_enabled"
    )


def test_new_backup_codes_kill_the_old_ones(
    api: APIClient, mfa_parent_api: APIClient, parent: User, device: TOTPDevice
) -> None:
    old = backup_codes_for(parent)

    response = mfa_parent_api.post(BACKUP_CODES, {"code": totp_code(device)}, format="json")

    assert response.status_code == 200, response.content
    new = response.json()["backup_codes"]
    assert len(new) == 10 and not set(new) & set(old)
    login = api.post(LOGIN, {"email": parent.email, "password": PASSWORD}, format="json").json()
    assert_problem(
        api.post(LOGIN_MFA, {"mfa_token": login["mfa_token"], "code": old[0]}, format="json"), 401, "invalid_code"
    )
    assert "mfa.backup_codes_regenerated" in actions_on(parent)


def test_new_backup_codes_need_a_totp_code(mfa_parent_api: APIClient, parent: User, device: TOTPDevice) -> None:
    old = backup_codes_for(parent)

    backup_instead = mfa_parent_api.post(BACKUP_CODES, {"code": old[0]}, format="json")
    wrong = mfa_parent_api.post(BACKUP_CODES, {"code": _wrong(device)}, format="json")

    assert "code" in assert_problem(backup_instead, 400, "invalid")["errors"]
    assert_problem(wrong, 400, "invalid_code")
    assert BackupCode.objects.filter(user=parent, used_at__isnull=True).count() == 10


def test_new_backup_codes_without_mfa_is_409(parent_api: APIClient) -> None:
    assert_problem(parent_api.post(BACKUP_CODES, {"code": "123456"}, format="json"), 409, "mfa_not_enabled")


@pytest.mark.parametrize("url", [SETUP, CONFIRM, DISABLE, BACKUP_CODES])
def test_other_methods_are_405(parent_api: APIClient, url: str) -> None:
    assert_problem(parent_api.get(url), 405, "method_not_allowed")


@pytest.mark.parametrize(
    ("url", "body"),
    [(CONFIRM, {"code": "123456"}), (BACKUP_CODES, {"code": "123456"}), (DISABLE, {"password": "x", "code": "123456"})],
)
def test_code_endpoints_are_throttled_on_the_otp_scope(
    settings, mfa_parent_api: APIClient, url: str, body: dict[str, str]
) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**api_settings.DEFAULT_THROTTLE_RATES, "otp": "1/min"},
    }

    first = mfa_parent_api.post(url, body, format="json")
    second = mfa_parent_api.post(url, body, format="json")

    assert first.status_code != 429
    assert_problem(second, 429, "throttled")

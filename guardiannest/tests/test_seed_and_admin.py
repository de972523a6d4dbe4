"""Demo data is idempotent; staff reach the admin only with a one-time password."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.demo import DEMO_PASSWORD, STAFF_TOTP_KEY_HEX
from accounts.models import User

pytestmark = pytest.mark.django_db


def test_seed_demo_twice_creates_everything_once(capsys) -> None:
    call_command("seed_demo")
    call_command("seed_demo")
    assert User.objects.filter(email__endswith="@guardiannest.demo").count() == 6
    assert TOTPDevice.objects.filter(user__email="staff@guardiannest.demo", confirmed=True).count() == 1
    assert "TOTP secret GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" in capsys.readouterr().out


def test_admin_refuses_staff_without_a_code() -> None:
    call_command("seed_demo")
    client = Client()
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "staff@guardiannest.demo", "password": DEMO_PASSWORD}
    )
    assert response.status_code == 200  # the form again, with an error
    assert client.get("/admin/").status_code == 302


def test_admin_lets_staff_in_with_password_and_totp() -> None:
    call_command("seed_demo")
    client = Client()
    device = TOTPDevice.objects.get(user__email="staff@guardiannest.demo")
    code = f"{totp(bytes.fromhex(STAFF_TOTP_KEY_HEX)):06d}"
    response = client.post(
        "/admin/login/?next=/admin/",
        {
            "username": "staff@guardiannest.demo",
            "password": DEMO_PASSWORD,
            "otp_device": device.persistent_id,
            "otp_token": code,
        },
    )
    assert response.status_code == 302, response.content[:500]
    assert client.get("/admin/").status_code == 200


def test_a_parent_never_reaches_the_admin() -> None:
    call_command("seed_demo")
    client = Client()
    client.post("/admin/login/", {"username": "parent.anna@guardiannest.demo", "password": DEMO_PASSWORD})
    assert client.get("/admin/").status_code == 302


def test_schema_validates_without_warnings() -> None:
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")

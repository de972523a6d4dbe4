"""Demo data is idempotent; staff reach the admin only with a one-time password."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.contrib import admin
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp

from accounts.admin_site import GuardianNestAdminSite
from accounts.demo import DEMO_PASSWORD, STAFF_TOTP_KEY_HEX
from accounts.models import TOTPDevice, User

pytestmark = pytest.mark.django_db


def test_seed_demo_twice_creates_everything_once(capsys) -> None:
    call_command("seed_demo")
    call_command("seed_demo")
    # accounts: staff, support, finance, two parents, three sitters; sitters: five more sitters (eight in all).
    assert User.objects.filter(email__endswith="@guardiannest.demo").count() == 13
    for email in ("staff@guardiannest.demo", "support@guardiannest.demo", "finance@guardiannest.demo"):
        assert TOTPDevice.objects.filter(user__email=email, confirmed=True).count() == 1
    assert list(User.objects.get(email="support@guardiannest.demo").groups.values_list("name", flat=True)) == [
        "support"
    ]
    assert "TOTP secret GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" in capsys.readouterr().out


def test_the_default_admin_site_is_the_otp_site_set_by_the_admin_app_not_patched_in() -> None:
    assert type(admin.site._wrapped) is GuardianNestAdminSite  # type: ignore[attr-defined]  # LazyObject
    assert admin.site.name == "admin" and reverse("admin:index") == "/admin/"
    assert "admin.site.__class__" not in (Path(settings.BASE_DIR) / "guardiannest" / "urls.py").read_text()


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


def test_wrong_admin_codes_lock_the_account_from_that_address(settings) -> None:
    settings.AXES_FAILURE_LIMIT = 2
    call_command("seed_demo")
    assert _admin_login("000000") == 200
    assert _admin_login("000001") == 429
    right = f"{totp(bytes.fromhex(STAFF_TOTP_KEY_HEX)):06d}"
    assert _admin_login(right) == 429


def test_a_parent_never_reaches_the_admin() -> None:
    call_command("seed_demo")
    client = Client()
    client.post("/admin/login/", {"username": "parent.anna@guardiannest.demo", "password": DEMO_PASSWORD})
    assert client.get("/admin/").status_code == 302


def test_schema_validates_without_warnings() -> None:
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")


def _admin_login(code: str) -> int:
    """200: the form again (refused); 302 then an admin page that opens: signed in with OTP."""
    device = TOTPDevice.objects.get(user__email="staff@guardiannest.demo")
    client = Client()
    response = client.post(
        "/admin/login/?next=/admin/",
        {
            "username": "staff@guardiannest.demo",
            "password": DEMO_PASSWORD,
            "otp_device": device.persistent_id,
            "otp_token": code,
        },
    )
    if response.status_code == 302:
        assert client.get("/admin/").status_code == 200
    return response.status_code


def test_an_admin_code_works_once() -> None:
    call_command("seed_demo")
    code = f"{totp(bytes.fromhex(STAFF_TOTP_KEY_HEX)):06d}"
    assert _admin_login(code) == 302
    assert _admin_login(code) == 200  # the same code again: refused, the form is shown


@pytest.mark.django_db(transaction=True)
def test_racing_admin_logins_with_one_code_let_one_in(settings) -> None:
    from django.db import connection

    from conftest import race

    settings.AXES_FAILURE_LIMIT = 50  # this test is about the race, not the lockout
    call_command("seed_demo")
    code = f"{totp(bytes.fromhex(STAFF_TOTP_KEY_HEX)):06d}"
    connection.close()
    results = race(8, lambda: _admin_login(code))
    assert sorted(results) == [200] * 7 + [302]

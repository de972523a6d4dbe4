"""``manage.py totp_enrol``: the first staff member's way into the admin, with the secret stored encrypted."""

from __future__ import annotations

from base64 import b32decode
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from django_otp.oath import totp

from accounts.models import TOTPDevice, User
from accounts.tests.factories import PASSWORD, TOTPDeviceFactory
from guardiannest.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_the_printed_secret_signs_the_staff_member_in_to_the_admin(staff: User) -> None:
    out = StringIO()

    call_command("totp_enrol", staff.email.upper(), stdout=out)

    secret = out.getvalue().split("secret: ", 1)[1].split()[0]
    key = b32decode(secret + "=" * (-len(secret) % 8))
    device = TOTPDevice.objects.get(user=staff)
    assert device.confirmed and device.bin_key == key and staff.mfa_enabled
    with connection.cursor() as cursor:
        cursor.execute("SELECT key FROM accounts_totpdevice WHERE id = %s", [device.pk])
        (stored,) = cursor.fetchone()
    assert stored.startswith("gn1:") and key.hex() not in stored
    assert AuditEvent.objects.filter(action="mfa.enabled", target_id=str(staff.pk), data__by="operator").count() == 1
    browser = Client()
    response = browser.post(
        "/admin/login/?next=/admin/",
        {
            "username": staff.email,
            "password": PASSWORD,
            "otp_device": device.persistent_id,
            "otp_token": f"{totp(key):06d}",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    assert browser.get("/admin/").status_code == 200


def test_it_is_refused_while_mfa_is_on_and_for_unknown_emails(staff: User) -> None:
    device = TOTPDeviceFactory(user=staff)

    with pytest.raises(CommandError, match="already on"):
        call_command("totp_enrol", staff.email, stdout=StringIO())
    with pytest.raises(CommandError, match="No account"):
        call_command("totp_enrol", "nobody@example.com", stdout=StringIO())

    assert list(TOTPDevice.objects.filter(user=staff)) == [device]

"""Staff roles: the support and finance groups hold what the apps declare, and the back office follows them."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.test import Client
from django_otp.oath import totp

from accounts.demo import DEMO_PASSWORD, STAFF_TOTP_KEY_HEX
from accounts.models import TOTPDevice, User
from guardiannest.audit.models import AuditEvent
from guardiannest.registries import STAFF_ROLES, staff_role_permissions
from guardiannest.staff_roles import staff_role_declared, staff_roles_sync

pytestmark = pytest.mark.django_db


def _held(role: str) -> set[str]:
    group = Group.objects.get(name=role)
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}


def test_migrate_leaves_each_role_with_exactly_what_the_apps_declare() -> None:
    declared = staff_role_declared()

    for role in STAFF_ROLES:
        assert _held(role) == declared[role]
    # what the issue asks of each role
    assert {"sitters.change_verificationcheck", "emergencies.change_emergency", "sitters.change_review"} <= _held(
        "support"
    )
    assert {"bookings.change_booking", "audit.view_auditevent"} <= _held("support")
    assert {"payments.refund_payment", "payments.handle_dispute"} <= _held("finance")
    assert not {"payments.refund_payment", "payments.handle_dispute"} & _held("support")
    assert "sitters.change_verificationcheck" not in _held("finance")
    # every app of the domain says what its tables give the roles
    assert {"accounts", "files", "messaging", "sitters", "bookings", "payments", "emergencies", "audit"} <= {
        app for app, _ in staff_role_permissions.items()
    }


def test_the_sync_is_idempotent_and_takes_back_what_was_given_by_hand() -> None:
    # given the finance group was given a permission by hand, and lost one
    finance = Group.objects.get(name="finance")
    verify = Permission.objects.get(content_type__app_label="sitters", codename="change_verificationcheck")
    refund = Permission.objects.get(content_type__app_label="payments", codename="refund_payment")
    finance.permissions.add(verify)
    finance.permissions.remove(refund)

    # when the roles are synced (twice)
    changes = staff_roles_sync()
    again = staff_roles_sync()

    # then the group holds what is declared again, the change is audited once, the second run does nothing
    assert changes == {
        "finance": {"added": ["payments.refund_payment"], "removed": ["sitters.change_verificationcheck"]}
    }
    assert again == {}
    assert _held("finance") == staff_role_declared()["finance"]
    event = AuditEvent.objects.get(action="staff_role.synced")
    assert (event.target_type, event.target_id, event.actor_id) == ("auth.group", str(finance.pk), None)
    assert event.data["removed"] == ["sitters.change_verificationcheck"]


def test_the_command_recreates_a_deleted_group() -> None:
    Group.objects.filter(name="support").delete()
    out = StringIO()

    call_command("staff_roles", stdout=out)
    call_command("staff_roles", stdout=out)

    assert _held("support") == staff_role_declared()["support"]
    lines = out.getvalue().splitlines()
    assert lines[0].startswith(f"support: {len(staff_role_declared()['support'])} permissions (+")
    assert lines[-2:] == [
        f"support: {len(staff_role_declared()['support'])} permissions (unchanged)",
        f"finance: {len(staff_role_declared()['finance'])} permissions (unchanged)",
    ]


def test_an_unknown_permission_in_a_declaration_stops_the_sync() -> None:
    staff_role_permissions.register("typo", {"support": ("payments.refund_everything",)})
    try:
        with pytest.raises(Exception, match=r"payments\.refund_everything"):
            staff_roles_sync()
    finally:
        staff_role_permissions.unregister("typo")


def _demo_login(email: str) -> Client:
    """The demo staff member of a role, signed in to the admin with password and TOTP code (seed_demo made them)."""
    call_command("seed_demo", stdout=StringIO())
    browser = Client()
    device = TOTPDevice.objects.get(user__email=email)
    response = browser.post(
        "/admin/login/?next=/admin/",
        {
            "username": email,
            "password": DEMO_PASSWORD,
            "otp_device": device.persistent_id,
            "otp_token": f"{totp(bytes.fromhex(STAFF_TOTP_KEY_HEX)):06d}",
        },
    )
    assert response.status_code == 302, response.content[:500]
    return browser


def _actions(browser: Client, url: str) -> set[str]:
    response = browser.get(url)
    assert response.status_code == 200, url
    form = response.context["action_form"]
    return {name for name, _ in form.fields["action"].choices if name} if form is not None else set()


def test_the_demo_support_login_verifies_and_moderates_but_moves_no_money() -> None:
    browser = _demo_login("support@guardiannest.demo")
    user = User.objects.get(email="support@guardiannest.demo")

    assert user.is_staff and not user.is_superuser
    assert {"verify", "reject"} <= _actions(browser, "/admin/sitters/verificationcheck/")
    assert {"hide", "unhide"} <= _actions(browser, "/admin/sitters/review/")
    assert {"acknowledge", "resolve"} <= _actions(browser, "/admin/emergencies/emergency/")
    assert {"cancel_with_fee", "resolve_with_refund"} <= _actions(browser, "/admin/bookings/booking/")
    assert "refund_all" not in _actions(browser, "/admin/payments/payment/")
    assert browser.get("/admin/payments/ledgerentry/").status_code == 403
    assert browser.get("/admin/waffle/flag/").status_code == 403


def test_the_demo_finance_login_refunds_and_takes_disputes_but_verifies_nobody() -> None:
    browser = _demo_login("finance@guardiannest.demo")

    assert "refund_all" in _actions(browser, "/admin/payments/payment/")
    assert "retry_transfer" in _actions(browser, "/admin/payments/transfer/")
    assert "take_case" in _actions(browser, "/admin/payments/disputecase/")
    assert browser.get("/admin/payments/ledgerentry/").status_code == 200
    assert browser.get("/admin/sitters/verificationcheck/").status_code == 403
    assert not _actions(browser, "/admin/bookings/booking/")

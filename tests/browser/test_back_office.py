"""The back office in a real browser against the running server: sign in with MFA, verify, refund, watch an SOS arrive.

Each test is a staff member at work, with only the permissions the task needs (no superuser), clicking
what staff click: the admin's login form with a code from their authenticator, the checkboxes, the
action menu and its Go button. What the browser shows is checked, and so is the database behind it.
The SOS tests raise an alert from outside the page (the API of the running server, or the API code
as a web worker runs it) and wait for the page, which nobody reloads, to show it: the admin's
script follows the staff socket (emergencies/static/emergencies/admin-live.js).
"""

from __future__ import annotations

import json
import time
import urllib.request

import pytest
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By

from accounts.models import User
from accounts.services.auth import tokens_for
from accounts.tests.factories import PASSWORD
from conftest import client_for
from emergencies.models import Emergency, EmergencyStatus
from guardiannest.audit.models import AuditEvent
from payments.models import Refund
from payments.services import payment_authorise, payment_capture
from sitters.models import CheckStatus, SitterProfile, VerificationCheck, VerificationStatus
from sitters.tests.verification_helpers import checks_of, submitted
from tests.browser.admin_pages import (
    active_count,
    cell,
    errors,
    messages,
    row_of,
    run_action,
    sign_in,
    socket_open,
    staff_member,
    submit_login,
    wait_for,
)
from tests.browser.conftest import LiveServer

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

BERLIN = {"latitude": 52.520008, "longitude": 13.404954}
LIVE_WITHIN = 10  # seconds from the raise to the page showing it, with room for a loaded test machine


def test_staff_sign_in_with_their_password_and_a_code_from_their_authenticator(
    browser: WebDriver, server: LiveServer
) -> None:
    staff = staff_member("sitters.view_verificationcheck")

    # the admin sends a stranger to its login page
    browser.get(server.url("/admin/"))
    assert browser.current_url.startswith(server.url("/admin/login/"))

    # the password alone is not enough, nor a wrong code
    submit_login(browser, server.base, email=staff.email, password=PASSWORD, code="")
    assert browser.current_url.startswith(server.url("/admin/login/"))
    assert errors(browser), browser.page_source[:2000]
    wrong = f"{(int(staff.code()) + 500_000) % 1_000_000:06d}"
    submit_login(browser, server.base, email=staff.email, password=PASSWORD, code=wrong)
    assert browser.current_url.startswith(server.url("/admin/login/"))
    assert errors(browser)

    # the code the authenticator shows now lets them in
    sign_in(browser, server.base, staff)

    assert browser.find_element(By.ID, "site-name").text == "GuardianNest back office"
    assert staff.user.first_name.upper() in browser.find_element(By.ID, "user-tools").text.upper()
    browser.get(server.url("/admin/sitters/verificationcheck/"))
    assert browser.find_element(By.CSS_SELECTOR, "#content h1").text.lower().startswith("select")


def test_staff_verify_a_sitter_from_the_queue(
    browser: WebDriver, server: LiveServer, sitter: User, other_sitter: User
) -> None:
    submitted(sitter)
    submitted(other_sitter)
    chosen = [str(check.pk) for check in checks_of(sitter).values()]
    waiting = [str(check.pk) for check in checks_of(other_sitter).values()]
    staff = staff_member(
        "sitters.view_verificationcheck", "sitters.change_verificationcheck", "sitters.view_sitterprofile"
    )
    sign_in(browser, server.base, staff)

    # the queue lists both sitters' pending checks; staff tick one sitter's and verify them
    browser.get(server.url("/admin/sitters/verificationcheck/"))
    assert all(str(sitter.pk) in row_of(browser, pk) for pk in chosen)
    assert all(str(other_sitter.pk) in row_of(browser, pk) for pk in waiting)
    run_action(browser, "verify", chosen)

    assert "Verified: 2 done." in messages(browser), messages(browser)
    pending_rows = {box.get_attribute("value") for box in browser.find_elements(By.CSS_SELECTOR, ".action-select")}
    assert pending_rows == set(waiting)  # decided checks leave the queue
    assert SitterProfile.objects.get(pk=sitter.pk).verification_status == VerificationStatus.VERIFIED
    assert SitterProfile.objects.get(pk=other_sitter.pk).verification_status != VerificationStatus.VERIFIED
    assert set(VerificationCheck.objects.filter(pk__in=chosen).values_list("status", "decided_by")) == {
        (CheckStatus.VERIFIED, staff.user.pk)
    }
    decided = AuditEvent.objects.filter(action="sitter.verification_decided", actor=staff.user)
    assert {event.target_id for event in decided} == set(chosen)


def test_staff_with_the_refund_permission_refund_a_payment(
    browser: WebDriver, server: LiveServer, parent: User, sitter: User
) -> None:
    payment = payment_authorise(payer=parent, payee=sitter, amount=5000, reference="booking-browser", actor=parent)
    payment = payment_capture(payment=payment, amount=4000, actor=parent)
    staff = staff_member("payments.view_payment", "payments.refund_payment")
    sign_in(browser, server.base, staff)

    browser.get(server.url("/admin/payments/payment/"))
    before = cell(browser, payment.pk, "status").lower()
    assert "captured" in before and "refunded" not in before
    run_action(browser, "refund_all", [payment.pk])

    assert any(message.endswith(": 1 done.") for message in messages(browser)), messages(browser)
    assert "refunded" in cell(browser, payment.pk, "status").lower()  # the list staff are back on shows it
    assert cell(browser, payment.pk, "refunded_amount") == "4000"
    payment.refresh_from_db()
    assert (payment.status, payment.refunded_amount) == ("refunded", 4000)
    refund = Refund.objects.get(payment=payment)
    assert (refund.amount, refund.created_by) == (4000, staff.user)
    browser.get(server.url(f"/admin/payments/payment/{payment.pk}/change/"))
    assert "refunded" in browser.find_element(By.ID, "content-main").text.lower()


def _raise_through_the_running_server(server: LiveServer, user: User) -> str:
    """What the parent's app does: POST emergencies on the running server with the parent's token."""
    request = urllib.request.Request(
        server.url("/api/v1/emergencies"),
        data=json.dumps(BERLIN).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {tokens_for(user)['access']}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 201
        return str(json.load(response)["id"])


def test_an_sos_shows_on_the_admin_home_without_anyone_reloading(
    browser: WebDriver, server: LiveServer, parent: User
) -> None:
    staff = staff_member("emergencies.view_emergency")
    sign_in(browser, server.base, staff)
    assert active_count(browser) == "0"
    wait_for(browser, socket_open, what="the page's socket open (admin-live.js)")

    # when a parent raises an SOS from their app
    started = time.monotonic()
    emergency_id = _raise_through_the_running_server(server, parent)

    # then the count on the open page goes up by itself
    wait_for(browser, lambda b: active_count(b) == "1", LIVE_WITHIN, "the active count on the open page at 1")
    seconds = time.monotonic() - started
    assert seconds < LIVE_WITHIN
    assert Emergency.objects.get(pk=emergency_id).status == EmergencyStatus.ACTIVE
    assert browser.current_url == server.url("/admin/")


def test_an_sos_appears_in_the_live_emergency_list(browser: WebDriver, server: LiveServer, parent: User) -> None:
    staff = staff_member("emergencies.view_emergency", "emergencies.change_emergency")
    sign_in(browser, server.base, staff)
    browser.get(server.url("/admin/emergencies/emergency/"))
    assert browser.find_elements(By.CSS_SELECTOR, "input.action-select") == []
    wait_for(browser, socket_open, what="the page's socket open (admin-live.js)")

    # when an SOS is raised through the API by a web worker (another process than the one the page's socket is on)
    response = client_for(parent).post("/api/v1/emergencies", BERLIN, format="json")
    assert response.status_code == 201, response.content
    emergency_id = response.json()["id"]

    # then the list the staff member has open shows it, active, with its map link
    row = wait_for(browser, lambda b: row_of(b, emergency_id), LIVE_WITHIN, "the new alert's row in the open list")
    assert emergency_id[:8] in row and "active" in row.lower()
    assert "52.520008, 13.404954" in row

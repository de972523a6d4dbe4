"""SMS one-time codes for phone verification, sent through the loopback Twilio.

The code is read from the SMS the stand-in received, as the person would read
it from their phone; nothing of ours is patched.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.hashers import check_password
from django.db import connection
from django.utils import timezone
from prometheus_client import REGISTRY
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.factories import ParentFactory, SitterFactory
from accounts.tests.problems import assert_problem
from conftest import client_for, race
from guardiannest.audit.models import AuditEvent
from guardiannest.errors import ApplicationError
from messaging.models import PhoneVerification
from messaging.services.phone import phone_verification_confirm, phone_verified_at
from messaging.tests.stand_ins import INVALID_NUMBER, TwilioStandIn

START = "/api/v1/phone/verification"
CONFIRM = "/api/v1/phone/verification/confirm"
PHONE = "+14155550123"
OTHER_PHONE = "+14155550124"


@pytest.fixture
def parent(db: Any) -> User:
    """Only an account with a verified email may ask for an SMS: the personas here have one."""
    return ParentFactory(email="parent@example.com", email_verified_at=timezone.now())


@pytest.fixture
def other_parent(db: Any) -> User:
    return ParentFactory(email="other.parent@example.com", email_verified_at=timezone.now())


@pytest.fixture
def sitter(db: Any) -> User:
    return SitterFactory(email="sitter@example.com", email_verified_at=timezone.now())


def _sms_rate(settings: Any, rate: str) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "sms": rate},
    }


def _start(client: APIClient, capture: Any, phone: str = PHONE) -> Any:
    with capture(execute=True):
        return client.post(START, {"phone": phone}, format="json")


def _code(twilio: TwilioStandIn) -> str:
    match = re.search(r"\b(\d{6})\b", twilio.messages[-1].form()["Body"][0])
    assert match, twilio.messages[-1].form()
    return match.group(1)


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


@pytest.mark.django_db
def test_a_code_is_texted_and_stored_only_hashed(
    twilio: TwilioStandIn, parent: User, parent_api: APIClient, django_capture_on_commit_callbacks: Any
) -> None:
    # when
    response = _start(parent_api, django_capture_on_commit_callbacks)

    # then the answer says where and until when, never the code
    assert response.status_code == 202, response.content
    assert response.json()["phone"] == PHONE
    code = _code(twilio)
    assert code not in response.content.decode()
    [sms] = twilio.messages
    assert sms.form()["To"] == [PHONE]
    # and the database holds a hash of it, nothing readable
    with connection.cursor() as cursor:
        cursor.execute("SELECT code_hash, phone, attempts, expires_at - created_at FROM messaging_phoneverification")
        [(code_hash, phone, attempts, lifetime)] = cursor.fetchall()
    assert code not in code_hash
    assert check_password(code, code_hash)
    assert (phone, attempts, lifetime) == (PHONE, 0, timedelta(minutes=10))
    assert AuditEvent.objects.filter(action="phone.verification_requested", actor_id=parent.pk).exists()


@pytest.mark.django_db
def test_the_right_code_verifies_the_number_as_the_accounts_phone(
    twilio: TwilioStandIn, parent: User, parent_api: APIClient, django_capture_on_commit_callbacks: Any
) -> None:
    _start(parent_api, django_capture_on_commit_callbacks)

    response = parent_api.post(CONFIRM, {"code": _code(twilio)}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["phone"] == PHONE
    assert response.json()["phone_verified"] is True
    parent.refresh_from_db()
    assert parent.phone == PHONE
    assert phone_verified_at(user=parent) is not None
    assert AuditEvent.objects.filter(action="phone.verified", actor_id=parent.pk).exists()
    # accounts wrote the number, audited as a change of the account's phone
    assert AuditEvent.objects.get(action="user.updated", target_id=str(parent.pk)).data == {"fields": ["phone"]}
    # the code is spent
    assert_problem(parent_api.post(CONFIRM, {"code": _code(twilio)}, format="json"), 409, "no_pending_verification")


@pytest.mark.django_db
def test_five_wrong_codes_end_the_code_even_for_the_right_one(
    twilio: TwilioStandIn, parent: User, parent_api: APIClient, django_capture_on_commit_callbacks: Any
) -> None:
    _start(parent_api, django_capture_on_commit_callbacks)
    code = _code(twilio)

    for attempt in range(1, 6):
        assert_problem(parent_api.post(CONFIRM, {"code": _wrong(code)}, format="json"), 400, "invalid_code")
        assert PhoneVerification.objects.get().attempts == attempt  # counted although the call failed

    assert_problem(parent_api.post(CONFIRM, {"code": code}, format="json"), 409, "too_many_attempts")
    parent.refresh_from_db()
    assert parent.phone != PHONE
    assert phone_verified_at(user=parent) is None
    assert PhoneVerification.objects.get().attempts == 5


@pytest.mark.django_db(transaction=True)
def test_racing_wrong_codes_are_all_counted_and_stop_at_five(
    twilio: TwilioStandIn, parent: User, parent_api: APIClient
) -> None:
    parent_api.post(START, {"phone": PHONE}, format="json")  # on_commit runs: this test commits for real
    wrong = _wrong(_code(twilio))

    results = race(12, lambda: phone_verification_confirm(user=parent, code=wrong))

    codes = sorted(result.code for result in results if isinstance(result, ApplicationError))
    assert codes == ["invalid_code"] * 5 + ["too_many_attempts"] * 7, results
    assert PhoneVerification.objects.get().attempts == 5


@pytest.mark.django_db
def test_an_expired_code_is_refused(
    twilio: TwilioStandIn, parent: User, parent_api: APIClient, django_capture_on_commit_callbacks: Any
) -> None:
    _start(parent_api, django_capture_on_commit_callbacks)
    eleven_minutes = timedelta(minutes=11)
    verification = PhoneVerification.objects.get()
    PhoneVerification.objects.filter(pk=verification.pk).update(
        created_at=verification.created_at - eleven_minutes, expires_at=verification.expires_at - eleven_minutes
    )

    assert_problem(parent_api.post(CONFIRM, {"code": _code(twilio)}, format="json"), 409, "code_expired")
    parent.refresh_from_db()
    assert parent.phone != PHONE
    assert PhoneVerification.objects.get().verified_at is None


@pytest.mark.django_db
def test_a_new_code_ends_the_one_before(
    twilio: TwilioStandIn, parent: User, parent_api: APIClient, django_capture_on_commit_callbacks: Any
) -> None:
    _start(parent_api, django_capture_on_commit_callbacks)
    first = _code(twilio)
    second = first
    for _ in range(3):  # two equal random codes (one in a million) would prove nothing
        _start(parent_api, django_capture_on_commit_callbacks, phone=OTHER_PHONE)
        second = _code(twilio)
        if second != first:
            break
    assert second != first

    assert_problem(parent_api.post(CONFIRM, {"code": first}, format="json"), 400, "invalid_code")
    assert parent_api.post(CONFIRM, {"code": second}, format="json").status_code == 200
    parent.refresh_from_db()
    assert parent.phone == OTHER_PHONE


@pytest.mark.django_db
def test_verification_lapses_when_the_phone_is_changed_elsewhere(
    twilio: TwilioStandIn, parent: User, parent_api: APIClient, django_capture_on_commit_callbacks: Any
) -> None:
    _start(parent_api, django_capture_on_commit_callbacks)
    parent_api.post(CONFIRM, {"code": _code(twilio)}, format="json")

    parent_api.patch("/api/v1/auth/me", {"phone": OTHER_PHONE}, format="json")

    parent.refresh_from_db()
    assert parent.phone == OTHER_PHONE
    assert phone_verified_at(user=parent) is None


@pytest.mark.django_db
def test_the_account_limit_answers_429_without_calling_twilio(
    twilio: TwilioStandIn, settings: Any, parent_api: APIClient, django_capture_on_commit_callbacks: Any
) -> None:
    _sms_rate(settings, "2/hour")
    assert _start(parent_api, django_capture_on_commit_callbacks, phone="+14155550101").status_code == 202
    assert _start(parent_api, django_capture_on_commit_callbacks, phone="+14155550102").status_code == 202

    response = _start(parent_api, django_capture_on_commit_callbacks, phone="+14155550103")

    assert_problem(response, 429, "throttled")
    assert int(response["Retry-After"]) > 0
    assert len(twilio.messages) == 2
    assert PhoneVerification.objects.count() == 2


@pytest.mark.django_db
def test_the_number_limit_holds_across_accounts_and_answers_429_without_calling_twilio(
    twilio: TwilioStandIn,
    settings: Any,
    parent: User,
    other_parent: User,
    sitter: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    _sms_rate(settings, "2/hour")
    assert _start(client_for(parent), django_capture_on_commit_callbacks).status_code == 202
    assert _start(client_for(other_parent), django_capture_on_commit_callbacks).status_code == 202

    response = _start(client_for(sitter), django_capture_on_commit_callbacks)

    assert_problem(response, 429, "throttled")
    assert 0 < int(response["Retry-After"]) <= 3600
    assert len(twilio.messages) == 2
    assert not PhoneVerification.objects.filter(user=sitter).exists()
    # another number is still fine for the same account
    assert _start(client_for(sitter), django_capture_on_commit_callbacks, phone=OTHER_PHONE).status_code == 202


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [{}, {"phone": ""}, {"phone": "12345"}, {"phone": "+0123456789"}, {"phone": PHONE, "user_id": "someone"}],
)
def test_bad_numbers_are_refused_and_nothing_is_sent(
    twilio: TwilioStandIn, parent_api: APIClient, body: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = parent_api.post(START, body, format="json")

    assert_problem(response, 400, "invalid")
    assert twilio.messages == []
    assert PhoneVerification.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("code", ["abcdef", "12345", "1234567", ""])
def test_a_malformed_code_is_refused_and_not_counted(
    twilio: TwilioStandIn, parent_api: APIClient, code: str, django_capture_on_commit_callbacks: Any
) -> None:
    _start(parent_api, django_capture_on_commit_callbacks)

    assert_problem(parent_api.post(CONFIRM, {"code": code}, format="json"), 400, "invalid")
    assert PhoneVerification.objects.get().attempts == 0


@pytest.mark.django_db
def test_confirming_with_no_code_sent_is_a_conflict(parent_api: APIClient) -> None:
    assert_problem(parent_api.post(CONFIRM, {"code": "123456"}, format="json"), 409, "no_pending_verification")


@pytest.mark.django_db
def test_a_number_twilio_refuses_still_answers_202_and_sends_nothing_else(
    twilio: TwilioStandIn, parent: User, parent_api: APIClient, django_capture_on_commit_callbacks: Any
) -> None:
    response = _start(parent_api, django_capture_on_commit_callbacks, phone=INVALID_NUMBER)

    assert response.status_code == 202
    assert len(twilio.messages) == 1  # tried once, refused (21211), not retried
    assert PhoneVerification.objects.get().verified_at is None


@pytest.mark.django_db
def test_no_sms_leaves_before_commit(
    twilio: TwilioStandIn, parent_api: APIClient, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = parent_api.post(START, {"phone": PHONE}, format="json")

    assert response.status_code == 202
    assert len(callbacks) == 1
    assert twilio.messages == []


@pytest.mark.django_db
def test_gdpr_erasure_removes_the_accounts_verifications(
    twilio: TwilioStandIn, parent: User, other_parent: User, django_capture_on_commit_callbacks: Any
) -> None:
    from messaging.services.phone import phone_verifications_erase

    _start(client_for(parent), django_capture_on_commit_callbacks)
    _start(client_for(other_parent), django_capture_on_commit_callbacks, phone=OTHER_PHONE)

    phone_verifications_erase(parent)

    assert list(PhoneVerification.objects.values_list("user", flat=True)) == [other_parent.pk]


# --- SMS pumping: bots aim codes at premium numbers, from as many accounts as they like ---------------


def _exhausted(budget: str, country: str) -> float:
    labels = {"budget": budget, "country": country}
    return REGISTRY.get_sample_value("guardiannest_sms_budget_exhausted_total", labels) or 0.0


@pytest.mark.django_db
def test_an_account_without_a_verified_email_gets_no_sms(
    twilio: TwilioStandIn, django_capture_on_commit_callbacks: Any
) -> None:
    bot = ParentFactory(email="bot@example.com")

    response = _start(client_for(bot), django_capture_on_commit_callbacks)

    assert_problem(response, 403, "email_not_verified")
    assert twilio.messages == [] and PhoneVerification.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("phone", ["+8823451234567", "+2551234567890", "+79161234567"])
def test_destinations_outside_the_allowlist_get_no_sms(
    twilio: TwilioStandIn, parent_api: APIClient, phone: str, django_capture_on_commit_callbacks: Any
) -> None:
    """International networks and countries we do not serve: favourites of SMS pumping."""
    response = _start(parent_api, django_capture_on_commit_callbacks, phone=phone)

    assert_problem(response, 400, "country_not_supported")
    assert twilio.messages == []


@pytest.mark.django_db
def test_a_countrys_budget_stops_sends_from_any_number_of_accounts_and_is_counted(
    twilio: TwilioStandIn, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.SMS_BUDGET_PER_COUNTRY = "3/hour"
    settings.SMS_BUDGET_COUNTRIES = {"49": "100/hour"}
    before = _exhausted("country", "1")
    bots = [ParentFactory(email_verified_at=timezone.now()) for _ in range(4)]

    codes = [
        _start(client_for(bot), django_capture_on_commit_callbacks, phone=f"+1415555020{n}").status_code
        for n, bot in enumerate(bots)
    ]

    assert codes == [202, 202, 202, 429]
    assert len(twilio.messages) == 3
    assert _exhausted("country", "1") == before + 1
    # another country has its own budget (here raised for Germany)
    assert _start(client_for(bots[3]), django_capture_on_commit_callbacks, phone="+4915123456789").status_code == 202


@pytest.mark.django_db
def test_the_global_budget_stops_sends_to_every_country_and_is_counted(
    twilio: TwilioStandIn, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.SMS_BUDGET_GLOBAL = "2/hour"
    before = _exhausted("global", "44")
    bots = [ParentFactory(email_verified_at=timezone.now()) for _ in range(3)]

    codes = [
        _start(client_for(bot), django_capture_on_commit_callbacks, phone=phone).status_code
        for bot, phone in zip(bots, ["+4915123456789", "+14155550123", "+447700900123"], strict=True)
    ]

    assert codes == [202, 202, 429]
    assert len(twilio.messages) == 2
    assert _exhausted("global", "44") == before + 1

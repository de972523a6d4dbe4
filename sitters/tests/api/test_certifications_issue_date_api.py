"""A certification's issue date is judged by the sitter's own today, not UTC's (create and change)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.problems import assert_problem
from sitters.models import Certification
from sitters.services.calendar import local_today
from sitters.tests.factories import CertificationFactory, SitterProfileFactory

URL = "/api/v1/sitters/me/certifications"
AUCKLAND = "Pacific/Auckland"  # UTC+12/+13: its today starts 11 to 13 hours before UTC's
PAGO_PAGO = "Pacific/Pago_Pago"  # UTC-11: its today ends 11 hours after UTC's

pytestmark = pytest.mark.django_db


def issue(client: APIClient, issued_at: date) -> Any:
    return client.post(URL, {"kind": "cpr", "issued_at": issued_at.isoformat()}, format="json")


def assert_refused(response: Any, field: str) -> None:
    body = assert_problem(response, 400, "invalid")
    assert list(body["errors"]) == [field], body


def test_the_issue_date_may_be_the_sitters_own_today(sitter_api: APIClient, sitter: User) -> None:
    """Judged by the sitter's calendar, not UTC's: today in Auckland is fine, tomorrow there is not.

    No clock is frozen (no time library is pinned), so the discriminating case
    is chosen from the real time: whenever Auckland's date is not UTC's (from
    11:00 or 12:00 UTC), its today was refused under the UTC rule; otherwise
    Pago Pago's date is behind UTC's, and UTC's today is its tomorrow.
    """
    now = timezone.now()
    utc_today = now.date()
    auckland_today = local_today(ZoneInfo(AUCKLAND), now=now)
    pago_pago_today = local_today(ZoneInfo(PAGO_PAGO), now=now)
    assert auckland_today > utc_today or pago_pago_today < utc_today  # at any hour one of them differs
    profile = SitterProfileFactory(user=sitter, timezone=AUCKLAND)

    response = issue(sitter_api, auckland_today)
    assert response.status_code == 201, response.content
    assert response.json()["issued_at"] == auckland_today.isoformat()
    assert_refused(issue(sitter_api, auckland_today + timedelta(days=1)), "issued_at")

    profile.timezone = PAGO_PAGO
    profile.save(update_fields=["timezone"])
    Certification.objects.filter(sitter=profile).delete()
    assert_refused(issue(sitter_api, pago_pago_today + timedelta(days=1)), "issued_at")
    assert issue(sitter_api, pago_pago_today).status_code == 201
    assert Certification.objects.filter(sitter=profile).count() == 1


def test_a_change_of_the_issue_date_is_judged_the_same_way(sitter_api: APIClient, sitter: User) -> None:
    profile = SitterProfileFactory(user=sitter, timezone=AUCKLAND)
    certification = CertificationFactory(sitter=profile, expires_at=None)
    auckland_today = local_today(ZoneInfo(AUCKLAND))

    ok = sitter_api.patch(f"{URL}/{certification.pk}", {"issued_at": auckland_today.isoformat()}, format="json")
    late = sitter_api.patch(
        f"{URL}/{certification.pk}", {"issued_at": (auckland_today + timedelta(days=1)).isoformat()}, format="json"
    )

    assert ok.status_code == 200, ok.content
    assert_refused(late, "issued_at")
    certification.refresh_from_db()
    assert certification.issued_at == auckland_today

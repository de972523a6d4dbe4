"""The SOS figures Prometheus scrapes: active alerts nobody acknowledged, and the age of the oldest."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from emergencies.models import Emergency
from emergencies.services import emergency_acknowledge
from emergencies.tests.factories import raise_sos

pytestmark = pytest.mark.django_db


def _figure(name: str) -> float:
    body = APIClient().get("/metrics", HTTP_AUTHORIZATION="Bearer test-metrics-token").content.decode()
    [value] = [float(m.group(1)) for m in re.finditer(rf"^{name} (\S+)$", body, re.M)]
    return value


def test_metrics_show_unacknowledged_alerts_until_someone_answers(parent: User, other_parent: User) -> None:
    assert _figure("guardiannest_sos_unacknowledged_alerts") == 0
    assert _figure("guardiannest_sos_unacknowledged_oldest_seconds") == 0

    first = raise_sos(parent)
    raise_sos(other_parent)
    Emergency.objects.filter(pk=first.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    assert _figure("guardiannest_sos_unacknowledged_alerts") == 2
    assert 300 <= _figure("guardiannest_sos_unacknowledged_oldest_seconds") < 400

    emergency_acknowledge(emergency_id=first.pk, actor=parent)
    assert _figure("guardiannest_sos_unacknowledged_alerts") == 1
    assert _figure("guardiannest_sos_unacknowledged_oldest_seconds") < 100

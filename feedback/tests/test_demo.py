"""Demo feedback: a survey out for everyone and feature requests with votes, made once."""

from __future__ import annotations

import pytest

from accounts import demo as accounts_demo
from feedback import demo
from feedback.models import FeatureRequest, FeatureVote, Survey, SurveyStatus
from guardiannest.audit.models import AuditEvent
from guardiannest.registries import demo_seeders

pytestmark = pytest.mark.django_db


def test_seed_makes_a_survey_and_voted_requests_once() -> None:
    accounts_demo.seed()  # the accounts seeder runs first in seed_demo: it makes the people

    first = demo.seed()
    events = AuditEvent.objects.count()
    again = demo.seed()

    assert first == again == []
    assert demo_seeders.get("feedback") is demo.seed
    [survey] = Survey.objects.all()
    assert (survey.status, survey.audience, survey.questions.count()) == (SurveyStatus.ACTIVE, "all", 3)
    counts = dict(FeatureRequest.objects.values_list("title", "vote_count"))
    assert counts == {"Share a booking with my partner": 3, "Recurring weekly bookings from the app": 2, "Dark mode": 4}
    assert FeatureVote.objects.count() == 9
    assert AuditEvent.objects.count() == events  # the second run changed nothing


def test_seed_without_the_demo_people_makes_nothing() -> None:
    assert demo.seed() == []
    assert not Survey.objects.exists() and not FeatureRequest.objects.exists()

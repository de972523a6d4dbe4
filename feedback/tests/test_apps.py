"""What the app contributes when it loads: the admin home's triage panel (GDPR and demo: their own tests)."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import User
from feedback.services.feedback import feedback_submit, feedback_triage
from guardiannest.registries import dashboard_panels

pytestmark = pytest.mark.django_db


def test_the_triage_panel_counts_new_feedback_and_links_to_it(staff_client: Client, parent: User, staff: User) -> None:
    panel = dashboard_panels.get("feedback.new")
    assert panel is not None
    before = panel["count"]()
    waiting = feedback_submit(author=parent, kind="bug", message="Crash")
    done = feedback_submit(author=parent, kind="bug", message="Other crash")
    feedback_triage(feedback_id=done.pk, actor=staff, status="closed")

    assert panel["count"]() == before + 1
    listed = staff_client.get(panel["url"]())
    assert listed.status_code == 200
    assert {row.pk for row in listed.context["cl"].result_list} >= {waiting.pk}
    assert done.pk not in {row.pk for row in listed.context["cl"].result_list}


@pytest.mark.django_db
def test_support_triages_feedback_and_runs_surveys_finance_does_not() -> None:
    from django.contrib.auth.models import Group

    support = set(Group.objects.get(name="support").permissions.values_list("codename", flat=True))
    finance = set(Group.objects.get(name="finance").permissions.values_list("codename", flat=True))

    assert {"change_feedback", "change_featurerequest", "change_survey", "view_surveyanswer"} <= support
    assert not any(codename.endswith(("feedback", "survey")) for codename in finance)

"""Every model of every installed app of ours has a useful admin, and history that must not change stays read-only.

"Ours" is every installed app whose code lives in this repository (test apps aside), so an app added later
is checked the day it is installed; django-waffle's flags, switches and samples and Django's groups are
checked too, since staff run the platform through them. ``apps.get_models()`` leaves out the tables
Django creates for many-to-many fields (``Booking.children``, ``User.groups``): they have no admin of their
own and are edited, where at all, on their owner's page.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.db import models
from django.test import Client, RequestFactory
from django_otp import DEVICE_ID_SESSION_KEY

from accounts.models import TOTPDevice, User
from accounts.tests.factories import StaffFactory

ROOT = Path(settings.BASE_DIR).resolve()
THIRD_PARTY = {"waffle.flag", "waffle.switch", "waffle.sample", "auth.group"}

# Registered, but without search or without filters, and why. Keep it short: a reason for each.
NO_SEARCH: dict[str, str] = {}
NO_FILTER = {
    # A handful of rows (the staff roles and a few more), found by name with the search box.
    "auth.group": "a few rows, searched by name",
    # django-waffle's own admin: a handful of named rates, searched by name; nothing to filter by.
    "waffle.sample": "a few rows, searched by name",
}

# History that must not change: nobody adds, changes or deletes these rows in the admin, superusers included.
HISTORY = {
    "audit.auditevent",
    "payments.ledgerentry",
    "payments.payment",
    "payments.refund",
    "payments.transfer",
    "payments.transferreversal",
    "payments.disputecase",
    "payments.providerevent",
    "bookings.booking",
    "bookings.bookingevent",
    "bookings.bookinglocation",
    "bookings.safetyalert",
    "messaging.message",
    "messaging.notification",
    "messaging.delivery",
    "emergencies.emergency",
    "emergencies.escalationstep",
    "emergencies.emergencyresponse",
    "sitters.reliabilityevent",
    "sitters.verificationcheck",
}
# The admin never writes one of our rows itself (guardiannest.admin): these are the exceptions, and why.
ADDED_OR_CHANGED_IN_ADMIN = {
    # Staff create accounts and edit names and phone (through accounts.services.auth.user_update, audited);
    # who the account is and what it may do are read-only on its page (accounts/tests/test_admin_user_changes.py).
    "accounts.user",
    # Staff write survey drafts and their questions (inline) on the survey's page, saved through
    # feedback.services.surveys (audited); once sent out the page is read-only (feedback/tests/test_admin.py).
    "feedback.survey",
}


def _ours(model: type[models.Model]) -> bool:
    # An app of ours lives in the repository, not in a virtualenv there (``.venv`` holds the third parties').
    path = Path(model._meta.app_config.path).resolve()
    if not path.is_relative_to(ROOT):
        return False
    top = path.relative_to(ROOT).parts[0]
    return top != "tests" and not top.startswith(".")


# Models with no table: nothing to list, search or filter; their admin page is a view of its own.
NOT_A_TABLE = {
    # Carries analytics.view_analytics; its admin page shows the figures (analytics/admin.py).
    "analytics.analytics",
}


def _covered() -> list[type[models.Model]]:
    return [
        m
        for m in apps.get_models()
        if (_ours(m) or m._meta.label_lower in THIRD_PARTY) and m._meta.label_lower not in NOT_A_TABLE
    ]


COVERED = _covered()
OURS = [m for m in COVERED if _ours(m)]


def _ids(rows: list[type[models.Model]]) -> list[str]:
    return [m._meta.label_lower for m in rows]


def test_the_walk_sees_every_app_of_ours() -> None:
    labels = {m._meta.app_label for m in COVERED}
    domain = {"accounts", "feedback", "files", "messaging", "sitters", "bookings", "payments", "emergencies"}
    assert {"audit", "api", *domain} <= labels
    assert {"waffle", "auth"} <= labels
    assert "crypto_testapp" not in labels  # a test's app, not the product's
    assert set(_ids(COVERED)) >= HISTORY  # a renamed model fails here rather than leaving the check empty
    for label in NOT_A_TABLE:  # each really has no table, and an admin page of its own
        model = apps.get_model(label)
        assert not model._meta.managed and model in admin.site._registry


@pytest.mark.parametrize("model", COVERED, ids=_ids(COVERED))
def test_every_model_has_an_admin_with_search_and_filters(model: type[models.Model]) -> None:
    label = model._meta.label_lower
    model_admin = admin.site._registry.get(model)

    assert model_admin is not None, f"{label}: register it in its app's admin.py"
    assert model_admin.search_fields or label in NO_SEARCH, f"{label}: give it search_fields"
    assert model_admin.list_filter or label in NO_FILTER, f"{label}: give it list_filter"
    assert model_admin.list_display != ("__str__",) or label in THIRD_PARTY, f"{label}: give it list_display"


def _superuser_request() -> Any:
    request = RequestFactory().get("/admin/")
    superuser: User = StaffFactory(is_superuser=True)
    request.user = superuser
    return request


@pytest.mark.django_db
@pytest.mark.parametrize("model", OURS, ids=_ids(OURS))
def test_the_admin_never_writes_our_rows_itself(model: type[models.Model]) -> None:
    label = model._meta.label_lower
    request = _superuser_request()
    model_admin = admin.site._registry[model]

    if label in ADDED_OR_CHANGED_IN_ADMIN:
        assert model_admin.has_change_permission(request)
        return
    assert not model_admin.has_add_permission(request), f"{label}: adding goes through a service"
    assert not model_admin.has_change_permission(request), f"{label}: changes go through actions that call services"
    assert model_admin.has_view_permission(request)
    if label in HISTORY:
        assert not model_admin.has_delete_permission(request), f"{label}: history is never deleted"


@pytest.mark.django_db
def test_every_changelist_answers_a_search_and_a_filter() -> None:
    """Each list page renders with its search applied: every search field and filter names a real lookup."""
    superuser: User = StaffFactory(is_superuser=True)
    browser = Client()
    browser.force_login(superuser)
    session = browser.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.create(user=superuser, name="phone").persistent_id
    session.save()

    for model in COVERED:
        opts = model._meta
        url = f"/admin/{opts.app_label}/{opts.model_name}/"
        response = browser.get(url, {"q": "00000000-0000-0000-0000-000000000000"})
        assert response.status_code == 200, f"{url}: {response.status_code}"
        assert response.context["cl"].query == "00000000-0000-0000-0000-000000000000"
        # the filters the page offers are those the admin declares
        assert len(response.context["cl"].filter_specs) >= (1 if admin.site._registry[model].list_filter else 0)

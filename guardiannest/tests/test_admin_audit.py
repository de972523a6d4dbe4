"""Every change made in the admin lands in the audit log (guardiannest.admin.AuditedAdmin), through the real admin.

The browser is a superuser whose session passed the one-time password, posting the admin's own forms.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission
from django.forms import MultiWidget
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from waffle.models import Flag, Switch

from accounts.models import Passkey, TOTPDevice, User
from accounts.tests.factories import ParentFactory, StaffFactory
from guardiannest.audit.models import AuditEvent
from guardiannest.audit.services import audit_verify

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser() -> Client:
    superuser: User = StaffFactory(is_superuser=True)
    client = Client()
    client.force_login(superuser)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.create(user=superuser, name="phone").persistent_id
    session.save()
    client.user = superuser  # type: ignore[attr-defined]
    return client


def _form_data(browser: Client, url: str, **changes: Any) -> dict[str, Any]:
    """The admin page's form as it stands (what a browser would send back), with ``changes`` applied."""
    response = browser.get(url)
    assert response.status_code == 200, url
    form = response.context["adminform"].form
    data: dict[str, Any] = {}
    for name in form.fields:
        value = form[name].value()
        if value is None or value is False:
            continue
        if value is True:
            value = "on"
        widget = form.fields[name].widget
        if isinstance(widget, MultiWidget):  # a date and a time, say: one input each
            data.update({f"{name}_{i}": str(part) for i, part in enumerate(widget.decompress(value) or ())})
            continue
        data[name] = [str(v.pk if hasattr(v, "pk") else v) for v in value] if isinstance(value, list) else value
    for name, value in changes.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    return data


def _events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


def test_a_flag_change_records_the_fields_and_the_values_that_may_be_kept(browser: Client) -> None:
    flag = Flag.objects.create(name="new_search", percent=None, note="before")
    url = f"/admin/waffle/flag/{flag.pk}/change/"

    response = browser.post(url, _form_data(browser, url, everyone="true", percent="12.5", note="after"))

    assert response.status_code == 302, response.content[:3000]
    [event] = _events("admin.changed")
    assert (event.actor_id, event.target_type, event.target_id) == (browser.user.pk, "waffle.flag", str(flag.pk))  # type: ignore[attr-defined]
    assert event.data["model"] == "waffle.flag"
    assert {"everyone", "percent", "note"} <= set(event.data["fields"])
    assert event.data["values"]["everyone"] == {"from": None, "to": True}
    assert event.data["values"]["percent"] == {"from": None, "to": "12.5"}
    assert "note" not in event.data["values"]  # free text is named, not copied
    assert event.request_id  # the request that made the change
    assert audit_verify().ok


def test_adding_a_switch_records_it(browser: Client) -> None:
    url = "/admin/waffle/switch/add/"
    response = browser.post(url, _form_data(browser, url, name="maintenance", active="on"))

    assert response.status_code == 302
    switch = Switch.objects.get(name="maintenance")
    [event] = _events("admin.added")
    assert (event.target_type, event.target_id) == ("waffle.switch", str(switch.pk))
    assert event.data["values"]["active"] == {"from": None, "to": True}


def test_waffles_own_actions_are_recorded_per_row(browser: Client) -> None:
    flags = [Flag.objects.create(name=name) for name in ("one", "two")]

    response = browser.post(
        "/admin/waffle/flag/", {"action": "enable_for_all", "_selected_action": [str(f.pk) for f in flags]}
    )

    assert response.status_code == 302
    assert Flag.objects.filter(everyone=True).count() == 2
    events = _events("admin.action")
    assert sorted(e.target_id for e in events) == sorted(str(f.pk) for f in flags)
    assert {(e.data["action"], e.data["rows"], e.actor_id) for e in events} == {("enable_for_all", 2, browser.user.pk)}  # type: ignore[attr-defined]
    assert _events("admin.changed") == []  # waffle writes its LogEntry rows itself: not counted twice


def test_a_groups_permissions_change_names_the_permissions(browser: Client) -> None:
    group = Group.objects.create(name="night shift")
    view = Permission.objects.get(content_type__app_label="bookings", codename="view_booking")
    refund = Permission.objects.get(content_type__app_label="payments", codename="refund_payment")
    group.permissions.add(view)
    url = f"/admin/auth/group/{group.pk}/change/"

    response = browser.post(url, _form_data(browser, url, permissions=[str(refund.pk)]))

    assert response.status_code == 302, response.content[:3000]
    [event] = _events("admin.changed")
    assert event.data["values"]["permissions"] == {
        "added": ["payments.refund_payment"],
        "removed": ["bookings.view_booking"],
    }


def test_a_users_change_records_groups_by_name_and_never_the_name_or_password(browser: Client) -> None:
    parent: User = ParentFactory(first_name="Ada")
    support = Group.objects.get(name="support")
    url = f"/admin/accounts/user/{parent.pk}/change/"

    response = browser.post(url, _form_data(browser, url, first_name="Renamed", groups=[str(support.pk)]))
    assert response.status_code == 302, response.content[:3000]
    password = browser.post(
        f"/admin/accounts/user/{parent.pk}/password/",
        {"password1": "a-new-long-passphrase-41", "password2": "a-new-long-passphrase-41", "usable_password": "true"},
    )
    assert password.status_code == 302, password.content[:3000]

    first, second = _events("admin.changed")
    assert (first.target_type, first.target_id) == ("accounts.user", str(parent.pk))
    assert {"first_name", "groups"} <= set(first.data["fields"])
    assert first.data["values"]["groups"] == {"added": ["support"], "removed": []}
    assert second.target_id == str(parent.pk) and second.data["fields"]
    everything = json.dumps([e.data for e in AuditEvent.objects.all()])
    assert "Renamed" not in everything and "Ada" not in everything
    assert "a-new-long-passphrase-41" not in everything
    assert parent.email not in everything


def test_deleting_from_the_page_and_in_bulk_records_each_row_once(browser: Client) -> None:
    owner: User = ParentFactory()
    key = Passkey.objects.create(user=owner, name="laptop", credential_id="k1", public_key=b"k", user_handle="h")
    groups = [Group.objects.create(name=name) for name in ("a", "b")]

    page = browser.post(f"/admin/accounts/passkey/{key.pk}/delete/", {"post": "yes"})
    confirm = browser.post(
        "/admin/auth/group/", {"action": "delete_selected", "_selected_action": [str(g.pk) for g in groups]}
    )
    assert confirm.status_code == 200  # Django's confirmation page: nothing done, nothing recorded
    assert {e.target_type for e in _events("admin.deleted")} == {"accounts.passkey"}
    bulk = browser.post(
        "/admin/auth/group/",
        {"action": "delete_selected", "_selected_action": [str(g.pk) for g in groups], "post": "yes"},
    )

    assert page.status_code == 302 and bulk.status_code == 302
    assert not Passkey.objects.exists() and not Group.objects.filter(name__in=["a", "b"]).exists()
    deleted = [(e.target_type, e.target_id) for e in _events("admin.deleted")]
    assert deleted == [("accounts.passkey", str(key.pk)), *(("auth.group", str(g.pk)) for g in groups)]
    assert _events("admin.action") == []  # the bulk delete is its rows' admin.deleted events
    # the service's own event too: the domain's record and the back office's, on purpose
    assert [e.target_id for e in _events("passkey.revoked")] == [str(key.pk)]


def test_a_service_action_leaves_the_services_event_and_the_admins(browser: Client) -> None:
    parent: User = ParentFactory()

    response = browser.post("/admin/accounts/user/", {"action": "deactivate", "_selected_action": [str(parent.pk)]})

    assert response.status_code == 302
    parent.refresh_from_db()
    assert not parent.is_active
    [event] = _events("admin.action")
    assert (event.target_id, event.data["action"]) == (str(parent.pk), "deactivate")
    service_events = AuditEvent.objects.filter(target_id=str(parent.pk)).exclude(action__startswith="admin.")
    assert service_events.exists()
    assert {e.request_id for e in service_events} == {event.request_id}

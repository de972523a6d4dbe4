"""The live SOS dashboard in a real browser: the admin pages change in place as alerts are raised and answered.

A staff member keeps the admin home or the alert list open; alerts are raised and answered from outside
the page (the running server's API, or the services as a web worker runs them) while the page, which
nobody reloads, follows the staff socket (emergencies/static/emergencies/admin-live.js). Each test sets
a marker on the page's ``window`` before anything happens: a reload would lose it, so finding it after
the change proves the page changed in place.
"""

from __future__ import annotations

import json
import time
import urllib.request

import pytest
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement

from accounts.models import User
from accounts.services.auth import tokens_for
from emergencies.models import Emergency, EmergencyStatus
from emergencies.services import emergency_acknowledge, emergency_resolve
from emergencies.tests.factories import raise_sos
from tests.browser.admin_pages import active_count, cell, sign_in, socket_open, staff_member, wait_for
from tests.browser.conftest import LiveServer

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

LIVE_WITHIN = 20  # seconds from a change to the page showing it, with room for a loaded (shared) test machine
RECONNECT_WITHIN = 30  # the first retry comes about 1 s after a drop; a loaded machine takes its time
LIST = "/admin/emergencies/emergency/"
VIEW, CHANGE = "emergencies.view_emergency", "emergencies.change_emergency"
MARKER = "set before anything happened"


def _mark(browser: WebDriver) -> None:
    browser.execute_script("window.__gnMarker = arguments[0];", MARKER)


def _not_reloaded(browser: WebDriver) -> bool:
    return bool(browser.execute_script("return window.__gnMarker;") == MARKER)


def _open_live(browser: WebDriver, server: LiveServer, path: str) -> None:
    """Open ``path`` and wait until its script's socket is open, then mark the page."""
    browser.get(server.url(path))
    wait_for(browser, socket_open, what="the page's socket open (admin-live.js)")
    _mark(browser)


def _row(browser: WebDriver, pk: object) -> WebElement:
    marker = browser.find_element(By.CSS_SELECTOR, f'#result_list [data-emergency-id="{pk}"]')
    return marker.find_element(By.XPATH, "./ancestor::tr")


def _buttons(browser: WebDriver, pk: object) -> list[str]:
    return [button.text for button in _row(browser, pk).find_elements(By.CSS_SELECTOR, "button.emergency-answer")]


def _ids_in_order(browser: WebDriver) -> list[str]:
    markers = browser.find_elements(By.CSS_SELECTOR, "#result_list tbody [data-emergency-id]")
    return [str(marker.get_attribute("data-emergency-id")) for marker in markers]


def _raise_through_the_running_server(server: LiveServer, user: User) -> str:
    """What a parent's app does: POST emergencies on the running server with the parent's token."""
    request = urllib.request.Request(
        server.url("/api/v1/emergencies"),
        data=json.dumps({"latitude": 48.856613, "longitude": 2.352222, "message": "Fell down the stairs"}).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {tokens_for(user)['access']}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 201
        return str(json.load(response)["id"])


def test_an_acknowledged_alert_changes_its_row_in_place(browser: WebDriver, server: LiveServer, parent: User) -> None:
    emergency = raise_sos(parent)
    sign_in(browser, server.base, staff_member(VIEW, CHANGE))
    _open_live(browser, server, LIST)
    assert "active" in cell(browser, emergency.pk, "status").lower()
    assert _buttons(browser, emergency.pk) == ["Acknowledge", "Resolve"]

    # when the parent answers their own alert from the app
    emergency_acknowledge(emergency_id=emergency.pk, actor=parent)

    # then its row on the open list says so, without the page reloading
    wait_for(
        browser,
        lambda b: cell(b, emergency.pk, "status").lower() == "acknowledged",
        LIVE_WITHIN,
        "the row's status at acknowledged",
    )
    assert _buttons(browser, emergency.pk) == ["Resolve"]
    assert cell(browser, emergency.pk, "acknowledged_at") not in ("", "-")
    assert _not_reloaded(browser)
    assert browser.current_url == server.url(LIST)


def test_a_new_alert_appears_at_the_top_and_staff_acknowledge_it_from_its_row(
    browser: WebDriver, server: LiveServer, parent: User, other_parent: User
) -> None:
    older = raise_sos(other_parent)
    staff = staff_member(VIEW, CHANGE)
    sign_in(browser, server.base, staff)
    _open_live(browser, server, f"{LIST}?status__exact=active")
    assert _ids_in_order(browser) == [str(older.pk)]

    # when a parent raises an SOS from their app
    emergency_id = _raise_through_the_running_server(server, parent)

    # then its row appears at the top of the open list: its map link, its message, how long ago, its buttons
    wait_for(browser, lambda b: _ids_in_order(b) == [emergency_id, str(older.pk)], LIVE_WITHIN, "the new row on top")
    row = _row(browser, emergency_id)
    assert "active" in cell(browser, emergency_id, "status").lower()
    link = row.find_element(By.CSS_SELECTOR, ".field-map_link a")
    assert link.text == "48.856613, 2.352222"
    assert link.get_attribute("href") == (
        "https://www.openstreetmap.org/?mlat=48.856613&mlon=2.352222#map=17/48.856613/2.352222"
    )
    assert link.get_attribute("rel") == "noopener noreferrer"
    assert cell(browser, emergency_id, "alert") == "Fell down the stairs"
    assert cell(browser, emergency_id, "raised") == "0 minutes ago"
    assert _buttons(browser, emergency_id) == ["Acknowledge", "Resolve"]
    assert _not_reloaded(browser)

    # when the staff member presses its Acknowledge button, it leaves the list of active alerts
    row.find_element(By.CSS_SELECTOR, 'button[data-answer="acknowledge"]').click()
    wait_for(browser, lambda b: _ids_in_order(b) == [str(older.pk)], LIVE_WITHIN, "the answered row gone")
    assert _not_reloaded(browser)
    emergency = Emergency.objects.get(pk=emergency_id)
    assert (emergency.status, emergency.acknowledged_by_id) == (EmergencyStatus.ACKNOWLEDGED, staff.user.pk)
    assert "acknowledged" in browser.find_element(By.ID, "emergency-live-status").text


def test_a_message_shaped_like_markup_shows_as_text(browser: WebDriver, server: LiveServer, parent: User) -> None:
    emergency = raise_sos(parent)
    sign_in(browser, server.base, staff_member(VIEW, CHANGE))
    _open_live(browser, server, LIST)

    # The services strip markup from messages (guardiannest.text.clean_text); a row written another way may
    # hold some, and its next event carries it to the page.
    shaped = '<img src=x onerror="window.__gnInjected=1"><b>bold</b>'
    emergency.message = shaped
    emergency.save(update_fields=["message"])
    emergency_acknowledge(emergency_id=emergency.pk, actor=parent)

    wait_for(
        browser,
        lambda b: cell(b, emergency.pk, "status").lower() == "acknowledged",
        LIVE_WITHIN,
        "the row's status at acknowledged",
    )
    assert cell(browser, emergency.pk, "alert") == shaped
    row = _row(browser, emergency.pk)
    assert row.find_elements(By.CSS_SELECTOR, "img, b") == []
    assert browser.execute_script("return window.__gnInjected;") is None
    assert _not_reloaded(browser)


def test_the_count_on_the_admin_home_goes_down_as_alerts_are_resolved(
    browser: WebDriver, server: LiveServer, parent: User, other_parent: User
) -> None:
    first, second = raise_sos(parent), raise_sos(other_parent)
    sign_in(browser, server.base, staff_member(VIEW))
    wait_for(browser, socket_open, what="the page's socket open (admin-live.js)")
    _mark(browser)
    panel = browser.find_element(By.ID, "emergency-count")
    assert active_count(browser) == "2" and "urgent" in str(panel.get_attribute("class"))

    emergency_resolve(emergency_id=first.pk, actor=parent)
    wait_for(browser, lambda b: active_count(b) == "1", LIVE_WITHIN, "the count at 1")
    assert browser.find_element(By.CSS_SELECTOR, "#emergency-count .dashboard-count").text == "1"
    assert "urgent" in str(panel.get_attribute("class"))

    emergency_resolve(emergency_id=second.pk, actor=other_parent)
    wait_for(browser, lambda b: active_count(b) == "0", LIVE_WITHIN, "the count at 0")
    assert "urgent" not in str(panel.get_attribute("class"))  # nothing waits: the panel is calm
    assert _not_reloaded(browser)
    assert browser.current_url == server.url("/admin/")


def test_after_its_socket_drops_the_home_reconnects_and_catches_up(
    browser: WebDriver, server: LiveServer, parent: User
) -> None:
    sign_in(browser, server.base, staff_member(VIEW))
    wait_for(browser, socket_open, what="the page's socket open (admin-live.js)")
    _mark(browser)
    assert active_count(browser) == "0"

    # the socket drops, and an alert is raised while there is none: its event never reaches the page
    browser.execute_script("window.__gnSockets.forEach(function (s) { s.close(); });")
    raise_sos(parent)

    # the page reconnects (a new socket, after its backoff) and re-reads the count
    # (the page's own delayed re-check after a socket opens may set the count before the reconnect: wait for both)
    wait_for(
        browser,
        lambda b: b.execute_script("return window.__gnSockets.length;") >= 2 and active_count(b) == "1",
        RECONNECT_WITHIN,
        "a new socket, and the count at 1",
    )
    assert browser.find_element(By.ID, "emergency-count").get_attribute("data-live-state") == "live"
    assert _not_reloaded(browser)


def test_after_its_socket_drops_the_list_reloads_once_to_show_what_it_missed(
    browser: WebDriver, server: LiveServer, parent: User
) -> None:
    sign_in(browser, server.base, staff_member(VIEW, CHANGE))
    _open_live(browser, server, f"{LIST}?status__exact=active")
    assert _ids_in_order(browser) == []

    browser.execute_script("window.__gnSockets.forEach(function (s) { s.close(); });")
    emergency = raise_sos(parent)

    # reconnected, the list cannot know what it missed: it reloads once (nothing was ticked) and shows it
    wait_for(browser, lambda b: _ids_in_order(b) == [str(emergency.pk)], RECONNECT_WITHIN, "the missed alert listed")
    assert not _not_reloaded(browser)
    wait_for(browser, socket_open, what="the reloaded page's socket open")
    _mark(browser)
    time.sleep(4)  # past the first socket's settling check (3 s): the page stays as it is
    assert _not_reloaded(browser)


# Counts the page's requests for a socket ticket (window.__gnTickets), from the test's side as
# conftest.SOCKET_WATCH counts sockets: the page's own script calls fetch at the time it asks.
COUNT_TICKETS = """
window.__gnTickets = 0;
var nativeFetch = window.fetch;
window.fetch = function (url) {
  if (String(url).indexOf("/live-ticket/") !== -1) { window.__gnTickets += 1; }
  return nativeFetch.apply(this, arguments);
};
"""


def _count_read(browser: WebDriver) -> bool:
    return bool(
        browser.execute_script(
            "return performance.getEntriesByType('resource')"
            ".some(function (e) { return e.name.indexOf('/live-count/') !== -1; });"
        )
    )


def test_a_staff_member_who_loses_the_permission_stops_retrying(browser: WebDriver, server: LiveServer) -> None:
    staff = staff_member(VIEW)
    sign_in(browser, server.base, staff)
    wait_for(browser, socket_open, what="the page's socket open (admin-live.js)")
    panel = browser.find_element(By.ID, "emergency-count")
    assert panel.get_attribute("data-live-state") == "live"
    wait_for(browser, _count_read, what="the page's first read of the count (while it may)")
    browser.execute_script(COUNT_TICKETS)

    staff.user.user_permissions.clear()
    browser.execute_script("window.__gnSockets.forEach(function (s) { s.close(); });")

    # one more ticket asked for, refused (403): live updates are off, and no more tickets are asked for
    # (backoff would have asked again about 2 s and 6 s later)
    wait_for(browser, lambda b: panel.get_attribute("data-live-state") == "off", LIVE_WITHIN, "live updates off")
    time.sleep(7)
    assert browser.execute_script("return window.__gnTickets;") == 1
    assert browser.execute_script("return window.__gnSockets.length;") == 1
    assert panel.get_attribute("data-live-state") == "off"

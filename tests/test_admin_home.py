"""The admin home as a dashboard: each app's panel with its count, by permission, its charts, at a fixed cost.

The panels come from the apps (``<app>/dashboard.py``, registered when they load); the page is
``guardiannest.dashboard`` behind the OTP admin site. Rows are made through the services where
one exists, so each count is the one staff would see after the real flow.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.db.models import Count
from django.db.models.functions import TruncDay
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY

from accounts.models import TOTPDevice, User
from accounts.tests.factories import ParentFactory, SitterFactory, StaffFactory
from bookings.models import Booking
from bookings.services import booking_cancel
from bookings.services.disputes import booking_dispute
from bookings.tests.factories import World, bookable_sitter, completed, confirmed_soon, family, moved
from emergencies.services import emergency_acknowledge
from emergencies.tests.factories import raise_sos
from guardiannest.registries import DashboardChart, DashboardPanel, dashboard_charts, dashboard_panels
from payments.models import DisputeCase, DisputeStatus, LedgerKind, Payment
from payments.services.ledger import capture_lines, ledger_post, refund_lines
from payments.tests.factories import PaymentFactory
from sitters.models import CheckKind, CheckStatus, VerificationCheck
from sitters.services.reviews import review_hide, review_submit
from sitters.tests.factories import SitterProfileFactory

pytestmark = pytest.mark.django_db

PANELS = ("emergency", "verification-queue", "open-disputes", "hours-disputes", "flagged-reviews", "bookings-today")


def admin_client(user: User) -> Client:
    """A browser whose admin session passed the one-time password (django-otp's verified device)."""
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.create(user=user, name="phone").persistent_id
    session.save()
    return client


def staff_with(*permissions: str) -> User:
    user: User = StaffFactory()
    for name in permissions:
        app_label, codename = name.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return User.objects.get(pk=user.pk)  # a fresh row: no permission cache


def panels_of(page: str) -> dict[str, tuple[int, str]]:
    """``{panel key: (count, the count as shown)}`` read from the page."""
    found = re.findall(
        r'<div id="([a-z-]+)-count" class="dashboard-panel[^"]*"[^>]*>\s*<a href="[^"]*">\s*'
        r'<strong class="dashboard-count" data-count="(-?\d+)"[^>]*>([^<]*)</strong>',
        page,
    )
    return {key: (int(count), text) for key, count, text in found}


def today_at(hour: int) -> datetime:
    return datetime.combine(timezone.localdate(), time(hour), tzinfo=timezone.get_current_timezone())


@pytest.fixture
def superuser() -> User:
    user: User = StaffFactory(is_superuser=True)
    return user


@pytest.fixture
def work(parent: User, sitter: User, other_parent: User, staff: User) -> dict[str, Any]:
    """Some of everything each panel counts, and rows next to them that must not be counted."""
    # SOS: two active, one acknowledged
    raise_sos(parent)
    raise_sos(other_parent)
    emergency_acknowledge(emergency_id=raise_sos(ParentFactory()).pk, actor=staff)
    # verification: three checks pending (two sitters), one decided
    first, second = SitterProfileFactory(), SitterProfileFactory()
    VerificationCheck.objects.create(sitter=first, kind=CheckKind.IDENTITY)
    VerificationCheck.objects.create(sitter=first, kind=CheckKind.BACKGROUND)
    VerificationCheck.objects.create(sitter=second, kind=CheckKind.IDENTITY)
    VerificationCheck.objects.create(
        sitter=second, kind=CheckKind.BACKGROUND, status=CheckStatus.VERIFIED, decided_at=timezone.now()
    )
    # reviews: 2★ and 3★ flagged and shown, 1★ flagged but hidden by staff, 4★ not flagged
    for rating in (2, 3, 4):
        review_submit(sitter_id=first.pk, author=ParentFactory(), rating=rating, comment="")
    hidden = review_submit(sitter_id=first.pk, author=ParentFactory(), rating=1, comment="")
    review_hide(review=hidden, actor=staff, hidden=True)
    # payment disputes: an inquiry and a chargeback open, one won
    for number, status in enumerate(
        (DisputeStatus.WARNING_NEEDS_RESPONSE, DisputeStatus.UNDER_REVIEW, DisputeStatus.WON)
    ):
        DisputeCase.objects.create(
            payment=PaymentFactory(),
            provider="simulated",
            provider_dispute_id=f"dp_{number}",
            amount=100,
            currency="eur",
            status=status,
        )
    # bookings: one disputed and one confirmed today, one cancelled today, one tomorrow
    bookable_sitter(sitter)
    world = World(parent=parent, sitter=sitter, child=family(parent))
    disputed = completed(world)
    booking_dispute(booking_id=disputed.pk, actor=parent, reason="The sitter left an hour early.")
    moved(disputed, starts_at=today_at(1))
    moved(confirmed_soon(world, minutes=240), starts_at=today_at(5))
    cancelled = world.book()  # a request, so no cancellation fee to capture
    booking_cancel(booking_id=cancelled.pk, actor=parent, reason="Plans changed.")
    moved(cancelled, starts_at=today_at(6))
    moved(world.book(), starts_at=today_at(1) + timedelta(days=1))
    # revenue today: 100.00 and 50.00 captured, 20.00 of it refunded; a capture in another currency
    for amount, refunded, currency in ((10000, 0, "eur"), (5000, 2000, "eur"), (7000, 0, "usd")):
        payment = PaymentFactory(amount=amount, currency=currency)
        ledger_post(
            payment=payment,
            kind=LedgerKind.CAPTURE,
            lines=capture_lines(authorised=amount, captured=amount, fee=amount // 10),
        )
        if refunded:
            ledger_post(
                payment=payment, kind=LedgerKind.REFUND, lines=refund_lines(amount=refunded, fee_share=refunded // 10)
            )
    return {"booking_status": dict(Booking.objects.values_list("pk", "status"))}


def test_each_panel_shows_its_count_and_links_to_the_work(superuser: User, work: dict[str, Any]) -> None:
    page = admin_client(superuser).get("/admin/")

    assert page.status_code == 200
    content = page.content.decode()
    assert panels_of(content) == {
        "emergency": (2, "2"),
        "verification-queue": (3, "3"),
        "open-disputes": (2, "2"),
        "hours-disputes": (1, "1"),
        "flagged-reviews": (2, "2"),
        "bookings-today": (2, "2"),
        "revenue-today": (13000, "130.00 EUR"),
    }
    # urgent panels stand out while they count something; the page keeps what the browser tests know
    assert re.search(r'<div id="emergency-count" class="dashboard-panel errornote urgent"', content)
    assert re.search(r'<div id="open-disputes-count" class="dashboard-panel errornote urgent"', content)
    assert re.search(r'<div id="bookings-today-count" class="dashboard-panel"', content)
    assert 'data-active-emergencies="2">2</strong>' in content
    assert re.search(
        r'<script src="/static/emergencies/admin-live.js" data-count-url="/admin/emergencies/emergency/live-count/"'
        r' data-ticket-url="/admin/emergencies/emergency/live-ticket/">',
        content,
    )
    assert "<script>" not in content  # no inline script: the CSP allows only our own files


def test_each_panel_links_to_a_list_of_what_it_counts(superuser: User, work: dict[str, Any]) -> None:
    client = admin_client(superuser)
    content = client.get("/admin/").content.decode()
    links = dict(re.findall(r'<div id="([a-z-]+)-count"[^>]*>\s*<a href="([^"]*)"', content))

    assert set(links) == {*PANELS, "revenue-today"}
    for key in (
        "emergency",
        "verification-queue",
        "open-disputes",
        "hours-disputes",
        "flagged-reviews",
        "bookings-today",
    ):
        listing = client.get(links[key].replace("&amp;", "&"))
        assert listing.status_code == 200, key
        shown = listing.context["cl"].result_count
        assert shown == panels_of(content)[key][0], key
    ledger = client.get(links["revenue-today"].replace("&amp;", "&"))
    lines = ledger.context["cl"].queryset
    net = sum(line.amount if line.side == "debit" else -line.amount for line in lines if line.currency == "eur")
    assert ledger.status_code == 200 and net == 13000


def test_staff_see_only_the_panels_they_have_the_permission_for(work: dict[str, Any]) -> None:
    support = staff_with("emergencies.view_emergency", "bookings.view_booking")

    content = admin_client(support).get("/admin/").content.decode()

    assert set(panels_of(content)) == {"emergency", "hours-disputes", "bookings-today"}
    assert "emergencies/admin-live.js" in content

    nobody = admin_client(staff_with()).get("/admin/").content.decode()
    assert panels_of(nobody) == {}
    assert "emergencies/admin-live.js" not in nobody  # its ticket would be refused: no socket for them
    assert "Revenue today" not in nobody and "dashboard-panels" not in nobody


def test_an_urgent_panel_stands_out_only_while_it_counts_something(superuser: User) -> None:
    content = admin_client(superuser).get("/admin/").content.decode()

    assert panels_of(content)["emergency"] == (0, "0") and panels_of(content)["revenue-today"] == (0, "0.00 EUR")
    assert '<div id="emergency-count" class="dashboard-panel" data-live="emergency">' in content
    assert "errornote" not in content


def test_the_home_needs_the_one_time_password(superuser: User) -> None:
    client = Client()
    client.force_login(superuser)  # password only, no verified device

    response = client.get("/admin/")

    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


# --- charts (the analytics app registers the real ones; these tests register their own) ---------


def _users_joined(start: date, end: date) -> list[tuple[Any, float]]:
    rows = (
        User.objects.filter(date_joined__date__gte=start, date_joined__date__lt=end)
        .annotate(day=TruncDay("date_joined"))
        .values("day")
        .annotate(count=Count("pk"))
        .order_by("day")
    )
    return [(row["day"], row["count"]) for row in rows]


@pytest.fixture
def test_chart() -> Iterator[DashboardChart]:
    chart: DashboardChart = {
        "title": "People who joined <per day>",
        "order": 0,
        "interval": "day",
        "unit": "count",
        "points": _users_joined,
        "permission": "accounts.view_user",
    }
    dashboard_charts.register("test-joined", chart)
    yield chart
    dashboard_charts.unregister("test-joined")


def test_registered_charts_render_as_svg_with_their_values_by_permission(
    superuser: User, test_chart: DashboardChart
) -> None:
    SitterFactory.create_batch(3)

    content = admin_client(superuser).get("/admin/").content.decode()

    assert '<figure class="dashboard-chart-box module" id="chart-test-joined">' in content
    assert '<title id="chart-test-joined-title">People who joined &lt;per day&gt;</title>' in content
    today = timezone.localdate()
    assert f"<title>{today:%a} {today.day} {today:%b} {today.year}: 4</title>" in content  # 3 sitters + the superuser
    assert "Last 30 days" in content

    without = admin_client(staff_with()).get("/admin/").content.decode()
    assert "chart-test-joined" not in without


# --- the cost of the page ------------------------------------------------------------------------


def _home_queries(client: Client) -> list[str]:
    client.get("/admin/")  # warm: content types and sessions are cached after the first page
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/admin/").status_code == 200
    return [query["sql"] for query in queries.captured_queries]


def test_the_home_costs_the_same_queries_whatever_the_data(
    superuser: User, test_chart: DashboardChart, request: pytest.FixtureRequest, django_assert_max_num_queries: Any
) -> None:
    panel: DashboardPanel = {
        "title": "Payments",
        "order": 99,
        "count": Payment.objects.count,
        "url": lambda: "/admin/payments/payment/",
        "permission": "",
        "urgent": False,
    }
    dashboard_panels.register("test-payments", panel)
    request.addfinalizer(lambda: dashboard_panels.unregister("test-payments"))
    client = admin_client(superuser)
    empty = _home_queries(client)

    request.getfixturevalue("work")
    full = _home_queries(client)

    assert len(full) == len(empty), "\n".join(full)
    # one aggregate per panel and per chart, and the admin's own: the user, the OTP device, recent actions
    expected = 3 + len(dashboard_panels.items()) + len(dashboard_charts.items())
    assert len([sql for sql in full if sql.startswith("SELECT COUNT(*)")]) == len(dashboard_panels.items()) - 1
    with django_assert_max_num_queries(expected):
        client.get("/admin/")
    assert "test-payments-count" in client.get("/admin/").content.decode()

"""Safety timers (issue 15, item 6): a missed check-in and a parent overdue open an alert on the SOS ladder.

One :class:`SafetyAlert` row per booking and kind is the claim. The booking
row is locked first, so racing workers queue on it; the second finds the row
and opens nothing. The claim is handed to the alerter
(:mod:`bookings.tracking.alerts`; emergencies fill it in when they load),
which opens an emergency alert of the timer's kind (``missed_check_in``,
``parent_overdue``) on the escalation ladder, in the same transaction. A
booking move out of the watched state (check-in, check-out, cancellation)
resolves it (:func:`safety_timers_settle`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from prometheus_client import Counter

from accounts.models import User
from bookings.errors import BookingError, TrackingError
from bookings.models import Booking, BookingStatus
from bookings.tracking.alerts import safety_alerter
from bookings.tracking.models import BookingLocation, SafetyAlert, SafetyAlertKind
from guardiannest.errors import ApplicationError, not_found

SAFETY_ALERTS = Counter("guardiannest_safety_alerts_total", "Safety timers that opened an alert, by kind.", ["kind"])
MISSED_CHECK_IN_BATCH = 200

# The state each timer watches: the booking leaving it (checked in, checked out, cancelled) ends the reason
# for the alert, which is then resolved automatically (:func:`safety_timers_settle`).
TIMER_WATCHES: dict[str, BookingStatus] = {
    SafetyAlertKind.MISSED_CHECK_IN: BookingStatus.CONFIRMED,
    SafetyAlertKind.PARENT_OVERDUE: BookingStatus.IN_PROGRESS,
}
SETTLED_BECAUSE: dict[str, str] = {
    BookingStatus.IN_PROGRESS: "the sitter checked in",
    BookingStatus.COMPLETED: "the sitter checked out",
    BookingStatus.CANCELLED: "the booking was cancelled",
}


def _claim(booking: Booking, kind: str, raised_by: User | None, now: datetime) -> tuple[SafetyAlert, bool]:
    """The timer of ``kind`` on the locked ``booking``: the existing claim, or a new one (True)."""
    existing = SafetyAlert.objects.filter(booking=booking, kind=kind).first()
    if existing is not None:
        return existing, False
    return SafetyAlert.objects.create(booking=booking, kind=kind, raised_by=raised_by, created_at=now), True


def _sitter_place(booking: Booking) -> tuple[Decimal | None, Decimal | None]:
    """Where the sitter was last seen during ``booking``: the newest live location, else the check-in's place."""
    newest = (
        BookingLocation.objects.filter(booking=booking).order_by("-recorded_at").values("latitude", "longitude").first()
    )
    if newest is not None:
        return newest["latitude"], newest["longitude"]
    return booking.check_in_latitude, booking.check_in_longitude


def _alert_raise(booking: Booking, alert: SafetyAlert, place: tuple[Decimal | None, Decimal | None]) -> None:
    """Hand the claimed timer to the alerter (emergencies: an alert of this kind on the escalation ladder)."""
    opened, _ = safety_alerter().raise_(
        booking=booking,
        kind=alert.kind,
        raised_by=alert.raised_by,
        latitude=place[0],
        longitude=place[1],
        now=alert.created_at,
    )
    alert.alert_id = opened.pk
    alert.save(update_fields=["alert_id"])
    kind = alert.kind
    transaction.on_commit(lambda: SAFETY_ALERTS.labels(kind).inc())


def safety_check_in_missed_alert(*, booking_id: UUID, now: datetime | None = None) -> SafetyAlert | None:
    """Open the missed check-in alert of ``booking``: once per booking, through the escalation ladder.

    The platform raises it, so the ladder tells the parent and the sitter (and
    the family's emergency contacts), then the on-call staff while nobody
    answers; the staff sockets see ``emergency.raised`` at once. Returns the
    new claim, or None when it is not (or no longer) due or was already made.
    """
    now = now or timezone.now()
    grace = timedelta(minutes=settings.SAFETY_CHECK_IN_GRACE_MINUTES)
    with transaction.atomic():
        booking = Booking.objects.select_for_update().filter(pk=booking_id).first()
        if (
            booking is None
            or booking.status != BookingStatus.CONFIRMED
            or booking.checked_in_at is not None
            or booking.starts_at + grace > now
        ):
            return None
        alert, created = _claim(booking, SafetyAlertKind.MISSED_CHECK_IN, None, now)
        if not created:
            return None
        _alert_raise(booking, alert, (None, None))  # the sitter never arrived: no place to show
    return alert


def safety_check_in_missed_alert_due(*, now: datetime | None = None, batch: int = MISSED_CHECK_IN_BATCH) -> int:
    """The beat job: alert every confirmed booking past start + grace with no check-in, not yet alerted.

    Only bookings that have not ended yet: a stale one found after a long
    outage is history, not an emergency.
    """
    now = now or timezone.now()
    grace = timedelta(minutes=settings.SAFETY_CHECK_IN_GRACE_MINUTES)
    due = list(
        Booking.objects.filter(
            status=BookingStatus.CONFIRMED, checked_in_at__isnull=True, starts_at__lte=now - grace, ends_at__gt=now
        )
        .exclude(safety_alerts__kind=SafetyAlertKind.MISSED_CHECK_IN)
        .order_by("starts_at")
        .values_list("pk", flat=True)[:batch]
    )
    return sum(1 for booking_id in due if safety_check_in_missed_alert(booking_id=booking_id, now=now) is not None)


def safety_parent_overdue_raise(
    *, booking_id: UUID, sitter: User, now: datetime | None = None
) -> tuple[SafetyAlert, bool]:
    """The sitter says the parent has not come back after the booking's end: open the parent overdue alert.

    The ladder tells the parent (and the family's emergency contacts), then the
    on-call staff while nobody answers; the alert shows where the sitter was
    last seen. Preconditions checked here: the sitter's own booking (another's
    is not found; its parent is refused), still in progress (the sitter is
    still there), its end passed. A repeat returns the first claim and opens
    nothing (False).
    """
    now = now or timezone.now()
    with transaction.atomic():
        booking = (
            Booking.objects.select_for_update(of=("self",))
            .filter(Q(sitter=sitter) | Q(parent=sitter), pk=booking_id)
            .select_related("parent", "sitter")
            .first()
        )
        if booking is None:
            raise not_found("No such booking.")
        if booking.sitter_id != sitter.pk:
            raise ApplicationError(BookingError.NOT_THE_SITTER, "Only the booking's sitter can raise this.")
        existing = SafetyAlert.objects.filter(booking=booking, kind=SafetyAlertKind.PARENT_OVERDUE).first()
        if existing is not None:
            return existing, False
        if booking.status != BookingStatus.IN_PROGRESS:
            raise ApplicationError(TrackingError.NOT_IN_PROGRESS, "The booking is not under way.")
        if now < booking.ends_at:
            raise ApplicationError(TrackingError.NOT_ENDED, "The booking has not reached its end yet.")
        alert, created = _claim(booking, SafetyAlertKind.PARENT_OVERDUE, sitter, now)
        if created:
            _alert_raise(booking, alert, _sitter_place(booking))
    return alert, created


def safety_timers_settle(*, booking: Booking, previous: str, actor: User | None, now: datetime | None = None) -> int:
    """Resolve the alerts whose reason a booking move just ended; answer how many. In the move's transaction.

    A missed check-in ends when the booking leaves ``confirmed`` (the sitter
    checks in late, or it is cancelled), a parent overdue when it leaves
    ``in_progress`` (checked out). The alert is resolved with the reason as its
    notes; one already resolved by someone stays as it is. Called for every
    move (``bookings.services.transition``); one query when a timer could be
    concerned, none otherwise.
    """
    kinds = [kind for kind, watched in TIMER_WATCHES.items() if previous == watched != booking.status]
    if not kinds:
        return 0
    claims = list(SafetyAlert.objects.filter(booking=booking, kind__in=kinds, settled_at__isnull=True))
    if not claims:
        return 0
    now = now or timezone.now()
    because = SETTLED_BECAUSE.get(booking.status, f"the booking became {booking.status}")
    for claim in claims:
        SafetyAlert.objects.filter(pk=claim.pk).update(settled_at=now)
        if claim.alert_id is not None:
            safety_alerter().resolve(
                alert_id=claim.alert_id, actor=actor, reason=f"Resolved automatically: {because}.", now=now
            )
    return len(claims)

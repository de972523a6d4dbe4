"""Changes of live tracking: record locations, purge old ones, export and erase them.

Locations (issue 15, item 5): counted against the sitter's rate in Redis
first (one round trip; a flood never reaches the database), then taken only
for the sitter's own booking while it is in progress, stored (a fix sent twice
is stored once), and pushed to the parent's sockets as ``location.updated``
after commit. The live location is stale at once, so the envelope is
ephemeral (not replayed to a reconnecting socket).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, NoReturn
from uuid import UUID

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from prometheus_client import Counter

from bookings.errors import BookingError, TrackingError
from bookings.models import Booking, BookingStatus
from bookings.tracking.models import BookingLocation
from bookings.tracking.validation import Fix
from guardiannest.cache import add_to_windows
from guardiannest.errors import ApplicationError, not_found
from guardiannest.realtime.events import broadcast_on_commit
from guardiannest.realtime.groups import user_group

LOCATIONS_STORED = Counter("guardiannest_locations_stored_total", "Live locations stored.")
LOCATIONS_DROPPED = Counter(
    "guardiannest_locations_dropped_total",
    "Live locations refused and dropped, by reason (rate_limited, not_in_progress, not_found, not_the_sitter).",
    ["reason"],
)

PURGE_BATCH = 1000
PURGE_MAX_BATCHES = 50


def _rate_spend(sitter_id: Any, count: int) -> int | None:
    """Count ``count`` fixes against the sitter's window; the seconds to wait when that would pass the limit.

    A refused batch gives its count back, so a batch retried later is not
    charged twice; racing senders cannot both take the last places (INCRBY is
    atomic, the give-back too).
    """
    period, limit = settings.LOCATION_RATE_WINDOW, settings.LOCATION_RATE_LIMIT
    now = time.time()
    window = int(now // period) * period
    key = f"locations:{sitter_id}:{window}"
    total = add_to_windows([(key, period + 1, count)])[0]
    if total > limit:
        add_to_windows([(key, period + 1, -count)])
    return max(1, int(window + period - now + 0.999)) if total > limit else None


def _drop(reason: str, count: int) -> None:
    LOCATIONS_DROPPED.labels(reason).inc(count)


def location_event_data(booking_id: Any, sitter_id: Any, fix: Fix) -> dict[str, Any]:
    return {
        "booking_id": str(booking_id),
        "sitter_id": str(sitter_id),
        "latitude": float(fix.latitude),
        "longitude": float(fix.longitude),
        "accuracy_m": fix.accuracy_m,
        "recorded_at": fix.recorded_at.isoformat(),
    }


def location_record(*, sitter_id: UUID | str, booking_id: UUID | str, fixes: Sequence[Fix]) -> int:
    """Store the sitter's ``fixes`` (already checked) for their in-progress booking; return how many were new.

    Refusals drop every fix and count them: over the rate (429 with
    Retry-After), not the caller's booking (404), the caller is its parent
    (403), not in progress (409). The newest fix goes to the parent's sockets
    after commit.
    """
    if not fixes:
        return 0
    wait = _rate_spend(sitter_id, len(fixes))
    if wait is not None:
        _drop("rate_limited", len(fixes))
        raise ApplicationError(
            TrackingError.TOO_MANY_LOCATIONS, "Too many locations: send fewer, less often.", retry_after=wait
        )
    # The happy path is one statement: the booking checked and the fixes inserted together (a socket sends a
    # fix every few seconds; each round trip counts). Only when nothing qualified is the reason looked up.
    parent_id, stored = _insert_if_in_progress(sitter_id, booking_id, fixes)
    if parent_id is None:
        _refusal(sitter_id, booking_id, len(fixes))
    if stored:
        newest = max(fixes, key=lambda fix: fix.recorded_at)
        # Autocommit: the INSERT is committed and this runs at once; inside a caller's transaction, after it.
        broadcast_on_commit(
            [user_group(parent_id)],
            "location.updated",
            location_event_data(booking_id, sitter_id, newest),
            ephemeral=True,
        )
        LOCATIONS_STORED.inc(stored)
    return stored


def _insert_if_in_progress(sitter_id: Any, booking_id: Any, fixes: Sequence[Fix]) -> tuple[Any, int]:
    """INSERT the fixes if ``booking_id`` is the sitter's and in progress: (its parent's id or None, rows new).

    A fix whose ``recorded_at`` is already stored is skipped (ON CONFLICT on
    the unique constraint), so a retried batch is stored and announced once.
    On a database other than PostgreSQL (the embedded default's SQLite), the
    same rules in ORM statements (:func:`_insert_portable`).
    """
    if connection.vendor != "postgresql":
        return _insert_portable(sitter_id, booking_id, fixes)
    values = ", ".join(["(%s::numeric, %s::numeric, %s::double precision, %s::timestamptz)"] * len(fixes))
    params: list[Any] = [str(booking_id), str(sitter_id), BookingStatus.IN_PROGRESS.value, timezone.now()]
    for fix in fixes:
        params += [fix.latitude, fix.longitude, fix.accuracy_m, fix.recorded_at]
    locations, bookings = BookingLocation._meta.db_table, Booking._meta.db_table
    # Only table names from the models and placeholders are formatted in; every value is a parameter.
    sql = f"""
        WITH booking AS (
            SELECT id, parent_id FROM {bookings} WHERE id = %s AND sitter_id = %s AND status = %s
        ), stored AS (
            INSERT INTO {locations} (booking_id, latitude, longitude, accuracy_m, recorded_at, received_at)
            SELECT booking.id, fix.latitude, fix.longitude, fix.accuracy_m, fix.recorded_at, %s
            FROM booking, (VALUES {values}) AS fix (latitude, longitude, accuracy_m, recorded_at)
            ON CONFLICT (booking_id, recorded_at) DO NOTHING
            RETURNING 1
        )
        SELECT (SELECT parent_id FROM booking), (SELECT count(*) FROM stored)
    """  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return row[0], int(row[1])


def _insert_portable(sitter_id: Any, booking_id: Any, fixes: Sequence[Fix]) -> tuple[Any, int]:
    """:func:`_insert_if_in_progress` for SQLite: the booking read and the new fixes inserted in one transaction."""
    with transaction.atomic():
        booking = (
            Booking.objects.filter(pk=booking_id, sitter_id=sitter_id, status=BookingStatus.IN_PROGRESS)
            .values("parent_id")
            .first()
        )
        if booking is None:
            return None, 0
        new: dict[datetime, Fix] = {fix.recorded_at: fix for fix in fixes}
        stored = BookingLocation.objects.filter(booking_id=booking_id, recorded_at__in=list(new))
        for recorded_at in stored.values_list("recorded_at", flat=True):
            new.pop(recorded_at, None)
        received = timezone.now()
        BookingLocation.objects.bulk_create(
            [
                BookingLocation(
                    booking_id=booking_id,
                    latitude=fix.latitude,
                    longitude=fix.longitude,
                    accuracy_m=fix.accuracy_m,
                    recorded_at=fix.recorded_at,
                    received_at=received,
                )
                for fix in new.values()
            ]
        )
    return booking["parent_id"], len(new)


def _refusal(sitter_id: Any, booking_id: Any, count: int) -> NoReturn:
    """Why the fixes were not taken: 404 (not the caller's), 403 (the caller is its parent), 409 (not under way)."""
    booking = (
        Booking.objects.filter(Q(sitter_id=sitter_id) | Q(parent_id=sitter_id), pk=booking_id)
        .values("status", "sitter_id")
        .first()
    )
    if booking is None:
        _drop("not_found", count)
        raise not_found("No such booking.")
    if str(booking["sitter_id"]) != str(sitter_id):
        _drop("not_the_sitter", count)
        raise ApplicationError(BookingError.NOT_THE_SITTER, "Only the booking's sitter shares a location.")
    _drop("not_in_progress", count)
    raise ApplicationError(TrackingError.NOT_IN_PROGRESS, "Locations are taken only while the booking is under way.")


def locations_purge(
    *, now: datetime | None = None, batch: int = PURGE_BATCH, max_batches: int = PURGE_MAX_BATCHES
) -> int:
    """Delete locations of bookings that ended more than LOCATION_RETENTION_DAYS ago; in batches, return the count.

    A booking's end is the later of its planned end and its check-out. A booking still in progress keeps its trail.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.LOCATION_RETENTION_DAYS)
    old = (
        BookingLocation.objects.filter(booking__ends_at__lt=cutoff)
        .filter(Q(booking__checked_out_at__isnull=True) | Q(booking__checked_out_at__lt=cutoff))
        .exclude(booking__status=BookingStatus.IN_PROGRESS)
    )
    deleted = 0
    for _ in range(max_batches):
        ids = list(old.values_list("pk", flat=True)[:batch])
        if not ids:
            break
        count, _detail = BookingLocation.objects.filter(pk__in=ids).delete()
        deleted += count
        if len(ids) < batch:
            break
    return deleted


# --- GDPR ----------------------------------------------------------------------------------------------------


def locations_export(user: Any) -> dict[str, Any]:
    """The locations the user's phone shared as a sitter (the retention window's worth), for their data export."""
    rows = BookingLocation.objects.filter(booking__sitter=user).order_by("recorded_at")
    return {
        "locations": [
            {
                "booking_id": str(row.booking_id),
                "latitude": str(row.latitude),
                "longitude": str(row.longitude),
                "accuracy_m": row.accuracy_m,
                "recorded_at": row.recorded_at.isoformat(),
            }
            for row in rows.iterator()
        ]
    }


def locations_erase(user: Any) -> None:
    """An erased account leaves no trail: the locations of every booking where they were the sitter or the parent."""
    BookingLocation.objects.filter(Q(booking__sitter=user) | Q(booking__parent=user)).delete()

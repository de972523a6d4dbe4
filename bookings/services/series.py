"""A weekly series (``POST bookings/series``): the same slot every week, up to 12 times, each a booking of its own.

Weeks are counted on the sitter's wall clock, not in hours: a series on
Wednesdays 18:00-21:00 in Berlin stays 18:00-21:00 across a DST change (its
UTC times move by an hour), and each occurrence is priced by its real
elapsed time. Every occurrence follows :func:`booking_create`'s rules; one
the sitter cannot take (unavailable, already held, its local time missing in
a DST gap) is reported with its code and the others are still made. Bad
input, or a rule that refuses the whole request (not your child, unknown or
unverified sitter), refuses the series with nothing created. One transaction,
so one Idempotency-Key answers for the whole series. The sitter is told once
(the request of the first week made), not once a week.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from accounts.models import Role, User
from bookings.errors import BookingError
from bookings.models import Booking
from bookings.services.create import booking_create
from guardiannest.errors import ApplicationError, ErrorCodes, Refusal, invalid
from sitters.selectors.bookable import sitter_get_bookable

MIN_WEEKS, MAX_WEEKS = 2, 12


@dataclass
class Series:
    id: UUID
    bookings: list[Booking] = field(default_factory=list)
    # (the occurrence's start in the sitter's zone, the code it was refused with)
    conflicts: list[tuple[datetime, ErrorCodes]] = field(default_factory=list)


def _weeks_later(local: datetime, weeks: int, zone: ZoneInfo) -> datetime | None:
    """The same wall-clock time ``weeks`` later in ``zone``; None when that time does not exist (a DST gap)."""
    wall = local.replace(tzinfo=None) + timedelta(weeks=weeks)
    aware = wall.replace(tzinfo=zone)
    if aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != wall:
        return None
    return aware


def booking_series_create(
    *,
    parent: User,
    sitter_id: UUID,
    starts_at: datetime,
    ends_at: datetime,
    child_ids: Sequence[UUID],
    weeks: int,
    notes: str = "",
) -> Series:
    """Request ``sitter_id`` for ``[starts_at, ends_at)`` and the same local slot each week, ``weeks`` times.

    Answers the series: the bookings made (soonest first) and the refused
    occurrences with their codes. When no occurrence can be made: the one
    code they all share, or 409 ``series_unavailable`` with each one's code.
    """
    if not MIN_WEEKS <= weeks <= MAX_WEEKS:
        raise invalid("weeks", f"Between {MIN_WEEKS} and {MAX_WEEKS}.")
    if parent.role != Role.PARENT:
        raise ApplicationError(BookingError.NOT_A_PARENT, "Only parents book sitters.")
    for name, value in (("start", starts_at), ("end", ends_at)):
        if timezone.is_naive(value):
            raise invalid(name, "Needs a time zone offset.")
    zone = ZoneInfo(sitter_get_bookable(sitter_id=sitter_id).timezone)
    first_start, first_end = starts_at.astimezone(zone), ends_at.astimezone(zone)
    series = Series(id=uuid.uuid4())
    refused: list[ApplicationError] = []
    with transaction.atomic():
        for week in range(weeks):
            start, end = _weeks_later(first_start, week, zone), _weeks_later(first_end, week, zone)
            if start is None or end is None:
                wall = first_start.replace(tzinfo=None) + timedelta(weeks=week)
                series.conflicts.append((wall.replace(tzinfo=zone), BookingError.LOCAL_TIME_MISSING))
                refused.append(ApplicationError(BookingError.LOCAL_TIME_MISSING, "That time does not exist then."))
                continue
            try:
                made = booking_create(
                    parent=parent,
                    sitter_id=sitter_id,
                    starts_at=start,
                    ends_at=end,
                    child_ids=child_ids,
                    notes=notes,
                    series_id=series.id,
                    notify_sitter=not series.bookings,  # the sitter is told once, of the first week made
                )
            except ApplicationError as exc:
                if exc.refusal != Refusal.CONFLICT:
                    raise  # bad input or not allowed: the whole series is refused
                series.conflicts.append((start, exc.code))
                refused.append(exc)
                continue
            series.bookings.append(made)
        if not series.bookings:
            codes = {str(exc.code) for exc in refused}
            if len(codes) == 1:
                raise refused[0]
            errors = {"weeks": [f"{start.isoformat()}: {code}" for start, code in series.conflicts]}
            raise ApplicationError(
                BookingError.SERIES_UNAVAILABLE, "The sitter cannot take any week of this series.", errors=errors
            )
    return series

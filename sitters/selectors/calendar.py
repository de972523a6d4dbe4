"""Read queries of the sitter's calendar: the sitter's own windows and exceptions, and "is the sitter free".

A sitter sees only their own exceptions; another sitter's id is "not found".

Free/busy questions go to the materialised spans (daylight saving already
resolved) and to holds. They are answered by plain comparisons on the btree
indexes ``(sitter_id, starts_at) INCLUDE (ends_at)`` of both tables
(``sitters_span_sitter_start``, ``sitters_hold_sitter_start``), index-only,
as search's probes are. They are exact because neither table holds two
overlapping rows of one sitter: on PostgreSQL the exclusion constraints
``sitters_span_no_overlap`` and ``sitters_hold_no_overlap`` guarantee it
(their GiST indexes serve the constraints, not these reads); elsewhere the
calendar services merge spans and check holds under the write lock. So
"one span contains the range" is "the last span starting at or before its
start ends at or after its end": one index probe.

Intervals are half-open: a hold ending at 12:00 and one starting at 12:00
do not overlap.
"""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from django.db.models import QuerySet

from guardiannest.errors import not_found
from sitters.models import AvailabilityException, AvailabilitySpan, Hold, SitterProfile, WeeklyWindow


def window_list(*, profile: SitterProfile) -> QuerySet[WeeklyWindow]:
    return WeeklyWindow.objects.filter(sitter=profile).order_by("weekday", "start_minute")


def exception_list_for_sitter(*, profile: SitterProfile) -> QuerySet[AvailabilityException]:
    return AvailabilityException.objects.filter(sitter=profile).order_by("date", "created_at")


def exception_list_between(
    *, profile: SitterProfile, from_date: date, to_date: date
) -> QuerySet[AvailabilityException]:
    """The sitter's exceptions dated ``from_date`` through ``to_date`` (what the spans of those days are made of)."""
    return AvailabilityException.objects.filter(sitter=profile, date__gte=from_date, date__lte=to_date)


def exception_get_for_sitter(*, exception_id: UUID, profile: SitterProfile) -> AvailabilityException:
    """The sitter's own exception; another sitter's is simply not found."""
    exception = AvailabilityException.objects.filter(pk=exception_id, sitter=profile).first()
    if exception is None:
        raise not_found()
    return exception


def hold_list_upcoming_for_sitter(*, profile: SitterProfile, now: datetime) -> QuerySet[Hold]:
    """The sitter's holds (bookings' and self-blocked) that have not ended yet."""
    return Hold.objects.filter(sitter=profile, ends_at__gt=now).order_by("starts_at")


def hold_get_for_sitter(*, hold_id: UUID, profile: SitterProfile) -> Hold:
    """The sitter's own hold; another sitter's is simply not found."""
    hold = Hold.objects.filter(pk=hold_id, sitter=profile).first()
    if hold is None:
        raise not_found()
    return hold


def span_covers(*, sitter_id: UUID, starts_at: datetime, ends_at: datetime) -> bool:
    """One materialised span contains all of ``[starts_at, ends_at)``: the last one starting at or before it."""
    last_end = (
        AvailabilitySpan.objects.filter(sitter_id=sitter_id, starts_at__lte=starts_at)
        .order_by("-starts_at")
        .values_list("ends_at", flat=True)
        .first()
    )
    return last_end is not None and last_end >= ends_at


def hold_overlapping(
    *, sitter_id: UUID, starts_at: datetime, ends_at: datetime, exclude_id: UUID | None = None
) -> QuerySet[Hold]:
    """The sitter's holds sharing some instant with ``[starts_at, ends_at)`` (touching ones do not).

    The rule the exclusion constraint ``sitters_hold_no_overlap`` enforces on
    PostgreSQL, and the one the hold services check on every backend.
    """
    holds = Hold.objects.filter(sitter_id=sitter_id, starts_at__lt=ends_at, ends_at__gt=starts_at)
    if exclude_id is not None:
        holds = holds.exclude(pk=exclude_id)
    return holds


def sitter_is_free(*, sitter_id: UUID, starts_at: datetime, ends_at: datetime) -> bool:
    """Available then (one span contains the range) and not held then (no hold overlaps it)."""
    return span_covers(sitter_id=sitter_id, starts_at=starts_at, ends_at=ends_at) and not (
        hold_overlapping(sitter_id=sitter_id, starts_at=starts_at, ends_at=ends_at).exists()
    )

"""The beat job's service: move every sitter's spans forward with the calendar, and drop old ones.

Sitters are taken one time zone at a time, so "due" (``availability_until``
before local today + horizon) is one indexed-range query per zone, whatever
the number of sitters. Each sitter is claimed with a conditional update of
``availability_until`` (from the value read to the new last day, same zone)
inside the transaction that writes the new spans: a second worker's
identical update waits for the first to commit, then matches no row and
skips that sitter. A run that finds nothing due changes nothing, so running
it twice is harmless.

Caches: only sitters whose spans changed are invalidated (a sitter whose
new days hold no window wrote nothing: search cannot tell), all of a batch
at once after its sitters committed, so a batch bumps the search generation
once instead of once per sitter. Until then a search may be served from a
page built before the new days existed, which at worst misses a sitter for a
day on the horizon's far end for the seconds a batch takes.

No audit event: this is the calendar turning over, not anyone's decision.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

import structlog
from django.db import transaction
from django.utils import timezone as dj_timezone

from sitters.cache import sitters_changed_on_commit
from sitters.models import AvailabilitySpan, SitterProfile
from sitters.services.calendar.availability import horizon_days, local_today, spans_append, timezone_is_valid

logger = structlog.get_logger(__name__)

DEFAULT_BATCH_SIZE = 200
# Spans that ended this long ago ended before local today in every time zone, even after a 25-hour day.
SPAN_RETENTION = timedelta(days=2)


@dataclass
class ExtendResult:
    extended: int = 0
    skipped: int = 0
    spans_written: int = 0
    spans_deleted: int = 0


def _extend_one(*, profile_id: UUID, zone_name: str, read_until: date, today: date, target: date) -> int | None:
    """Claim and extend one sitter; None when another worker (or a calendar change) got there first."""
    with transaction.atomic():
        claimed = SitterProfile.objects.filter(pk=profile_id, timezone=zone_name, availability_until=read_until).update(
            availability_until=target
        )
        if claimed != 1:
            return None
        profile = SitterProfile.objects.get(pk=profile_id)  # the claim's row lock is ours until commit
        from_date = max(read_until + timedelta(days=1), today)
        return spans_append(profile=profile, from_date=from_date, to_date=target)


def availability_extend_due(*, batch_size: int = DEFAULT_BATCH_SIZE, now: datetime | None = None) -> ExtendResult:
    """Extend the spans of every sitter whose ``availability_until`` is short of local today + horizon.

    Sitters who never set availability (``availability_until`` null) have
    nothing to extend. Each zone's sitters are walked in primary-key batches.
    """
    now = now or dj_timezone.now()
    result = ExtendResult()
    zones = (
        SitterProfile.objects.filter(availability_until__isnull=False)
        .order_by()
        .values_list("timezone", flat=True)
        .distinct()
    )
    for zone_name in list(zones):
        if not timezone_is_valid(zone_name):
            logger.warning("availability_extend_bad_timezone", timezone=zone_name)
            continue
        today = local_today(ZoneInfo(zone_name), now=now)
        target = today + timedelta(days=horizon_days())
        due = SitterProfile.objects.filter(timezone=zone_name, availability_until__lt=target).order_by("pk")
        after: UUID | None = None
        while True:
            page = due if after is None else due.filter(pk__gt=after)
            batch = list(page.values_list("pk", "availability_until")[:batch_size])
            if not batch:
                break
            changed: list[UUID] = []
            for profile_id, read_until in batch:
                if read_until is None:  # cleared since the query: nothing to extend
                    continue
                written = _extend_one(
                    profile_id=profile_id, zone_name=zone_name, read_until=read_until, today=today, target=target
                )
                if written is None:
                    result.skipped += 1
                else:
                    result.extended += 1
                    result.spans_written += written
                    if written:
                        changed.append(profile_id)
            sitters_changed_on_commit(changed)  # each sitter committed already: now, unless run inside atomic()
            after = batch[-1][0]
    result.spans_deleted = spans_delete_ended(now=now)
    return result


def spans_delete_ended(*, now: datetime | None = None, batch_size: int = 5000) -> int:
    """Delete spans that ended before local today everywhere, in batches to keep each delete short."""
    cutoff = (now or dj_timezone.now()) - SPAN_RETENTION
    deleted = 0
    while True:
        ids = list(AvailabilitySpan.objects.filter(ends_at__lt=cutoff).values_list("pk", flat=True)[:batch_size])
        if not ids:
            return deleted
        deleted += AvailabilitySpan.objects.filter(pk__in=ids).delete()[0]

"""What a search may ask, and the search half of location privacy: enforced here, for every caller.

A sitter is placed at a search point moved once by up to
``SEARCH_POINT_FUZZ_M`` (:mod:`sitters.services.profile`). Searching then
leaves nothing to learn by probing a search's edges only if the edges are
coarse too: the point searched from is rounded to ``QUERY_POINT_DECIMALS``
(about 110 m of latitude) and the radius rounded up to a whole km. With
exact edges and any float radius, a binary search on the radius from three
points would give a sitter's home to the metre.

So :class:`Filters` and :class:`SearchQuery` normalise and check themselves
when made: whoever builds one (the search API, bookings, a job) gets the
rounding and the limits, and a value out of bounds is refused as bad input
naming the field (``guardiannest.errors.invalid``). The API's serializer only
parses the query string; its bounds are these constants.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from guardiannest.errors import invalid
from sitters.languages import ISO_639_1
from sitters.models import AgeGroup, CertificationKind
from sitters.selectors.search.geo import query_point

MAX_RADIUS_KM = 100
DEFAULT_RADIUS_KM = 10
MAX_LATITUDE = 90
MAX_LONGITUDE = 180
MAX_SPAN = timedelta(hours=24)
CLOCK_SKEW = timedelta(minutes=5)
MAX_RATING = 5
MAX_RATE_FILTER = 10_000_000
MAX_LIST_ITEMS = 20
MAX_PAGE = 1000
MAX_PAGE_SIZE = 50
DEFAULT_PAGE_SIZE = 20
SORTS = ("distance", "rating", "price")
# What each list filter may name.
LIST_CHOICES: dict[str, frozenset[str]] = {
    "languages": ISO_639_1,
    "certifications": frozenset(CertificationKind.values),
    "age_groups": frozenset(AgeGroup.values),
}


def searchable_ahead() -> timedelta:
    """How far ahead ``end`` may be: the horizon less a day.

    The beat job extends every sitter's spans every 6 hours, so the last day
    of the horizon may not be written yet for some; a search there would miss
    sitters who are in fact free.
    """
    return timedelta(days=settings.SITTER_AVAILABILITY_HORIZON_DAYS - 1)


def _number(field: str, value: float, low: float, high: float) -> float:
    """A finite number within ``[low, high]``; bad input naming ``field`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise invalid(field, "A valid number is required.")
    if not low <= value <= high:
        raise invalid(field, f"Must be between {low} and {high}.")
    return value


def _radius(value: float) -> int:
    """More than 0 and at most ``MAX_RADIUS_KM``, rounded up to a whole km."""
    radius = _number("radius_km", value, 0, MAX_RADIUS_KM)
    if radius <= 0:
        raise invalid("radius_km", "Must be more than 0.")
    return math.ceil(radius)


def _choices(field: str, values: tuple[str, ...]) -> tuple[str, ...]:
    """Known values, at most ``MAX_LIST_ITEMS``, each once, in the order given."""
    if len(values) > MAX_LIST_ITEMS:
        raise invalid(field, f"Give at most {MAX_LIST_ITEMS} values.")
    unknown = sorted(set(values) - LIST_CHOICES[field])
    if unknown:
        raise invalid(field, f"Unknown: {', '.join(unknown[:5])}.")
    return tuple(dict.fromkeys(values))


def _period(start: datetime | None, end: datetime | None) -> None:
    """Both or neither; from now (give or take the clock skew), at most ``MAX_SPAN``, within the searchable days."""
    if (start is None) != (end is None):
        raise invalid("end" if end is None else "start", "Give start and end together.")
    if start is None or end is None:
        return
    for field, value in (("start", start), ("end", end)):
        if timezone.is_naive(value):
            raise invalid(field, "Give the time with its UTC offset, e.g. 2030-05-01T18:00:00+02:00.")
    now = timezone.now()
    if start < now - CLOCK_SKEW:
        raise invalid("start", "The start is in the past.")
    if end <= start:
        raise invalid("end", "The end must be after the start.")
    if end - start > MAX_SPAN:
        raise invalid("end", "Search at most 24 hours at a time.")
    if end > now + searchable_ahead():
        raise invalid("end", f"Search at most {searchable_ahead().days} days ahead: availability is known that far.")


def _rates(low: int | None, high: int | None) -> None:
    for field, value in (("min_rate", low), ("max_rate", high)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise invalid(field, "A valid integer is required.")
        if value is not None:
            _number(field, value, 0, MAX_RATE_FILTER)
    if low is not None and high is not None and low > high:
        raise invalid("max_rate", "max_rate must not be below min_rate.")


@dataclass(frozen=True)
class Filters:
    """What a search asks, normalised and checked when made (see the module docstring).

    The point is rounded to ``QUERY_POINT_DECIMALS`` and the radius rounded up
    to a whole km here, whatever the caller passed.
    """

    latitude: float
    longitude: float
    radius_km: float = DEFAULT_RADIUS_KM
    start: datetime | None = None
    end: datetime | None = None
    min_rate: int | None = None
    max_rate: int | None = None
    min_rating: float | None = None
    languages: tuple[str, ...] = ()
    certifications: tuple[str, ...] = ()
    age_groups: tuple[str, ...] = ()
    verified: bool = False
    sort: str = "distance"

    def __post_init__(self) -> None:
        latitude, longitude = query_point(
            _number("latitude", self.latitude, -MAX_LATITUDE, MAX_LATITUDE),
            _number("longitude", self.longitude, -MAX_LONGITUDE, MAX_LONGITUDE),
        )
        self._set(latitude=latitude, longitude=longitude, radius_km=_radius(self.radius_km))
        _period(self.start, self.end)
        _rates(self.min_rate, self.max_rate)
        if self.min_rating is not None:
            _number("min_rating", self.min_rating, 0, MAX_RATING)
        self._set(**{field: _choices(field, tuple(getattr(self, field))) for field in LIST_CHOICES})
        if self.sort not in SORTS:
            raise invalid("sort", f"One of {', '.join(SORTS)}.")

    def _set(self, **values: Any) -> None:
        for name, value in values.items():
            object.__setattr__(self, name, value)


@dataclass(frozen=True)
class SearchQuery:
    """One page of a search: pages from 1 to ``MAX_PAGE``, of at most ``MAX_PAGE_SIZE`` results."""

    filters: Filters
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE

    def __post_init__(self) -> None:
        for field, value, high in (("page", self.page, MAX_PAGE), ("page_size", self.page_size, MAX_PAGE_SIZE)):
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= high:
                raise invalid(field, f"A whole number from 1 to {high}.")

    def cache_material(self, today: date) -> str:
        """The query normalised (lists sorted, times in UTC), with page and day: the search cache's key."""
        f = self.filters

        def when(value: datetime | None) -> str | None:
            return value.astimezone(UTC).isoformat() if value is not None else None

        return json.dumps(
            [
                repr(f.latitude),
                repr(f.longitude),
                repr(f.radius_km),
                when(f.start),
                when(f.end),
                f.min_rate,
                f.max_rate,
                repr(f.min_rating) if f.min_rating else None,
                sorted(set(f.languages)),
                sorted(set(f.certifications)),
                sorted(set(f.age_groups)),
                f.verified,
                f.sort,
                self.page,
                self.page_size,
                today.isoformat(),
            ]
        )

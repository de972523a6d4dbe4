"""The one SQL statement behind a search page (and behind a public profile), for PostgreSQL and SQLite.

Shape: an inner SELECT filters, orders and cuts the page (LIMIT/OFFSET) over
profiles joined to their users; the outer SELECT adds, for the page's rows
only, the photo (a join on its primary key) and the badge-worthy
certifications (a correlated JSON aggregate). So a page costs one round trip
and no per-row queries, and the work after the LIMIT is 20 rows, not the
thousands a dense city has within the radius.

Every geometric term uses the profile's search point
(``search_latitude``/``search_longitude``: the service location moved once by
up to ``SEARCH_POINT_FUZZ_M``), never the real location, which this module
does not read: distances, the radius, the sitter's service radius, and the
row it hands back. On PostgreSQL the radius goes through the GiST index of
``sitters/migrations/0002_postgresql_geo_and_calendar.py`` on
``ll_to_earth(search_latitude, search_longitude)`` (partial,
``search_latitude IS NOT NULL``), with exactly its expression; SQLite narrows
by a latitude band and longitude window on the
``(search_latitude, search_longitude)`` btree. The exact radius test and the
free-range test are plain column arithmetic on both (see the comments at
``_DOT`` and in ``_filters`` for the measurements behind that choice).

A row is ``ROW_COLUMNS`` in order; see :mod:`sitters.selectors.search.rows`.

The text is put together from constants of this module, table and column
names from the models' ``_meta`` (each app owns its table names; another
app's are never spelled here) and ``%(name)s`` placeholders; every value,
the enums' included, travels as a parameter (hence the S608 noqa).
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any

from accounts.models import Role, User
from files.models import StoredFile
from sitters.models import (
    AvailabilitySpan,
    Hold,
    SitterLanguage,
    SitterProfile,
    VerificationStatus,
    age_groups_to_mask,
)
from sitters.selectors.profile import badge_params, badge_sql
from sitters.selectors.schema import column, table
from sitters.selectors.search.geo import MEAN_EARTH_RADIUS_KM, MEAN_EARTH_RADIUS_M, bounding_window, unit_vector
from sitters.selectors.search.query import Filters

# The photo's columns in the row, and the StoredFile field each reads.
_PHOTO_FIELDS = {
    "photo_id": "id",
    "photo_key": "key",
    "photo_variants": "variants",
    "photo_status": "status",
    "photo_scan": "scan",
    "photo_owner_id": "owner",
    "photo_purpose": "purpose",
    "photo_content_type": "content_type",
}

ROW_COLUMNS = (
    "sid",
    "first_name",
    "bio",
    "rate",
    "currency",
    "rating",
    "rating_count",
    "verification_status",
    "languages",
    "age_groups_mask",
    "years_experience",
    "search_latitude",
    "search_longitude",
    "dist",
    *_PHOTO_FIELDS,
    "certifications",
)

# ORDER BY on the inner SELECT's output names; every order ends with distance then id, so pages are stable.
ORDERS = {
    "distance": "dist, sid",
    "rating": "rating DESC NULLS LAST, dist, sid",
    "price": "rate, dist, sid",
}

# Earthdistance units (earth() metres) for one metre of the mean radius; PostgreSQL folds it at plan time.
_PG_UNITS_PER_M = "(earth() / %(mean_radius_m)s)"

# Unit-vector dot product of the row's point with the centre's: the cosine of the angle between them.
# The exact radius test and the distance use it on both databases. On PostgreSQL it replaces
# earth_distance(ll_to_earth(...), ll_to_earth(p...)) in the exact test: ll_to_earth casts to the
# ``earth`` domain and checks its constraints, ~5 µs a call, and a dense city has thousands of
# candidate rows in the index box (measured: 52 ms vs 8 ms for 3,700 candidates, 3 calls per row).
# The index condition keeps the earth_box expression exactly as the GiST index is built.
_DOT = (
    "(COS(RADIANS(p.search_latitude)) * COS(RADIANS(p.search_longitude)) * %(cx)s"
    " + COS(RADIANS(p.search_latitude)) * SIN(RADIANS(p.search_longitude)) * %(cy)s"
    " + SIN(RADIANS(p.search_latitude)) * %(cz)s)"
)


def _badges(pg: bool) -> str:
    """The page row's badges as a JSON array: its certifications that pass the badge rule (selectors.profile)."""
    rule = badge_sql()
    if pg:
        return (
            "(SELECT json_agg(json_build_object('kind', c.kind, 'issued_at', c.issued_at, 'expires_at', c.expires_at)"  # noqa: S608
            " ORDER BY c.kind, c.issued_at DESC)"
            f" FROM {rule.source} WHERE c.sitter_id = page.sid AND {rule.condition})"
        )
    return (
        "(SELECT json_group_array(json_object('kind', b.kind, 'issued_at', b.issued_at, 'expires_at', b.expires_at))"  # noqa: S608
        " FROM (SELECT c.kind, c.issued_at, c.expires_at"
        f" FROM {rule.source} WHERE c.sitter_id = page.sid AND {rule.condition} ORDER BY c.kind, c.issued_at DESC) b)"
    )


class _Builder:
    def __init__(self, vendor: str, adapt: Any) -> None:
        self.pg = vendor == "postgresql"
        self.adapt = adapt  # value -> what this backend compares with its stored columns
        self.params: dict[str, Any] = {}
        self.where: list[str] = [
            "p.search_latitude IS NOT NULL",  # has a location (and the GiST index's predicate)
            "p.hourly_rate IS NOT NULL",
            f"u.{column(User, 'is_active')}",
            f"u.{column(User, 'role')} = {self.param('role', Role.SITTER)}",
        ]

    def param(self, name: str, value: Any) -> str:
        self.params[name] = value
        return f"%({name})s"

    def in_list(self, prefix: str, values: tuple[str, ...]) -> str:
        return ", ".join(self.param(f"{prefix}{index}", value) for index, value in enumerate(values))


def _geo(builder: _Builder, filters: Filters) -> str:
    """Radius and the sitter's own service radius; returns the SELECT expression of the distance in km.

    The index prefilter is vendor-specific (earth_box on PostgreSQL, a band and
    window on SQLite); the exact test is the same: the angle to the point is
    within both radii, i.e. its cosine is at least the larger of their cosines.
    """
    b = builder
    if b.pg:
        b.params.update(lat=filters.latitude, lon=filters.longitude, mean_radius_m=MEAN_EARTH_RADIUS_M)
        # A metre of slack: the box is only the index's prefilter, the exact test below decides.
        radius = f"({b.param('radius_m', filters.radius_km * 1000.0 + 1.0)} * {_PG_UNITS_PER_M})"
        b.where.append(
            f"earth_box(ll_to_earth(%(lat)s, %(lon)s), {radius}) @> ll_to_earth(p.search_latitude, p.search_longitude)"
        )
    else:
        window = bounding_window(filters.latitude, filters.longitude, filters.radius_km)
        low, high = b.param("lat_min", window.lat_min), b.param("lat_max", window.lat_max)
        b.where.append(f"p.search_latitude BETWEEN {low} AND {high}")
        if window.lon_ranges:
            ranges = [
                f"p.search_longitude BETWEEN {b.param(f'lon_min{i}', west)} AND {b.param(f'lon_max{i}', east)}"
                for i, (west, east) in enumerate(window.lon_ranges)
            ]
            b.where.append(f"({' OR '.join(ranges)})")
    cx, cy, cz = unit_vector(filters.latitude, filters.longitude)
    b.params.update(cx=cx, cy=cy, cz=cz, mean_radius_km=MEAN_EARTH_RADIUS_KM, per_km=1.0 / MEAN_EARTH_RADIUS_KM)
    cos_radius = b.param("cos_radius", _cos_of_km(filters.radius_km))
    greatest = "GREATEST" if b.pg else "MAX"
    # Radians per km as a double: a bare decimal literal is NUMERIC on PostgreSQL, and NUMERIC arithmetic on
    # every candidate row cost about 1.5 ms per 6,000 rows (measured on the 100k bench, London 25 km).
    own_radius = "COS(p.service_radius_km * CAST(%(per_km)s AS DOUBLE PRECISION))"
    b.where.append(f"{_DOT} >= {greatest}({cos_radius}, {own_radius})")
    least, most = ("LEAST", "GREATEST") if b.pg else ("MIN", "MAX")
    return f"ACOS({least}(1.0, {most}(-1.0, {_DOT}))) * %(mean_radius_km)s"


def _cos_of_km(km: float) -> float:
    return math.cos(min(km / MEAN_EARTH_RADIUS_KM, math.pi))


def _filters(b: _Builder, filters: Filters, today: date) -> None:
    if filters.start is not None and filters.end is not None:
        # Free in [start, end): the span that starts last at or before ``start`` reaches ``end``, and no hold
        # starts inside the range nor does the hold that starts last before it reach past ``start``.
        # Exact because a sitter's spans never overlap and neither do holds (exclusion constraints on
        # PostgreSQL, sitters_span_no_overlap and sitters_hold_no_overlap), and each is one probe of the
        # (sitter_id, starts_at) btree indexes. Probing the constraints' tstzrange GiST indexes instead
        # costs 5-8x more per candidate sitter (measured: 25 ms vs 5 ms for spans, 64 ms vs 8 ms for
        # holds, 1,600 candidates).
        start, end = b.param("start", b.adapt(filters.start)), b.param("end", b.adapt(filters.end))
        b.where += [
            f"(SELECT s.ends_at FROM {table(AvailabilitySpan)} s WHERE s.sitter_id = p.user_id"  # noqa: S608
            f" AND s.starts_at <= {start} ORDER BY s.starts_at DESC LIMIT 1) >= {end}",
            f"NOT EXISTS (SELECT 1 FROM {table(Hold)} h WHERE h.sitter_id = p.user_id"  # noqa: S608
            f" AND h.starts_at >= {start} AND h.starts_at < {end})",
            f"NOT COALESCE((SELECT h.ends_at FROM {table(Hold)} h WHERE h.sitter_id = p.user_id"  # noqa: S608
            f" AND h.starts_at < {start} ORDER BY h.starts_at DESC LIMIT 1) > {start}, FALSE)",
        ]
    if filters.min_rate is not None:
        b.where.append(f"p.hourly_rate >= {b.param('min_rate', filters.min_rate)}")
    if filters.max_rate is not None:
        b.where.append(f"p.hourly_rate <= {b.param('max_rate', filters.max_rate)}")
    if filters.min_rating:  # 0 asks for nothing: unrated sitters stay in
        b.where.append(f"p.rating_avg >= {b.param('min_rating', float(filters.min_rating))}")
    if filters.languages:
        codes = b.in_list("language", filters.languages)
        b.where.append(
            f"EXISTS (SELECT 1 FROM {table(SitterLanguage)} l WHERE l.sitter_id = p.user_id AND l.code IN ({codes}))"  # noqa: S608
        )
    if filters.certifications:
        rule = badge_sql()
        b.params.update(badge_params(b.adapt(today)))
        for index, kind in enumerate(filters.certifications):
            b.where.append(
                f"EXISTS (SELECT 1 FROM {rule.source} WHERE c.sitter_id = p.user_id"  # noqa: S608
                f" AND c.kind = {b.param(f'kind{index}', kind)} AND {rule.condition})"
            )
    if filters.age_groups:
        mask = age_groups_to_mask(filters.age_groups)
        b.where.append(f"(p.age_groups_mask & {b.param('age_mask', mask)}) = %(age_mask)s")
    if filters.verified:
        b.where.append(f"p.verification_status = {b.param('verified', VerificationStatus.VERIFIED)}")


def _statement(b: _Builder, distance: str, order: str, today: date, tail: str) -> str:
    b.params.update(badge_params(b.adapt(today)))
    inner = (
        f"SELECT p.user_id AS sid, u.{column(User, 'first_name')}, p.bio, p.hourly_rate AS rate, p.currency,"  # noqa: S608
        " p.rating_avg AS rating, p.rating_count, p.verification_status, p.languages, p.age_groups_mask,"
        f" p.years_experience, p.search_latitude, p.search_longitude, {distance} AS dist, p.photo_id"
        f" FROM {table(SitterProfile)} p JOIN {table(User)} u ON u.{column(User, 'id')} = p.user_id"
        f" WHERE {' AND '.join(b.where)}"
        f" ORDER BY {order}{tail}"
    )
    badges = _badges(b.pg)
    photo = ", ".join(f"f.{column(StoredFile, field)}" for field in _PHOTO_FIELDS.values())
    return (
        "SELECT page.sid, page.first_name, page.bio, page.rate, page.currency, page.rating, page.rating_count,"  # noqa: S608
        " page.verification_status, page.languages, page.age_groups_mask, page.years_experience,"
        f" page.search_latitude, page.search_longitude, page.dist, {photo}, {badges} AS certifications"
        f" FROM ({inner}) page LEFT JOIN {table(StoredFile)} f ON f.{column(StoredFile, 'id')} = page.photo_id"
        f" ORDER BY {order}"
    )


def search_sql(
    *, filters: Filters, today: date, offset: int, limit: int, vendor: str, adapt: Any
) -> tuple[str, dict[str, Any]]:
    """The page's statement and its named parameters (``%(name)s``: psycopg, and Django's SQLite wrapper)."""
    b = _Builder(vendor, adapt)
    distance = _geo(b, filters)
    _filters(b, filters, today)
    tail = f" LIMIT {b.param('limit', limit)} OFFSET {b.param('offset', offset)}"
    return _statement(b, distance, ORDERS[filters.sort], today, tail), b.params


def profile_sql(*, sitter_id: Any, today: date, vendor: str, adapt: Any) -> tuple[str, dict[str, Any]]:
    """One visible profile by id, in the same row shape (``dist`` is null: no viewer point here)."""
    b = _Builder(vendor, adapt)
    b.where.append(f"p.user_id = {b.param('sid', sitter_id)}")
    return _statement(b, "NULL", "sid", today, ""), b.params

"""Geo correctness: PostgreSQL's earthdistance and the SQLite fallback against a haversine reference.

Many random points around centres that stress the maths: ordinary cities,
the date line (±180), and both poles, with radii up to the maximum.
"""

from __future__ import annotations

import math
import random
import sqlite3
from datetime import date
from typing import Any

import pytest
from django.db import connection
from django.db.backends.sqlite3._functions import register as register_sqlite_functions

from sitters.models import SitterProfile
from sitters.selectors.search import Filters, SearchQuery, sitter_search, sitter_search_statement
from sitters.selectors.search.geo import (
    MEAN_EARTH_RADIUS_KM,
    bounding_window,
    haversine_km,
    unit_vector,
    window_contains,
)
from sitters.selectors.search.sql import search_sql
from sitters.tests.factories import SitterProfileFactory

CENTRES = [
    (52.52, 13.405, 25.0),  # Berlin
    (-18.14, 179.95, 60.0),  # Suva, across the date line
    (65.0, -179.9, 100.0),  # Chukotka/Alaska, the date line from the west
    (89.7, 30.0, 80.0),  # near the North Pole: the circle covers the pole
    (-89.95, -120.0, 50.0),  # near the South Pole
    (0.0, 0.0, 100.0),
]


def random_point_near(rng: random.Random, lat: float, lon: float, max_km: float) -> tuple[float, float]:
    """A point at a random bearing and distance up to ``max_km`` (the sphere's direct formula)."""
    bearing = rng.uniform(0, 2 * math.pi)
    delta = rng.uniform(0, max_km) / MEAN_EARTH_RADIUS_KM
    phi1, lam1 = math.radians(lat), math.radians(lon)
    phi2 = math.asin(math.sin(phi1) * math.cos(delta) + math.cos(phi1) * math.sin(delta) * math.cos(bearing))
    lam2 = lam1 + math.atan2(
        math.sin(bearing) * math.sin(delta) * math.cos(phi1), math.cos(delta) - math.sin(phi1) * math.sin(phi2)
    )
    lon2 = (math.degrees(lam2) + 540) % 360 - 180
    return round(math.degrees(phi2), 6), round(lon2, 6)


# --- the pure-Python parts -----------------------------------------------------------------------


def test_haversine_reference() -> None:
    assert haversine_km(0, 0, 0, 1) == pytest.approx(111.195, abs=0.001)
    assert haversine_km(0, 179.5, 0, -179.5) == pytest.approx(111.195, abs=0.001)  # across the date line
    assert haversine_km(89.5, 0, 89.5, 180) == pytest.approx(111.195, abs=0.001)  # over the pole
    assert haversine_km(90, 0, -90, 0) == pytest.approx(math.pi * MEAN_EARTH_RADIUS_KM)


@pytest.mark.parametrize(("lat", "lon", "radius"), CENTRES)
def test_the_sqlite_window_never_drops_a_point_within_the_radius(lat: float, lon: float, radius: float) -> None:
    rng = random.Random(f"{lat},{lon}")
    window = bounding_window(lat, lon, radius)

    for _ in range(3000):
        point = random_point_near(rng, lat, lon, radius * 1.5)
        if haversine_km(lat, lon, *point) <= radius:
            assert window_contains(window, *point), point


def test_the_window_wraps_at_the_date_line() -> None:
    window = bounding_window(-18.14, 179.95, 60.0)

    assert len(window.lon_ranges) == 2
    assert window_contains(window, -18.14, -179.8)
    assert window_contains(window, -18.14, 179.5)
    assert not window_contains(window, -18.14, 0.0)
    west = bounding_window(10.0, -179.9, 50.0)
    assert window_contains(west, 10.0, 179.9) and not window_contains(west, 10.0, 170.0)


def test_the_window_drops_longitude_near_the_poles() -> None:
    north = bounding_window(89.7, 30.0, 80.0)

    assert north.lon_ranges == () and north.lat_max == 90.0
    assert window_contains(north, 89.9, -150.0)
    assert bounding_window(-89.95, 0, 10).lat_min == -90.0
    assert bounding_window(80.0, 0, 100).lon_ranges != ()  # 80°N, 100 km: still narrows


def test_the_window_is_tight_in_ordinary_places() -> None:
    window = bounding_window(52.52, 13.405, 10.0)

    assert window.lat_max - window.lat_min == pytest.approx(2 * 10 / 111.195, rel=1e-3)
    [(west, east)] = window.lon_ranges
    assert east - west == pytest.approx(2 * 10 / (111.195 * math.cos(math.radians(52.52))), rel=1e-2)


# --- PostgreSQL -----------------------------------------------------------------------------------


def _load(rng: random.Random) -> dict[str, tuple[float, float]]:
    points: dict[str, tuple[float, float]] = {}
    for lat, lon, radius in CENTRES:
        for _ in range(40):
            point = random_point_near(rng, lat, lon, radius * 1.3)
            profile = SitterProfileFactory(latitude=point[0], longitude=point[1], service_radius_km=100)
            points[str(profile.pk)] = point
    return points


@pytest.mark.django_db
def test_postgresql_search_matches_haversine(settings: Any) -> None:
    settings.SITTER_SEARCH_CACHE_TTL = 0
    points = _load(random.Random(6))

    for lat, lon, radius in CENTRES:
        query = SearchQuery(filters=Filters(latitude=lat, longitude=lon, radius_km=radius), page_size=50)
        found: dict[str, float] = {}
        page = 1
        while True:
            result = sitter_search(query=SearchQuery(filters=query.filters, page=page, page_size=50))
            found.update({r["id"]: r["distance_km"] for r in result.results})
            if not result.has_next:
                break
            page += 1
        reference = {pk: haversine_km(lat, lon, *point) for pk, point in points.items()}
        expected = {pk for pk, km in reference.items() if km <= radius}
        edge = {pk for pk, km in reference.items() if abs(km - radius) < 1e-6}
        assert set(found) - edge == expected - edge, (lat, lon)
        assert len(expected) > 10
        for pk, km in found.items():
            assert km == pytest.approx(reference[pk], abs=0.05 + 1e-9), pk


@pytest.mark.django_db
def test_the_radius_edge_is_inclusive_to_the_metre(settings: Any) -> None:
    settings.SITTER_SEARCH_CACHE_TTL = 0
    inside = SitterProfileFactory(latitude=0.0, longitude=10 / 111.19508 - 1e-5, service_radius_km=100)  # 9.9989 km
    SitterProfileFactory(latitude=0.0, longitude=10 / 111.19508 + 1e-5, service_radius_km=100)  # 10.0011 km

    page = sitter_search(query=SearchQuery(filters=Filters(latitude=0.0, longitude=0.0, radius_km=10)))

    assert [r["id"] for r in page.results] == [str(inside.pk)]


@pytest.mark.django_db
def test_the_geo_index_can_serve_the_search() -> None:
    """With sequential scans priced out, the plan reaches profiles through the ll_to_earth GiST index.

    The bench checks the real plan on 100,000 sitters; here the point is that
    our predicate is written so the index applies at all.
    """
    for i in range(50):
        SitterProfileFactory(latitude=52.0 + i / 100, longitude=13.0)
    sql, params = sitter_search_statement(
        query=SearchQuery(filters=Filters(latitude=52.52, longitude=13.4, radius_km=10)),
        today=date(2030, 1, 1),
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE sitters_sitterprofile")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "sitters_profile_earth" in plan, plan


@pytest.mark.django_db
def test_earth_of_earthdistance_is_the_sphere_we_convert_from() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT earth()")
        (earth,) = cursor.fetchone()

    assert earth == 6378168.0  # if this moved, distances would still be right (SQL divides by earth())


# --- SQLite (the embedded default): the same statement on a throwaway database ----------------------

_SQLITE_TABLES = """
CREATE TABLE accounts_user (id char(32) PRIMARY KEY, first_name varchar, is_active bool, role varchar);
CREATE TABLE files_storedfile (id char(32) PRIMARY KEY, key varchar, variants text, status varchar, scan varchar,
    owner_id char(32), purpose varchar, content_type varchar, review varchar);
CREATE TABLE sitters_sitterprofile (user_id char(32) PRIMARY KEY, bio text, hourly_rate integer, currency varchar,
    rating_avg decimal, rating_count integer, verification_status varchar, languages text, age_groups_mask integer,
    years_experience integer, latitude real, longitude real, service_radius_km integer, photo_id char(32));
CREATE TABLE sitters_sitterlanguage (id integer PRIMARY KEY, sitter_id char(32), code varchar);
CREATE TABLE sitters_certification (id char(32) PRIMARY KEY, sitter_id char(32), kind varchar, issued_at date,
    expires_at date, document_id char(32));
CREATE TABLE sitters_availabilityspan (id integer PRIMARY KEY, sitter_id char(32), starts_at datetime,
    ends_at datetime);
CREATE TABLE sitters_hold (id char(32) PRIMARY KEY, sitter_id char(32), starts_at datetime, ends_at datetime);
"""


def _sqlite_with(points: list[tuple[float, float]]) -> sqlite3.Connection:
    db = sqlite3.connect(":memory:")
    register_sqlite_functions(db)
    db.executescript(_SQLITE_TABLES)
    for index, (lat, lon) in enumerate(points):
        sid = f"{index:032x}"
        db.execute("INSERT INTO accounts_user VALUES (?, 'Sam', 1, 'sitter')", [sid])
        db.execute(
            "INSERT INTO sitters_sitterprofile VALUES (?, '', 2000, 'eur', NULL, 0, 'verified', '[\"en\"]', 0, 1,"
            " ?, ?, 100, NULL)",
            [sid, lat, lon],
        )
    return db


def _sqlite_search(db: sqlite3.Connection, filters: Filters) -> dict[int, float]:
    sql, params = search_sql(
        filters=filters, today=date(2030, 1, 1), offset=0, limit=10_000, vendor="sqlite", adapt=lambda v: v
    )
    # Django's SQLite wrapper turns %(name)s into :name; do the same for the raw connection.
    for name in params:
        sql = sql.replace(f"%({name})s", f":{name}")
    rows = db.execute(sql, params).fetchall()
    return {int(row[0], 16): row[13] for row in rows}


@pytest.mark.parametrize(("lat", "lon", "radius"), CENTRES)
def test_sqlite_search_matches_haversine(lat: float, lon: float, radius: float) -> None:
    rng = random.Random(f"sqlite {lat},{lon}")
    points = [random_point_near(rng, lat, lon, radius * 1.4) for _ in range(400)]
    db = _sqlite_with(points)

    found = _sqlite_search(db, Filters(latitude=lat, longitude=lon, radius_km=radius))

    reference = {i: haversine_km(lat, lon, *point) for i, point in enumerate(points)}
    expected = {i for i, km in reference.items() if km <= radius}
    edge = {i for i, km in reference.items() if abs(km - radius) < 1e-6}
    assert set(found) - edge == expected - edge
    assert len(expected) > 100
    for i, km in found.items():
        assert km == pytest.approx(reference[i], abs=1e-3)
    distances = list(found.values())
    assert distances == sorted(distances)


def test_sqlite_unit_vectors_are_unit_length() -> None:
    for lat, lon, _radius in CENTRES:
        assert math.fsum(c * c for c in unit_vector(lat, lon)) == pytest.approx(1.0)


def test_sitter_profile_model_has_the_columns_the_sqlite_probe_mimics() -> None:
    """The throwaway SQLite tables above copy the real column names; fail here if the model moves on."""
    columns = {f.column for f in SitterProfile._meta.concrete_fields}

    assert {"user_id", "latitude", "longitude", "service_radius_km", "hourly_rate", "photo_id"} <= columns

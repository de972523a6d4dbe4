"""Geo correctness: PostgreSQL's earthdistance and the SQLite fallback against a haversine reference.

Many random points around centres that stress the maths: ordinary cities,
the date line (±180), and both poles, with radii up to the maximum. Search
measures from each sitter's search point, so the tests put the points there
and a decoy (the antipode) in the real location columns: a statement that
read those would find nobody. The fuzz that makes search points is tested
here too, at the same awkward places.
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
    destination,
    haversine_km,
    offset,
    query_point,
    random_point_in_disc,
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


def antipode(lat: float, lon: float) -> tuple[float, float]:
    return -lat, lon - 180.0 if lon > 0 else lon + 180.0


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


# --- search points: the fuzz ---------------------------------------------------------------------

FUZZ_PLACES = [
    (52.52, 13.405),  # Berlin
    (-18.14, 179.9999),  # just west of the date line
    (65.0, -180.0),  # on it
    (90.0, 0.0),  # the North Pole itself
    (-89.9999, 45.0),  # a metre or so from the South Pole
    (0.0, 0.0),
]


@pytest.mark.parametrize(("lat", "lon"), FUZZ_PLACES)
def test_a_fuzzed_point_is_within_500_m_and_a_valid_coordinate(lat: float, lon: float) -> None:
    rng = random.Random(f"fuzz {lat},{lon}")

    for _ in range(2000):
        fuzzed_lat, fuzzed_lon = random_point_in_disc(lat, lon, 500, rng)

        assert -90.0 <= fuzzed_lat <= 90.0 and -180.0 <= fuzzed_lon <= 180.0
        assert haversine_km(lat, lon, fuzzed_lat, fuzzed_lon) <= 0.500 + 1e-9


@pytest.mark.parametrize(("lat", "lon"), FUZZ_PLACES)
def test_fuzzed_points_are_uniform_over_the_disc(lat: float, lon: float) -> None:
    """Uniform by area: a quarter within 250 m, a tenth beyond 474 m (0.9 of the area), every direction alike.

    4,000 draws: the standard error of a quarter is 0.7 %, so 3 % bounds are
    about four of them, and a radius drawn uniformly (half within 250 m) or a
    bias to one side fails by far.
    """
    rng = random.Random(f"uniform {lat},{lon}")
    draws = [random_point_in_disc(lat, lon, 500, rng) for _ in range(4000)]
    km = [haversine_km(lat, lon, *point) for point in draws]
    centre = unit_vector(lat, lon)
    mean = [math.fsum(unit_vector(*point)[i] for point in draws) / len(draws) for i in range(3)]

    assert sum(d <= 0.250 for d in km) / len(km) == pytest.approx(0.25, abs=0.03)
    assert sum(d > 0.500 * math.sqrt(0.9) for d in km) / len(km) == pytest.approx(0.10, abs=0.02)
    assert min(km) < 0.05 and max(km) > 0.49
    # No direction preferred: the draws' mean lies at the centre (well within 25 m; a half-disc would be ~210 m).
    offset_km = math.dist(mean, centre) * MEAN_EARTH_RADIUS_KM
    assert offset_km < 0.025


def test_query_points_are_rounded_to_three_decimals() -> None:
    assert query_point(52.520008, 13.404954) == (52.52, 13.405)
    assert query_point(-89.9996, 179.9996) == (-90.0, 180.0)


# --- PostgreSQL -----------------------------------------------------------------------------------


def _load(rng: random.Random) -> dict[str, tuple[float, float]]:
    points: dict[str, tuple[float, float]] = {}
    for lat, lon, radius in CENTRES:
        for _ in range(40):
            point = random_point_near(rng, lat, lon, radius * 1.3)
            decoy = antipode(*point)
            profile = SitterProfileFactory(
                latitude=decoy[0],
                longitude=decoy[1],
                search_latitude=point[0],
                search_longitude=point[1],
                service_radius_km=100,
            )
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
    years_experience integer, latitude real, longitude real, search_latitude real, search_longitude real,
    service_radius_km integer, photo_id char(32));
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
            " ?, ?, ?, ?, 100, NULL)",
            [sid, *antipode(lat, lon), lat, lon],
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

    assert {
        "user_id",
        "latitude",
        "longitude",
        "search_latitude",
        "search_longitude",
        "service_radius_km",
        "hourly_rate",
        "photo_id",
    } <= columns


@pytest.mark.parametrize(
    ("lat", "lon", "to_lat", "to_lon"),
    [
        (52.52, 13.405, 52.523, 13.409),  # Berlin, a few hundred metres
        (-16.8, 179.998, -16.801, -179.997),  # across the date line
        (89.9999, 10.0, 89.9995, -170.0),  # over the North Pole
        (-89.9999, 0.0, -89.999, 90.0),  # near the South Pole
    ],
)
def test_offset_and_destination_are_inverse_everywhere(lat: float, lon: float, to_lat: float, to_lon: float) -> None:
    """What keeps a search point's offset when a sitter corrects their pin: go the same way from the new point."""
    angle, bearing = offset(lat, lon, to_lat, to_lon)

    back = destination(lat, lon, angle, bearing)

    assert haversine_km(to_lat, to_lon, *back) < 1e-6
    assert angle * MEAN_EARTH_RADIUS_KM == pytest.approx(haversine_km(lat, lon, to_lat, to_lon), rel=1e-6)

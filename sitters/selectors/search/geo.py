"""Great-circle maths shared by search, the public profile and the tests.

Distances are reported on the mean Earth radius (IUGG, 6371.0088 km).
PostgreSQL's earthdistance works on its own sphere, ``earth()`` = 6378168 m;
the SQL converts between the two with ``earth()`` itself, so this module's
radius is the only one written down in Python.

The SQLite path has no extension: it narrows rows with a latitude band and a
longitude window (both plain column ranges the ``(latitude, longitude)``
index serves) and then runs an exact test on unit vectors in SQL. The band
and window are computed here so they can be unit-tested at the date line and
near the poles.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

MEAN_EARTH_RADIUS_KM = 6371.0088
MEAN_EARTH_RADIUS_M = MEAN_EARTH_RADIUS_KM * 1000.0

# Points searched from are rounded to this many decimals (about 110 m of latitude): with the sitters'
# fuzzed search points and whole-km radii, probing the edges of a search cannot locate anyone better
# than the fuzz.
QUERY_POINT_DECIMALS = 3

# A hair of slack on the SQLite prefilter so floating point never drops a row the exact test keeps.
_PREFILTER_SLACK_DEG = 1e-6


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance on the mean Earth radius (the reference the tests compare against)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlam = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlam / 2) ** 2
    return 2 * MEAN_EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def unit_vector(lat: float, lon: float) -> tuple[float, float, float]:
    """The point on the unit sphere; the dot product of two of them is the cosine of their angle."""
    phi, lam = math.radians(lat), math.radians(lon)
    return (math.cos(phi) * math.cos(lam), math.cos(phi) * math.sin(lam), math.sin(phi))


@dataclass(frozen=True)
class Window:
    """Column ranges that contain every point within a radius (a superset; the exact test follows).

    ``lon_ranges`` is empty when the longitude cannot narrow anything (the
    circle reaches a pole, or spans every meridian); two ranges when it wraps
    across ±180.
    """

    lat_min: float
    lat_max: float
    lon_ranges: tuple[tuple[float, float], ...]


def bounding_window(lat: float, lon: float, radius_km: float) -> Window:
    """The latitude band and longitude window(s) of a spherical cap.

    The cap of angular radius ``d`` around latitude ``phi`` spans latitudes
    ``phi ± d``; when it does not contain a pole, its longitudes are within
    ``asin(sin d / cos phi)`` of the centre (the tangent meridians).
    """
    delta = radius_km / MEAN_EARTH_RADIUS_KM  # radians
    delta_deg = math.degrees(delta) + _PREFILTER_SLACK_DEG
    lat_min, lat_max = lat - delta_deg, lat + delta_deg
    if lat_max >= 90.0 or lat_min <= -90.0 or delta >= math.pi / 2:
        return Window(max(lat_min, -90.0), min(lat_max, 90.0), ())
    ratio = math.sin(delta) / math.cos(math.radians(lat))
    if ratio >= 1.0:
        return Window(lat_min, lat_max, ())
    dlon = math.degrees(math.asin(ratio)) + _PREFILTER_SLACK_DEG
    if dlon >= 180.0:
        return Window(lat_min, lat_max, ())
    west, east = lon - dlon, lon + dlon
    if west < -180.0:
        ranges: tuple[tuple[float, float], ...] = ((west + 360.0, 180.0), (-180.0, east))
    elif east > 180.0:
        ranges = ((west, 180.0), (-180.0, east - 360.0))
    else:
        ranges = ((west, east),)
    return Window(lat_min, lat_max, ranges)


def window_contains(window: Window, lat: float, lon: float) -> bool:
    """The prefilter as Python, for tests: what the SQL ranges let through."""
    if not window.lat_min <= lat <= window.lat_max:
        return False
    return not window.lon_ranges or any(low <= lon <= high for low, high in window.lon_ranges)


def _basis(lat: float, lon: float) -> tuple[tuple[float, ...], tuple[float, ...], tuple[float, ...]]:
    """The point's unit vector and the (east, north) tangent basis there: orthonormal everywhere, poles included."""
    phi, lam = math.radians(lat), math.radians(lon)
    east = (-math.sin(lam), math.cos(lam), 0.0)
    north = (-math.sin(phi) * math.cos(lam), -math.sin(phi) * math.sin(lam), math.cos(phi))
    return unit_vector(lat, lon), east, north


def destination(lat: float, lon: float, angle: float, bearing: float) -> tuple[float, float]:
    """The point ``angle`` radians of great circle from (lat, lon) towards ``bearing`` (radians from north)."""
    centre, east, north = _basis(lat, lon)
    along, across = math.cos(angle), math.sin(angle)
    x, y, z = (
        centre[i] * along + (north[i] * math.cos(bearing) + east[i] * math.sin(bearing)) * across for i in range(3)
    )
    new_lat = math.degrees(math.asin(max(-1.0, min(1.0, z))))
    new_lon = math.degrees(math.atan2(y, x))
    return max(-90.0, min(90.0, new_lat)), max(-180.0, min(180.0, new_lon))


def offset(lat: float, lon: float, to_lat: float, to_lon: float) -> tuple[float, float]:
    """``(angle, bearing)`` from one point to another: what :func:`destination` takes to go there again."""
    centre, east, north = _basis(lat, lon)
    target = unit_vector(to_lat, to_lon)
    along = sum(c * t for c, t in zip(centre, target, strict=True))
    angle = math.acos(max(-1.0, min(1.0, along)))
    bearing = math.atan2(
        sum(e * t for e, t in zip(east, target, strict=True)), sum(n * t for n, t in zip(north, target, strict=True))
    )
    return angle, bearing


def random_point_in_disc(lat: float, lon: float, radius_m: float, rng: random.Random) -> tuple[float, float]:
    """A point uniformly distributed over the spherical cap of ``radius_m`` around (lat, lon).

    Worked on unit vectors (:func:`destination`), so it is right everywhere,
    the poles and the date line included. The angle from the centre is drawn
    so the cap's area, not its radius, is uniform (area grows as ``1 - cos``).
    """
    max_angle = radius_m / MEAN_EARTH_RADIUS_M
    angle = math.acos(1.0 - rng.random() * (1.0 - math.cos(max_angle)))
    return destination(lat, lon, angle, rng.uniform(0.0, 2.0 * math.pi))


def query_point(lat: float, lon: float) -> tuple[float, float]:
    """The point a search or a viewer's distance is measured from, rounded (see ``QUERY_POINT_DECIMALS``)."""
    return round(lat, QUERY_POINT_DECIMALS), round(lon, QUERY_POINT_DECIMALS)


def round_km(distance_km: float) -> float:
    """Distances leave the server rounded to 100 m (never the exact location)."""
    return round(distance_km, 1)

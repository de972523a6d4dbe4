"""The world the 100k sitters live in: metro areas, weekly availability patterns and their UTC spans."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from zoneinfo import ZoneInfo

HORIZON_DAYS = 60  # settings.SITTER_AVAILABILITY_HORIZON_DAYS
UTC = dt.UTC

# --- the world ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Metro:
    name: str
    lat: float
    lon: float
    tz: str
    weight: float  # share of the sitters (normalised)
    sigma_km: float  # spread of the dense core
    languages: tuple[str, ...]  # spoken by nearly every sitter there
    rate: int  # going hourly rate, minor units


METROS: tuple[Metro, ...] = (
    Metro("Berlin", 52.5200, 13.4050, "Europe/Berlin", 7.0, 11, ("de",), 1500),
    Metro("Hamburg", 53.5511, 9.9937, "Europe/Berlin", 3.0, 9, ("de",), 1500),
    Metro("Munich", 48.1374, 11.5755, "Europe/Berlin", 3.0, 9, ("de",), 1700),
    Metro("London", 51.5072, -0.1276, "Europe/London", 8.0, 14, ("en",), 1800),
    Metro("Manchester", 53.4808, -2.2426, "Europe/London", 2.5, 9, ("en",), 1400),
    Metro("Paris", 48.8566, 2.3522, "Europe/Paris", 6.0, 11, ("fr",), 1600),
    Metro("Madrid", 40.4168, -3.7038, "Europe/Madrid", 3.5, 10, ("es",), 1200),
    Metro("Rome", 41.9028, 12.4964, "Europe/Rome", 2.5, 9, ("it",), 1200),
    Metro("Amsterdam", 52.3676, 4.9041, "Europe/Amsterdam", 2.5, 8, ("nl",), 1700),
    Metro("Warsaw", 52.2297, 21.0122, "Europe/Warsaw", 2.5, 9, ("pl",), 900),
    Metro("Stockholm", 59.3293, 18.0686, "Europe/Stockholm", 2.0, 9, ("sv",), 1800),
    Metro("Oslo", 59.9139, 10.7522, "Europe/Oslo", 1.5, 8, ("nb", "no"), 2200),
    Metro("Tromso", 69.6492, 18.9553, "Europe/Oslo", 0.6, 5, ("nb", "no"), 2200),
    Metro("Longyearbyen", 78.2232, 15.6267, "Arctic/Longyearbyen", 0.1, 3, ("nb", "no"), 2400),
    Metro("Reykjavik", 64.1466, -21.9426, "Atlantic/Reykjavik", 0.6, 6, ("is",), 2300),
    Metro("New York", 40.7128, -74.0060, "America/New_York", 9.0, 14, ("en",), 2400),
    Metro("Chicago", 41.8781, -87.6298, "America/Chicago", 3.5, 12, ("en",), 2000),
    Metro("Los Angeles", 34.0522, -118.2437, "America/Los_Angeles", 5.0, 18, ("en",), 2300),
    Metro("Toronto", 43.6532, -79.3832, "America/Toronto", 3.0, 12, ("en",), 2000),
    Metro("Mexico City", 19.4326, -99.1332, "America/Mexico_City", 3.0, 14, ("es",), 800),
    Metro("Sao Paulo", -23.5505, -46.6333, "America/Sao_Paulo", 3.5, 15, ("pt",), 800),
    Metro("Buenos Aires", -34.6037, -58.3816, "America/Argentina/Buenos_Aires", 2.0, 12, ("es",), 800),
    Metro("Anchorage", 61.2181, -149.9003, "America/Anchorage", 0.6, 8, ("en",), 2200),
    Metro("Honolulu", 21.3069, -157.8583, "Pacific/Honolulu", 0.6, 7, ("en",), 2300),
    Metro("Sydney", -33.8688, 151.2093, "Australia/Sydney", 4.0, 15, ("en",), 2800),
    Metro("Melbourne", -37.8136, 144.9631, "Australia/Melbourne", 3.0, 14, ("en",), 2700),
    Metro("Auckland", -36.8485, 174.7633, "Pacific/Auckland", 1.8, 10, ("en",), 2500),
    Metro("Wellington", -41.2865, 174.7762, "Pacific/Auckland", 0.8, 6, ("en",), 2500),
    Metro("Suva", -18.1248, 178.4501, "Pacific/Fiji", 0.6, 6, ("en", "fj"), 900),
    Metro("Taveuni", -16.8500, 179.9800, "Pacific/Fiji", 0.25, 12, ("en", "fj"), 900),
    Metro("Tokyo", 35.6762, 139.6503, "Asia/Tokyo", 5.0, 16, ("ja",), 1800),
    Metro("Singapore", 1.3521, 103.8198, "Asia/Singapore", 2.0, 8, ("en", "zh"), 1500),
    Metro("Dubai", 25.2048, 55.2708, "Asia/Dubai", 1.5, 10, ("en", "ar"), 1600),
    Metro("Nairobi", -1.2921, 36.8219, "Africa/Nairobi", 1.2, 9, ("en", "sw"), 500),
    Metro("Cape Town", -33.9249, 18.4241, "Africa/Johannesburg", 1.5, 10, ("en", "af"), 700),
)
RURAL_SHARE = 0.15
RURAL_RADIUS_KM = 150.0
EXTRA_LANGUAGES = ("en", "fr", "es", "de", "it", "pl", "tr", "ar", "ru", "zh", "pt", "uk")

FIRST_NAMES = ("Anna", "Ben", "Chloe", "David", "Emma", "Felix", "Grace", "Hana", "Ivan", "Julia", "Kai", "Lea")
LAST_NAMES = ("Schmidt", "Smith", "Garcia", "Rossi", "Dubois", "Nowak", "Tanaka", "Silva", "Jensen", "Kumar")

# Weekly patterns: weekday (0 Monday) -> [(start minute, end minute)] in local time; {h} shifts by hours.
# Each is (weight, builder(rng) -> windows); the windows are merged within a day before use.
Windows = dict[int, list[tuple[int, int]]]


def _evenings(shift: int) -> Windows:
    return {day: [(17 * 60 + shift * 60, 22 * 60 + shift * 60)] for day in range(5)}


def _weekend_days(shift: int) -> Windows:
    return {day: [(8 * 60 + shift * 60, 17 * 60 + shift * 60)] for day in (5, 6)}


def _school_hours(shift: int) -> Windows:
    return {day: [(7 * 60 + 30 + shift * 30, 15 * 60 + shift * 30)] for day in range(5)}


def _nights(days: tuple[int, ...]) -> Windows:
    # 20:00 to 07:00 the next morning: two windows, merged into one span across midnight.
    windows: Windows = {}
    for day in days:
        windows.setdefault(day, []).append((20 * 60, 24 * 60))
        windows.setdefault((day + 1) % 7, []).append((0, 7 * 60))
    return windows


def _union(*parts: Windows) -> Windows:
    merged: Windows = {}
    for part in parts:
        for day, ranges in part.items():
            merged.setdefault(day, []).extend(ranges)
    result: Windows = {}
    for day, ranges in merged.items():
        ranges.sort()
        out: list[tuple[int, int]] = []
        for start, end in ranges:
            if out and start <= out[-1][1]:
                out[-1] = (out[-1][0], max(out[-1][1], end))
            else:
                out.append((start, end))
        result[day] = out
    return result


# (weight, template key); templates are built from the key so they can be cached per time zone.
TEMPLATES: tuple[tuple[float, tuple[str, int]], ...] = (
    *((0.06, ("evenings+weekend", s)) for s in range(6)),  # 36%: the student sitter
    *((0.05, ("evenings", s)) for s in range(4)),  # 20%
    *((0.05, ("school+weekend", s)) for s in range(3)),  # 15%: the nanny
    *((0.05, ("evenings+nights", s)) for s in range(3)),  # 15%
    *((0.05, ("weekend+nights", s)) for s in range(2)),  # 10%
    *((0.04, ("school", s)) for s in range(1)),  # 4%
)


def template_windows(key: tuple[str, int]) -> Windows:
    name, variant = key
    shift = variant % 3 - (1 if variant >= 3 else 0)  # -1, 0, +1 hours
    nights = ((4, 5), (2, 4, 5), (0, 5))[variant % 3]
    parts: dict[str, tuple[Windows, ...]] = {
        "evenings+weekend": (_evenings(shift), _weekend_days(variant % 2)),
        "evenings": (_evenings(shift),),
        "school+weekend": (_school_hours(variant), _weekend_days(0)),
        "evenings+nights": (_evenings(0), _nights(nights)),
        "weekend+nights": (_weekend_days(variant), _nights(nights)),
        "school": (_school_hours(0),),
    }
    return _union(*parts[name])


def _utc(zone: ZoneInfo, day: dt.date, minute: int) -> str:
    local = dt.datetime.combine(day, dt.time()) + dt.timedelta(minutes=minute)
    return local.replace(tzinfo=zone).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S+00")


@cache
def template_spans(key: tuple[str, int], tz: str, first_day: dt.date, days: int) -> tuple[tuple[str, str, str], ...]:
    """The UTC spans of one weekly template in one zone: windows laid on dates, merged across midnight.

    Returns (local date, start, end) per span; computed once per (template, zone).
    """
    windows = template_windows(key)
    zone = ZoneInfo(tz)
    local: list[tuple[int, int]] = []  # minutes from first_day's local midnight
    for index in range(days):
        day = first_day + dt.timedelta(days=index)
        for start, end in windows.get(day.weekday(), []):
            local.append((index * 1440 + start, index * 1440 + end))
    local.sort()
    merged: list[tuple[int, int]] = []
    for start, end in local:
        if merged and start <= merged[-1][1]:  # touching pieces are one span (Mon 20-24 + Tue 0-7)
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    spans = []
    for start, end in merged:
        start_utc = _utc(zone, first_day, start)
        end_utc = _utc(zone, first_day, end)
        if start_utc < end_utc:
            spans.append(((first_day + dt.timedelta(days=start // 1440)).isoformat(), start_utc, end_utc))
    return tuple(spans)


def search_day(today: dt.date) -> dt.date:
    """The day the typical "tomorrow evening" searches ask about: tomorrow, or Monday if that is a weekend."""
    day = today + dt.timedelta(days=1)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day

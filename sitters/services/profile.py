"""Sitter profile services: made on first access, changed by the sitter.

``sitter_profile_update`` is the only writer of the profile's own fields. It
keeps ``SitterProfile.languages`` (the sitter's order) and the
``SitterLanguage`` rows (the search index) in step, turns age groups into
the bitmask search filters on, draws a new search point when the location
changes, and re-materialises the calendar when the time zone changes, all in
one transaction under the profile's row lock.

The search point (``search_latitude``/``search_longitude``) is what search
and every distance shown to other people use. With exact distances, a few
searches from chosen points would triangulate a sitter's home; with a point
moved once by up to ``SEARCH_POINT_FUZZ_M`` (and searches held to whole-km
radii around points rounded to about 100 m, see ``sitters.selectors.search.query``) the
best anyone can learn is "within about half a kilometre".
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Iterable
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import transaction

from accounts.models import Role, User
from files.models import Purpose, StoredFile
from files.selectors import file_get_usable
from guardiannest.audit.services import audit_record
from guardiannest.errors import ApplicationError, invalid, not_found
from sitters.cache import sitter_changed_on_commit
from sitters.errors import SitterError, clean_text_field
from sitters.languages import unknown_languages
from sitters.models import AGE_GROUPS, SitterLanguage, SitterProfile, age_groups_to_mask
from sitters.models.profile import (
    MAX_BIO_LENGTH,
    MAX_HOURLY_RATE,
    MAX_SERVICE_RADIUS_KM,
    MAX_YEARS_EXPERIENCE,
    SEARCH_POINT_FUZZ_M,
)
from sitters.selectors.search.geo import destination, haversine_km, offset, random_point_in_disc
from sitters.services.calendar.availability import calendar_timezone_changed, timezone_is_valid
from sitters.services.locks import sitter_profile_lock

MAX_LANGUAGES = 20
# A location change shorter than this keeps the search point's offset (see _move_search_point).
SEARCH_POINT_REDRAW_KM = 2.0
COORDINATE_DECIMALS = 6
# The operating system's randomness: a seeded generator would let someone who learns the seed undo the fuzz.
_FUZZ_RANDOM = secrets.SystemRandom()
# What a sitter may change; verification, rating and the calendar horizon belong to other services.
PROFILE_FIELDS = (
    "bio",
    "hourly_rate",
    "years_experience",
    "languages",
    "age_groups",
    "latitude",
    "longitude",
    "service_radius_km",
    "timezone",
    "photo_id",
)


def sitter_profile_for(*, user: User) -> SitterProfile:
    """The sitter's own profile, made empty (unverified, no rate, no location) on first access.

    Refuses anyone who is not a sitter (``not_a_sitter``, forbidden).
    """
    if user.role != Role.SITTER:
        raise ApplicationError(SitterError.NOT_A_SITTER, "Only sitters have a sitter profile.")
    profile = SitterProfile.objects.select_related("photo").filter(user=user).first()
    if profile is not None:
        return profile
    with transaction.atomic():
        profile, _ = SitterProfile.objects.get_or_create(user=user, defaults={"currency": settings.PLATFORM_CURRENCY})
    return profile


def search_point_for(latitude: float, longitude: float, *, rng: random.Random = _FUZZ_RANDOM) -> tuple[float, float]:
    """Where search and other people's distances put a sitter: the real point moved up to SEARCH_POINT_FUZZ_M.

    Drawn once per location and kept until the sitter moves: a fresh draw per
    query would average out over a few queries, a fixed one cannot.
    """
    return random_point_in_disc(latitude, longitude, SEARCH_POINT_FUZZ_M, rng)


def normalise_languages(codes: Iterable[str]) -> list[str]:
    """Lower-cased ISO 639-1 codes, first occurrence kept; 400 ``languages`` for unknown codes or too many."""
    result: list[str] = []
    for code in codes:
        value = str(code).strip().lower()
        if value not in result:
            result.append(value)
    unknown = unknown_languages(result)
    if unknown:
        raise invalid("languages", f"Not ISO 639-1 language codes: {', '.join(unknown)}.")
    if len(result) > MAX_LANGUAGES:
        raise invalid("languages", f"At most {MAX_LANGUAGES} languages.")
    return result


def age_groups_mask(groups: Iterable[str]) -> int:
    groups = list(groups)
    unknown = [group for group in groups if group not in AGE_GROUPS]
    if unknown:
        raise invalid("age_groups", f"Unknown age group {unknown[0]!r}.")
    return age_groups_to_mask(groups)


def _photo(profile: SitterProfile, photo_id: UUID | str | None) -> StoredFile | None:
    if photo_id is None:
        return None
    return file_get_usable(file_id=photo_id, owner_id=profile.user_id, purpose=Purpose.AVATAR, field="photo_id")


def _clean(profile: SitterProfile, fields: dict[str, Any]) -> dict[str, Any]:
    """Validated model values for the given API-level fields (a service may be called without the API)."""
    unknown = sorted(set(fields) - set(PROFILE_FIELDS))
    if unknown:
        raise ValueError(f"sitter_profile_update: unknown fields {unknown}")
    values: dict[str, Any] = {}
    if "bio" in fields:
        values["bio"] = clean_text_field("bio", fields["bio"], max_length=MAX_BIO_LENGTH)
    if "hourly_rate" in fields:
        rate = fields["hourly_rate"]
        if rate is not None and not (isinstance(rate, int) and 0 <= rate <= MAX_HOURLY_RATE):
            raise invalid("hourly_rate", f"A rate is 0 to {MAX_HOURLY_RATE} minor units per hour.")
        values["hourly_rate"] = rate
        values["currency"] = settings.PLATFORM_CURRENCY
    if "years_experience" in fields:
        years = fields["years_experience"]
        if not (isinstance(years, int) and 0 <= years <= MAX_YEARS_EXPERIENCE):
            raise invalid("years_experience", f"Years of experience are 0 to {MAX_YEARS_EXPERIENCE}.")
        values["years_experience"] = years
    if "languages" in fields:
        values["languages"] = normalise_languages(fields["languages"] or [])
    if "age_groups" in fields:
        values["age_groups_mask"] = age_groups_mask(fields["age_groups"] or [])
    for name, limit in (("latitude", 90), ("longitude", 180)):
        if name in fields:
            value = fields[name]
            if value is not None:
                value = round(float(value), COORDINATE_DECIMALS)
                if not -limit <= value <= limit:
                    raise invalid(name, f"Must be between -{limit} and {limit}.")
            values[name] = value
    if "service_radius_km" in fields:
        radius = fields["service_radius_km"]
        if not (isinstance(radius, int) and 1 <= radius <= MAX_SERVICE_RADIUS_KM):
            raise invalid("service_radius_km", f"The service radius is 1 to {MAX_SERVICE_RADIUS_KM} km.")
        values["service_radius_km"] = radius
    if "timezone" in fields:
        if not timezone_is_valid(str(fields["timezone"])):
            raise invalid("timezone", "Not an IANA time zone name (such as Europe/Berlin).")
        values["timezone"] = fields["timezone"]
    if "photo_id" in fields:
        values["photo"] = _photo(profile, fields["photo_id"])
    return values


def _move_search_point(profile: SitterProfile, *, was: tuple[float | None, float | None]) -> None:
    """The search point for a changed location; none without one.

    A move of less than ``SEARCH_POINT_REDRAW_KM`` (a corrected pin, GPS
    jitter) keeps the same offset from the real point: a new
    draw for each small edit would let someone who pins each search point
    average them back to the home. A real move draws afresh.
    """
    if profile.latitude is None or profile.longitude is None:
        profile.search_latitude = profile.search_longitude = None
        return
    old_lat, old_lon = was
    if (
        old_lat is not None
        and old_lon is not None
        and profile.search_latitude is not None
        and profile.search_longitude is not None
        and haversine_km(old_lat, old_lon, profile.latitude, profile.longitude) < SEARCH_POINT_REDRAW_KM
    ):
        angle, bearing = offset(old_lat, old_lon, profile.search_latitude, profile.search_longitude)
        profile.search_latitude, profile.search_longitude = destination(
            profile.latitude, profile.longitude, angle, bearing
        )
        return
    profile.search_latitude, profile.search_longitude = search_point_for(profile.latitude, profile.longitude)


def sitter_profile_update(*, profile: SitterProfile, actor: User, **fields: Any) -> SitterProfile:
    """Change some of the profile's fields (API names: ``age_groups``, ``photo_id`` …); 400 naming a bad one.

    Latitude and longitude come as a pair: after the change both are set or
    both are empty. A changed location draws a new search point (see
    :func:`search_point_for`); other changes keep it. The audit event names
    the changed fields, never values (a sitter's location is personal). A
    time zone change re-materialises the calendar in the same transaction,
    since every span is local to it.
    """
    with transaction.atomic():
        locked = sitter_profile_lock(sitter_id=profile.pk)
        if locked is None:
            raise not_found()
        values = _clean(locked, fields)
        changed = {key: value for key, value in values.items() if getattr(locked, key) != value}
        if not changed:
            return locked
        was = (locked.latitude, locked.longitude)
        for key, value in changed.items():
            setattr(locked, key, value)
        if (locked.latitude is None) != (locked.longitude is None):
            missing = "longitude" if locked.longitude is None else "latitude"
            raise invalid(missing, "Send latitude and longitude together (or both null).")
        update_fields = [*changed, "updated_at"]
        if {"latitude", "longitude"} & set(changed):
            _move_search_point(locked, was=was)
            update_fields += ["search_latitude", "search_longitude"]
        locked.save(update_fields=update_fields)
        if "languages" in changed:
            SitterLanguage.objects.filter(sitter=locked).delete()
            SitterLanguage.objects.bulk_create([SitterLanguage(sitter=locked, code=code) for code in locked.languages])
        if "timezone" in changed:
            calendar_timezone_changed(profile=locked, actor=actor)
        sitter_changed_on_commit(locked.pk)
        audit_record(action="sitter.profile_updated", actor=actor, target=locked, data={"fields": sorted(changed)})
    return locked

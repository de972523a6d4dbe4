"""A sitter's public profile: what any signed-in user may see, cached, with an ETag.

Visible means: an active sitter account with a complete profile (rate and
location). Anything else, and unknown ids, is "not found".

The viewer-independent part (the body and its ETag) is cached per sitter in
Redis (:mod:`sitters.cache`) for the day it was built (certification badges
expire by date). A parent whose family profile has coordinates also gets
``distance_km``, rounded to 100 m, from their point (rounded like a search's)
to the sitter's search point kept in the cache entry: the location moved by
up to ``SEARCH_POINT_FUZZ_M``, never the real one, since a parent may change
their own coordinates at will and would otherwise triangulate the sitter's
home. The sitter's coordinates and service radius never leave the server.
So a revalidation (``If-None-Match``) by anyone but such a parent needs
Redis only, and by such a parent one small query.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.db import connection
from django.utils import timezone

from accounts.models import Role
from accounts.selectors.family import family_home_point
from files.storage import AbsoluteUrls
from guardiannest.errors import not_found
from sitters import cache
from sitters.selectors.reliability import reliability_of
from sitters.selectors.search import sitter_profile_statement
from sitters.selectors.search.geo import haversine_km, query_point, round_km
from sitters.selectors.search.rows import location_of_row, public_profile_from_row, ttl_for_links


@dataclass(frozen=True)
class PublicProfile:
    body: dict[str, Any]
    etag: str  # strong: a hash of the body exactly as served


def etag_of(body: dict[str, Any]) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return f'"{hashlib.sha256(canonical.encode()).hexdigest()[:32]}"'


def public_profile_base(*, sitter_id: UUID, request: AbsoluteUrls | None = None) -> dict[str, Any]:
    """``{"body", "etag", "search_point"}`` of a visible sitter, from the cache or one query; NotFound otherwise."""
    today = timezone.localdate()
    cached, stamp = cache.profile_cached(sitter_id, today=today)
    if cached is not None:
        return cached
    sql, params = sitter_profile_statement(sitter_id=sitter_id, today=today)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        raise not_found()
    body = {**public_profile_from_row(row, request), "reliability": reliability_of(sitter_id=sitter_id)}
    value = {"body": body, "etag": etag_of(body), "search_point": location_of_row(row)}
    cache.profile_store(sitter_id, value, stamp=stamp, today=today, ttl=ttl_for_links(cache.profile_ttl(), [body]))
    return value


def _viewer_point(viewer: Any) -> tuple[float, float] | None:
    """A parent's family coordinates, if they gave them."""
    if getattr(viewer, "role", None) != Role.PARENT:
        return None
    point = family_home_point(parent_id=viewer.pk)  # decrypted in Python: the column is encrypted at rest
    if point is None:
        return None
    return query_point(float(point[0]), float(point[1]))


def public_profile_get(*, sitter_id: UUID, viewer: Any, request: AbsoluteUrls | None = None) -> PublicProfile:
    """The profile as ``viewer`` sees it: with ``distance_km`` for a parent whose family has coordinates."""
    base = public_profile_base(sitter_id=sitter_id, request=request)
    point = _viewer_point(viewer)
    if point is None:
        return PublicProfile(body=base["body"], etag=base["etag"])
    latitude, longitude = base["search_point"]
    body = {**base["body"], "distance_km": round_km(haversine_km(point[0], point[1], latitude, longitude))}
    return PublicProfile(body=body, etag=etag_of(body))

"""Rows of the search statement turned into the public profile's wire shape: plain dicts, no models.

A search page builds twenty of these per request, so this stays cheap:
tuples in, dicts out, and a model instance only for a row with a photo (the
files app decides whether and how a photo may be linked).
"""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from typing import Any

from files import policies
from files.models import Purpose, StoredFile
from files.services.links import file_link
from files.storage import AbsoluteUrls
from guardiannest.money import money
from sitters.models import VerificationStatus, age_groups_from_mask
from sitters.selectors.search.geo import round_km
from sitters.selectors.search.sql import ROW_COLUMNS

# The avatar variant a profile shows (640 px, metadata stripped, public on the CDN when there is one).
PHOTO_VARIANT = "medium"

_INDEX = {name: index for index, name in enumerate(ROW_COLUMNS)}
_SID, _DIST = _INDEX["sid"], _INDEX["dist"]
_LAT, _LON = _INDEX["search_latitude"], _INDEX["search_longitude"]
_PHOTO_ID = _INDEX["photo_id"]


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str | bytes) else value


def _uuid(value: Any) -> uuid.UUID:
    """PostgreSQL hands back UUIDs, SQLite the 32 hex digits Django stores."""
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def _rating(value: Any) -> float | None:
    if value is None:
        return None
    return float(round(Decimal(str(value)), 2))


def _photo_url(row: tuple[Any, ...], sitter_id: str, request: AbsoluteUrls | None) -> str | None:
    if row[_PHOTO_ID] is None:
        return None
    owner_id = row[_INDEX["photo_owner_id"]]
    if row[_INDEX["photo_purpose"]] != Purpose.AVATAR or owner_id is None or str(_uuid(owner_id)) != sitter_id:
        return None
    file = StoredFile(
        id=_uuid(row[_PHOTO_ID]),
        key=row[_INDEX["photo_key"]],
        variants=_json(row[_INDEX["photo_variants"]]) or {},
        status=row[_INDEX["photo_status"]],
        scan=row[_INDEX["photo_scan"]],
        owner_id=_uuid(owner_id),
        purpose=row[_INDEX["photo_purpose"]],
        content_type=row[_INDEX["photo_content_type"]],
    )
    return file_link(file=file, variant=PHOTO_VARIANT, request=request)


def _date(value: Any) -> str | None:
    return None if value is None else str(value)[:10]


def public_profile_from_row(row: tuple[Any, ...], request: AbsoluteUrls | None) -> dict[str, Any]:
    """``GET sitters/{id}``'s body (without ``distance_km``); never the location or the service radius."""
    sitter_id = str(_uuid(row[_SID]))
    badges = _json(row[_INDEX["certifications"]]) or []
    return {
        "id": sitter_id,
        "first_name": row[_INDEX["first_name"]],
        "bio": row[_INDEX["bio"]],
        "hourly_rate": money(row[_INDEX["rate"]], row[_INDEX["currency"]]),
        "rating_avg": _rating(row[_INDEX["rating"]]),
        "rating_count": row[_INDEX["rating_count"]],
        "verified": row[_INDEX["verification_status"]] == VerificationStatus.VERIFIED,
        "languages": list(_json(row[_INDEX["languages"]]) or []),
        "age_groups": age_groups_from_mask(row[_INDEX["age_groups_mask"]] or 0),
        "years_experience": row[_INDEX["years_experience"]],
        "certifications": [
            {"kind": badge["kind"], "issued_at": _date(badge["issued_at"]), "expires_at": _date(badge["expires_at"])}
            for badge in badges
        ],
        "photo_url": _photo_url(row, sitter_id, request),
    }


def search_result_from_row(row: tuple[Any, ...], request: AbsoluteUrls | None) -> dict[str, Any]:
    result = public_profile_from_row(row, request)
    result["distance_km"] = round_km(float(row[_DIST]))
    return result


def location_of_row(row: tuple[Any, ...]) -> tuple[float, float]:
    """The sitter's search point (not the real location), for a viewer's distance; kept server-side only."""
    return float(row[_LAT]), float(row[_LON])


def ttl_for_links(ttl: int, bodies: list[dict[str, Any]]) -> int:
    """A cached body must not outlive its photo links: a signed link lives ``FILES_URL_TTL`` seconds.

    Served from the cache, a link keeps at least half its life. CDN links of
    public avatar variants do not expire.
    """
    if policies.cdn_domain() or not any(body.get("photo_url") for body in bodies):
        return ttl
    return min(ttl, max(1, policies.url_ttl() // 2))

"""Redis caches of public profiles and hot searches, and their invalidation.

What invalidates, and how. A sitter's cached profile and every cached search
go stale after the commit of any transaction that changes what a public
profile or a search result shows or filters on:

- the sitters services call :func:`sitter_changed_on_commit` inside their
  transaction: profile fields and photo, certifications, verification,
  reviews and ratings, windows, exceptions, spans and holds;
- the availability beat job calls :func:`sitters_changed_on_commit` once per
  batch, for the sitters whose spans it changed (one search-generation bump
  for the batch, not one per sitter);
- changes made outside this app reach it through the observers in
  :mod:`sitters.signals`: the sitter's account (``first_name`` shown,
  ``is_active`` and ``role`` filtered on; whichever code saves it: the
  accounts services, the admin) and the files shown on profiles (avatar,
  certification documents: staff review, deletion, a scan's verdict).
  A save naming other ``update_fields`` (a login's ``last_login``)
  invalidates nothing.

Nothing is invalidated for a transaction that rolls back.

Key layout (under the cache's KEY_PREFIX):

- ``sitters:profile:<id>``: the viewer-independent public profile, with the
  day it was built for (certifications expire by date) and the sitter's
  version it was built under.
- ``sitters:profile-version:<id>``: a random token, replaced by every change
  of the sitter.
- ``sitters:search:<sha256 of the normalised query, page and day>``: one page,
  with the search generation it was built under.
- ``sitters:search-generation``: a random token, replaced by every
  invalidation (of one sitter or of a batch), so every cached search goes
  stale at once.

A reader fetches the token and the entry in one MGET and trusts the entry
only if its token is the current one. The token is read *before* the
database, so a page built from data that changed meanwhile carries the old
token and is never served (no stale write can win a race with an
invalidation). Random tokens, not counters: a counter that Redis evicted and
restarted could meet an old entry with the same number.

Redis trouble never fails a request: reads count as misses, writes are
skipped, and a warning is logged. ``SITTER_*_CACHE_TTL = 0`` turns a cache off.
Hit rates: ``guardiannest_sitter_cache_requests_total{cache, result}``.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any, TypeVar
from uuid import UUID

import structlog
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from prometheus_client import Counter

logger = structlog.get_logger("guardiannest.sitters.cache")

T = TypeVar("T")

SEARCH_GENERATION_KEY = "sitters:search-generation"
# A version token outlives any entry built under the token before it (TTL + a slow request).
_VERSION_GRACE_SECONDS = 600

CACHE_REQUESTS = Counter(
    "guardiannest_sitter_cache_requests",
    "Reads of the sitter caches: public profiles and search pages, hit or miss.",
    ["cache", "result"],
)


class _Unavailable:
    """The stamp of a read that failed: the entry built next is not written back."""


UNAVAILABLE = _Unavailable()
Stamp = str | None | _Unavailable


def _profile_key(sitter_id: UUID | str) -> str:
    return f"sitters:profile:{sitter_id}"


def _profile_version_key(sitter_id: UUID | str) -> str:
    return f"sitters:profile-version:{sitter_id}"


def _search_key(material: str) -> str:
    return f"sitters:search:{hashlib.sha256(material.encode()).hexdigest()}"


def _guarded(what: str, call: Callable[[], T], fallback: T) -> T:
    try:
        return call()
    except Exception as exc:  # Redis down or slow: the database answers instead
        logger.warning("sitter_cache_unavailable", operation=what, error=repr(exc))
        return fallback


def profile_ttl() -> int:
    return max(0, int(settings.SITTER_PROFILE_CACHE_TTL))


def search_ttl() -> int:
    return max(0, int(settings.SITTER_SEARCH_CACHE_TTL))


# --- public profiles ----------------------------------------------------------------------------


def profile_cached(sitter_id: UUID | str, *, today: date) -> tuple[dict[str, Any] | None, Stamp]:
    """The cached entry for ``today`` if still current, and the stamp to store a fresh one under."""
    if not profile_ttl():
        return None, UNAVAILABLE
    version_key, key = _profile_version_key(sitter_id), _profile_key(sitter_id)
    found = _guarded("profile_get", lambda: cache.get_many([version_key, key]), None)
    if found is None:
        CACHE_REQUESTS.labels(cache="profile", result="miss").inc()
        return None, UNAVAILABLE
    version, entry = found.get(version_key), found.get(key)
    if isinstance(entry, dict) and entry.get("version") == version and entry.get("day") == today.isoformat():
        CACHE_REQUESTS.labels(cache="profile", result="hit").inc()
        return entry["value"], version
    CACHE_REQUESTS.labels(cache="profile", result="miss").inc()
    return None, version


def profile_store(sitter_id: UUID | str, value: dict[str, Any], *, stamp: Stamp, today: date, ttl: int) -> None:
    """Keep ``value`` for at most ``ttl`` seconds (callers shorten it for signed photo links)."""
    if isinstance(stamp, _Unavailable) or ttl <= 0:
        return
    entry = {"version": stamp, "day": today.isoformat(), "value": value}
    _guarded("profile_set", lambda: cache.set(_profile_key(sitter_id), entry, ttl), None)


# --- searches ------------------------------------------------------------------------------------


def search_cached(material: str) -> tuple[Any, Stamp]:
    """The page cached under ``material`` (the normalised query, page and day) if no sitter changed since."""
    if not search_ttl():
        return None, UNAVAILABLE
    key = _search_key(material)
    found = _guarded("search_get", lambda: cache.get_many([SEARCH_GENERATION_KEY, key]), None)
    if found is None:
        CACHE_REQUESTS.labels(cache="search", result="miss").inc()
        return None, UNAVAILABLE
    generation, entry = found.get(SEARCH_GENERATION_KEY), found.get(key)
    if isinstance(entry, dict) and entry.get("generation") == generation:
        CACHE_REQUESTS.labels(cache="search", result="hit").inc()
        return entry["value"], generation
    CACHE_REQUESTS.labels(cache="search", result="miss").inc()
    return None, generation


def search_store(material: str, value: Any, *, stamp: Stamp, ttl: int) -> None:
    if isinstance(stamp, _Unavailable) or ttl <= 0:
        return
    entry = {"generation": stamp, "value": value}
    _guarded("search_set", lambda: cache.set(_search_key(material), entry, ttl), None)


# --- invalidation --------------------------------------------------------------------------------


def sitters_changed(sitter_ids: Iterable[UUID | str]) -> None:
    """Forget what is cached about these sitters: their public profiles, and (once) every search."""
    ids = list(dict.fromkeys(str(sitter_id) for sitter_id in sitter_ids))
    if not ids:
        return

    def forget() -> None:
        version_ttl = profile_ttl() + _VERSION_GRACE_SECONDS
        cache.set_many(
            {_profile_version_key(sitter_id): secrets.token_hex(8) for sitter_id in ids}, timeout=version_ttl
        )
        cache.set(SEARCH_GENERATION_KEY, secrets.token_hex(8), timeout=None)
        cache.delete_many([_profile_key(sitter_id) for sitter_id in ids])

    _guarded("invalidate", forget, None)


def sitter_changed(sitter_id: UUID | str) -> None:
    """Forget what is cached about one sitter: the public profile and every search that may show it."""
    sitters_changed([sitter_id])


def sitter_changed_on_commit(sitter_id: UUID | str, *, using: Any = None) -> None:
    transaction.on_commit(lambda: sitters_changed([sitter_id]), using=using)


def sitters_changed_on_commit(sitter_ids: Iterable[UUID | str], *, using: Any = None) -> None:
    """:func:`sitters_changed` after commit: for jobs that change many sitters (one search bump, not one each)."""
    ids = list(sitter_ids)
    if ids:
        transaction.on_commit(lambda: sitters_changed(ids), using=using)

"""``GET search/sitters``: sitters near a point, filtered, sorted and paged in one SQL statement.

:func:`sitter_search` answers a page from the Redis cache when the same
query (same filters, page and day) was answered since the last change of any
sitter, and otherwise runs the statement of :mod:`.sql` (PostgreSQL:
earthdistance and range GiST indexes; SQLite: a latitude band and longitude
window, then an exact unit-vector test) and turns its rows into plain dicts
(:mod:`.rows`). Only active sitter accounts with a complete profile (rate and
location) are found, and only within their own service radius. What a search
may ask, and how its point and radius are coarsened, is :mod:`.query`'s.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID

from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone

from files.storage import AbsoluteUrls
from sitters import cache
from sitters.selectors.search.query import Filters, SearchQuery
from sitters.selectors.search.rows import search_result_from_row, ttl_for_links
from sitters.selectors.search.sql import profile_sql, search_sql

__all__ = [
    "Filters",
    "SearchPage",
    "SearchQuery",
    "sitter_profile_statement",
    "sitter_search",
    "sitter_search_statement",
]


@dataclass
class SearchPage:
    results: list[dict[str, Any]] = field(default_factory=list)
    has_next: bool = False


def _adapter(vendor: str, using: str) -> Any:
    """How a datetime or date parameter must look to compare with the stored columns."""
    if vendor == "postgresql":
        return lambda value: value
    ops = connections[using].ops

    def adapt(value: Any) -> Any:
        if isinstance(value, datetime):
            return ops.adapt_datetimefield_value(value)
        if isinstance(value, date):
            return ops.adapt_datefield_value(value)
        return value

    return adapt


def sitter_search_statement(
    *, query: SearchQuery, today: date | None = None, using: str = DEFAULT_DB_ALIAS
) -> tuple[str, dict[str, Any]]:
    """The exact SQL and parameters a page runs (the benchmark times them raw)."""
    vendor = connections[using].vendor
    return search_sql(
        filters=query.filters,
        today=today or timezone.localdate(),
        offset=(query.page - 1) * query.page_size,
        limit=query.page_size + 1,  # one more tells whether a next page exists
        vendor=vendor,
        adapt=_adapter(vendor, using),
    )


def _search_database(query: SearchQuery, today: date, request: AbsoluteUrls | None, using: str) -> SearchPage:
    sql, params = sitter_search_statement(query=query, today=today, using=using)
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    results = [search_result_from_row(row, request) for row in rows[: query.page_size]]
    return SearchPage(results=results, has_next=len(rows) > query.page_size)


def sitter_search(
    *, query: SearchQuery, request: AbsoluteUrls | None = None, using: str = DEFAULT_DB_ALIAS
) -> SearchPage:
    """One page of results, from the search cache when it is current, else from the database."""
    today = timezone.localdate()
    material = query.cache_material(today)
    cached, stamp = cache.search_cached(material)
    if cached is not None:
        return SearchPage(results=cached["results"], has_next=cached["has_next"])
    page = _search_database(query, today, request, using)
    ttl = ttl_for_links(cache.search_ttl(), page.results)
    cache.search_store(material, {"results": page.results, "has_next": page.has_next}, stamp=stamp, ttl=ttl)
    return page


def sitter_profile_statement(
    *, sitter_id: UUID, today: date | None = None, using: str = DEFAULT_DB_ALIAS
) -> tuple[str, dict[str, Any]]:
    """The statement of one visible profile, in the search's row shape (see :mod:`sitters.selectors.public`)."""
    vendor = connections[using].vendor
    return profile_sql(
        sitter_id=sitter_id if vendor == "postgresql" else sitter_id.hex,
        today=today or timezone.localdate(),
        vendor=vendor,
        adapt=_adapter(vendor, using),
    )

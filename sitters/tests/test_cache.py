"""The Redis caches: hits, misses, invalidation after commit, day boundaries, outages, and /metrics."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.db import transaction
from prometheus_client import REGISTRY
from rest_framework.test import APIClient

from sitters import cache as sitter_cache
from sitters.models import SitterProfile
from sitters.selectors.public import public_profile_get
from sitters.selectors.search import Filters, SearchQuery, sitter_search
from sitters.tests.factories import AvatarFileFactory, SitterProfileFactory

pytestmark = pytest.mark.django_db

SEARCH = "/api/v1/search/sitters"
BERLIN = {"latitude": 52.520008, "longitude": 13.404954}


def counted(cache_name: str, result: str) -> float:
    value = REGISTRY.get_sample_value(
        "guardiannest_sitter_cache_requests_total", {"cache": cache_name, "result": result}
    )
    return value or 0.0


def test_a_profile_is_read_once_then_served_from_the_cache(
    sitter_api: APIClient, django_assert_num_queries: Any
) -> None:
    profile = SitterProfileFactory()
    hits, misses = counted("profile", "hit"), counted("profile", "miss")

    with django_assert_num_queries(3):  # the caller, the profile, its reliability figures
        first = sitter_api.get(f"/api/v1/sitters/{profile.pk}")
    with django_assert_num_queries(0):  # the caller from its authentication snapshot, the profile from the cache
        second = sitter_api.get(f"/api/v1/sitters/{profile.pk}")

    assert first.json() == second.json()
    assert counted("profile", "miss") == misses + 1
    assert counted("profile", "hit") == hits + 1


def test_a_change_makes_the_next_read_a_miss_with_the_new_data(sitter_api: APIClient) -> None:
    profile = SitterProfileFactory(bio="Before")
    assert sitter_api.get(f"/api/v1/sitters/{profile.pk}").json()["bio"] == "Before"
    SitterProfile.objects.filter(pk=profile.pk).update(bio="After")
    assert sitter_api.get(f"/api/v1/sitters/{profile.pk}").json()["bio"] == "Before"  # cached until told
    misses = counted("profile", "miss")

    sitter_cache.sitter_changed(profile.pk)

    assert sitter_api.get(f"/api/v1/sitters/{profile.pk}").json()["bio"] == "After"
    assert counted("profile", "miss") == misses + 1


def test_invalidation_waits_for_the_commit_and_skips_a_rollback(
    sitter_api: APIClient, django_capture_on_commit_callbacks: Any
) -> None:
    profile = SitterProfileFactory(bio="Before")
    sitter_api.get(f"/api/v1/sitters/{profile.pk}")

    class Rollback(Exception):
        pass

    with pytest.raises(Rollback), django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        SitterProfile.objects.filter(pk=profile.pk).update(bio="Never")
        sitter_cache.sitter_changed_on_commit(profile.pk)
        raise Rollback
    assert callbacks == []

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        SitterProfile.objects.filter(pk=profile.pk).update(bio="After")
        sitter_cache.sitter_changed_on_commit(profile.pk)
        assert sitter_api.get(f"/api/v1/sitters/{profile.pk}").json()["bio"] == "Before"  # not yet committed
    assert len(callbacks) == 1

    assert sitter_api.get(f"/api/v1/sitters/{profile.pk}").json()["bio"] == "After"


def test_an_entry_built_before_a_change_is_never_served() -> None:
    """A reader that raced an invalidation stores what it read under the old version: it is ignored."""
    today = date(2030, 1, 1)
    _, stamp = sitter_cache.profile_cached("s1", today=today)
    sitter_cache.sitter_changed("s1")  # lands while the reader is in the database
    sitter_cache.profile_store("s1", {"bio": "stale"}, stamp=stamp, today=today, ttl=60)

    value, fresh_stamp = sitter_cache.profile_cached("s1", today=today)

    assert value is None
    sitter_cache.profile_store("s1", {"bio": "fresh"}, stamp=fresh_stamp, today=today, ttl=60)
    assert sitter_cache.profile_cached("s1", today=today)[0] == {"bio": "fresh"}


def test_a_profile_entry_is_for_one_day_only() -> None:
    """Certifications expire by date: yesterday's entry is a miss today."""
    day = date(2030, 1, 1)
    _, stamp = sitter_cache.profile_cached("s2", today=day)
    sitter_cache.profile_store("s2", {"bio": "x"}, stamp=stamp, today=day, ttl=60)

    assert sitter_cache.profile_cached("s2", today=day)[0] == {"bio": "x"}
    assert sitter_cache.profile_cached("s2", today=day + timedelta(days=1))[0] is None


def test_search_keys_hold_the_day_and_ignore_list_order() -> None:
    day = date(2030, 1, 1)
    one = SearchQuery(filters=Filters(latitude=1, longitude=2, radius_km=10, languages=("en", "de")))
    same = SearchQuery(filters=Filters(latitude=1, longitude=2, radius_km=10, languages=("de", "en")))
    page_two = SearchQuery(filters=one.filters, page=2)

    assert one.cache_material(day) == same.cache_material(day)
    assert one.cache_material(day) != one.cache_material(day + timedelta(days=1))
    assert one.cache_material(day) != page_two.cache_material(day)


def test_a_hot_search_is_served_from_the_cache_until_any_sitter_changes(
    parent_api: APIClient, django_assert_num_queries: Any
) -> None:
    profile = SitterProfileFactory(hourly_rate=2000)
    hits = counted("search", "hit")
    with django_assert_num_queries(2):
        first = parent_api.get(SEARCH, BERLIN).json()
    SitterProfile.objects.filter(pk=profile.pk).update(hourly_rate=2500)

    with django_assert_num_queries(0):  # the caller from its authentication snapshot, the page from the cache
        second = parent_api.get(SEARCH, BERLIN).json()
    assert second == first
    assert counted("search", "hit") == hits + 1

    sitter_cache.sitter_changed(SitterProfileFactory(latitude=-33.9, longitude=151.2).pk)  # anyone, anywhere

    third = parent_api.get(SEARCH, BERLIN).json()
    assert third["results"][0]["hourly_rate"]["amount"] == 2500


def test_ttl_zero_turns_the_search_cache_off(
    parent_api: APIClient, settings: Any, django_assert_num_queries: Any
) -> None:
    settings.SITTER_SEARCH_CACHE_TTL = 0
    SitterProfileFactory()
    parent_api.get(SEARCH, BERLIN)

    with django_assert_num_queries(1):  # the page, every time; the caller from its authentication snapshot
        parent_api.get(SEARCH, BERLIN)


def test_a_cached_signed_photo_link_outlives_half_its_life_at_most(sitter_api: APIClient, settings: Any) -> None:
    settings.FILES_SERVE_UNSCANNED = True
    settings.FILES_URL_TTL = 120
    settings.SITTER_PROFILE_CACHE_TTL = 3600
    profile = SitterProfileFactory()
    photo = AvatarFileFactory(owner=profile.user)
    bare = SitterProfileFactory()
    SitterProfile.objects.filter(pk=profile.pk).update(photo=photo)

    assert sitter_api.get(f"/api/v1/sitters/{profile.pk}").json()["photo_url"]
    sitter_api.get(f"/api/v1/sitters/{bare.pk}")

    client = cache.raw_client()  # type: ignore[attr-defined]
    assert 0 < client.ttl(cache.make_key(f"sitters:profile:{profile.pk}")) <= 60
    assert client.ttl(cache.make_key(f"sitters:profile:{bare.pk}")) > 60


def test_redis_down_falls_back_to_the_database(parent_api: APIClient, parent: Any, settings: Any, caplog: Any) -> None:
    """The selectors answer from the database and log. (Called directly: with Redis gone the platform's
    request throttle, ``guardiannest.api.throttling``, fails every API request before a view runs.)"""
    profile = SitterProfileFactory()
    parent_api.get(SEARCH, BERLIN)  # warms Redis, which is then "gone"
    parent_api.get(f"/api/v1/sitters/{profile.pk}")
    settings.CACHES = {
        "default": {
            "BACKEND": "guardiannest.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    caplog.set_level("WARNING")
    query = SearchQuery(filters=Filters(latitude=BERLIN["latitude"], longitude=BERLIN["longitude"], radius_km=10))

    page = sitter_search(query=query)
    public = public_profile_get(sitter_id=profile.pk, viewer=parent)
    sitter_cache.sitter_changed(profile.pk)  # does not raise either

    assert [r["id"] for r in page.results] == [str(profile.pk)]
    assert public.body["id"] == str(profile.pk)
    events = [(r.msg.get("event"), r.msg.get("operation")) for r in caplog.records if isinstance(r.msg, dict)]
    assert {op for event, op in events if event == "sitter_cache_unavailable"} >= {
        "search_get",
        "profile_get",
        "invalidate",
    }


def test_metrics_show_the_hit_rate(api: APIClient, sitter_api: APIClient) -> None:
    profile = SitterProfileFactory()
    sitter_api.get(f"/api/v1/sitters/{profile.pk}")
    sitter_api.get(f"/api/v1/sitters/{profile.pk}")
    sitter_api.get(SEARCH, BERLIN)
    sitter_api.get(SEARCH, BERLIN)

    text = api.get("/metrics", HTTP_AUTHORIZATION="Bearer test-metrics-token").content.decode()

    for name in ("profile", "search"):
        for result in ("hit", "miss"):
            assert f'guardiannest_sitter_cache_requests_total{{cache="{name}",result="{result}"}}' in text
    assert api.get("/metrics").status_code == 404

"""Throttles count atomically in Redis and say when to come back."""

from __future__ import annotations

import time

import pytest
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.test import APIClient

from accounts.models import User
from conftest import client_for
from guardiannest.api.net import client_ip, client_of
from guardiannest.client import Client

pytestmark = [pytest.mark.django_db, pytest.mark.urls("guardiannest.tests.urls")]


@pytest.fixture
def rates(settings):
    """Set throttle rates; a test that counts in a per-minute window starts with 10 s of it left at least.

    Windows are fixed (they start on the minute): requests spread over a window's end would be counted apart.
    """
    left = 60 - time.time() % 60
    if left < 10:
        time.sleep(left + 0.05)

    def set_rates(**overrides: str) -> None:
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {**api_settings.DEFAULT_THROTTLE_RATES, **overrides},
        }

    return set_rates


def test_the_request_past_the_rate_is_429_with_retry_after(parent_api: APIClient, rates) -> None:
    rates(test_scope="3/min")
    codes = [parent_api.get("/api/v1/test/throttled").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    response = parent_api.get("/api/v1/test/throttled")
    assert response.json()["code"] == "throttled"
    assert 1 <= int(response["Retry-After"]) <= 60


def test_users_have_their_own_budget(parent: User, other_parent: User, rates) -> None:
    rates(test_scope="1/min")
    assert client_for(parent).get("/api/v1/test/throttled").status_code == 200
    assert client_for(parent).get("/api/v1/test/throttled").status_code == 429
    assert client_for(other_parent).get("/api/v1/test/throttled").status_code == 200


def test_login_is_throttled_per_address(api: APIClient, rates) -> None:
    rates(login="2/min")
    body = {"email": "nobody@example.com", "password": "wrong-password"}
    codes = [api.post("/api/v1/auth/login", body, format="json").status_code for _ in range(3)]
    assert codes == [401, 401, 429]


def test_anonymous_budget(api: APIClient, rates) -> None:
    rates(anon="2/min")
    codes = [api.post("/api/v1/auth/login", {}, format="json").status_code for _ in range(3)]
    assert codes[-1] == 429


def test_a_spoofed_forwarded_for_does_not_evade_the_limit(api: APIClient, rates, settings) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    rates(login="2/min")
    body = {"email": "nobody@example.com", "password": "wrong-password"}
    codes = [
        api.post("/api/v1/auth/login", body, format="json", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}, 203.0.113.7").status_code
        for n in range(4)
    ]
    assert codes[2:] == [429, 429]


def test_client_ip_takes_the_right_most_untrusted_hop(rf, settings) -> None:
    request = rf.get("/", HTTP_X_FORWARDED_FOR="1.1.1.1, 2.2.2.2, 3.3.3.3", REMOTE_ADDR="10.0.0.1")
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(request) == "10.0.0.1"
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(request) == "3.3.3.3"
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip(request) == "2.2.2.2"
    settings.TRUSTED_PROXY_COUNT = 9
    assert client_ip(request) == "1.1.1.1"
    assert client_ip(rf.get("/", REMOTE_ADDR="10.0.0.1")) == "10.0.0.1"


def test_services_see_the_caller_as_the_untrusted_hop_and_its_browser(rf, settings) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    request = rf.post(
        "/", HTTP_X_FORWARDED_FOR="198.51.100.9, 203.0.113.7", REMOTE_ADDR="10.0.0.1", HTTP_USER_AGENT="Firefox/130"
    )

    assert client_of(request) == client_of(Request(request)) == Client(ip="203.0.113.7", user_agent="Firefox/130")
    assert client_of(rf.get("/", REMOTE_ADDR="10.0.0.1")) == Client(ip="10.0.0.1", user_agent="")


def test_forwarded_for_counts_only_from_a_configured_proxy(rf, settings) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    settings.TRUSTED_PROXY_IPS = ["10.0.0.0/8"]
    assert client_ip(rf.get("/", HTTP_X_FORWARDED_FOR="203.0.113.7", REMOTE_ADDR="10.1.2.3")) == "203.0.113.7"
    assert client_ip(rf.get("/", HTTP_X_FORWARDED_FOR="203.0.113.7", REMOTE_ADDR="127.0.0.1")) == "127.0.0.1"


def test_the_user_budget_refuses_under_a_larger_view_scope(parent: User, rates) -> None:
    rates(user="2/min", test_scope="100/min")
    api = client_for(parent)

    codes = [api.get("/api/v1/test/throttled").status_code for _ in range(3)]

    assert codes == [200, 200, 429]


def test_every_counter_of_a_request_is_counted_in_one_pipeline(parent: User, other_parent: User, rates) -> None:
    from django.core.cache import cache

    rates(user="5/min", test_scope="1/min")
    codes = [client_for(other_parent).get("/api/v1/test/throttled").status_code for _ in range(3)]

    # the scope refused from the second request on, but the user counter went on counting (as DRF runs every throttle)
    assert codes == [200, 429, 429]
    keys = {key.decode() for key in cache.raw_client().keys("*throttle:*")}  # type: ignore[attr-defined]
    user_key = next(key for key in keys if f"throttle:user:{other_parent.pk}:" in key)
    scope_key = next(key for key in keys if f"throttle:test_scope:{other_parent.pk}:" in key)
    assert int(cache.raw_client().get(user_key)) == 3  # type: ignore[attr-defined]
    assert int(cache.raw_client().get(scope_key)) == 3  # type: ignore[attr-defined]
    assert 0 < cache.raw_client().ttl(scope_key) <= 61  # type: ignore[attr-defined]


def test_count_in_windows_adds_one_to_each_and_returns_the_counts() -> None:
    from guardiannest.api.throttling import count_in_windows

    assert count_in_windows([("throttle:a:1", 61), ("throttle:b:1", 3601)]) == [1, 1]
    assert count_in_windows([("throttle:a:1", 61), ("throttle:b:1", 3601), ("throttle:c:1", 61)]) == [2, 2, 1]


def test_window_counters_take_amounts_keep_their_ttl_and_survive_a_flushed_script_cache() -> None:
    from django.core.cache import cache

    from guardiannest.cache import add_to_windows

    client = cache.raw_client()  # type: ignore[attr-defined]
    assert add_to_windows([("win:a", 30, 5), ("win:b", 90, 1)]) == [5, 1]
    key_a, key_b = cache.make_key("win:a"), cache.make_key("win:b")
    assert 0 < client.ttl(key_a) <= 30 and 30 < client.ttl(key_b) <= 90
    client.expire(key_a, 7)  # a later amount never stretches the window
    assert add_to_windows([("win:a", 30, -2)]) == [3]
    assert 0 < client.ttl(key_a) <= 7
    client.script_flush()  # as after a Redis restart: the script is loaded again, nothing is lost
    assert add_to_windows([("win:a", 30, 1), ("win:c", 30, 2)]) == [4, 2]


def test_window_counters_in_the_embedded_cache(settings) -> None:
    from guardiannest import cache as cache_module

    # Django's setting_changed receiver rebuilds the cache handlers, now and after the test.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "w"}}

    assert not hasattr(cache_module.cache, "add_to_windows")
    assert cache_module.add_to_windows([("w:a", 30, 2), ("w:a", 30, 3)]) == [2, 5]


def _window_count(scope: str, user: User) -> int:
    from django.core.cache import cache

    client = cache.raw_client()  # type: ignore[attr-defined]
    keys = [key for key in client.keys("*throttle:*") if f"throttle:{scope}:{user.pk}:".encode() in key]
    return sum(int(client.get(key)) for key in keys)


def test_a_signed_in_request_is_counted_once_while_its_user_loads(parent: User, rates) -> None:
    """Authentication sends the counts before the user query and reads them after; check_throttles only reads."""
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    rates(user="5/min", test_scope="2/min")
    client = cache.raw_client()  # type: ignore[attr-defined]
    api = client_for(parent)
    seen_before_the_query: list[int] = []

    def at_the_user_query(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        if "accounts_usersession" in sql and not seen_before_the_query:
            time.sleep(0.05)  # Redis has had the command for a while: it counted while the query ran
            seen_before_the_query.append(_window_count("user", parent))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(at_the_user_query), CaptureQueriesContext(connection):
        codes = [api.get("/api/v1/test/throttled").status_code for _ in range(3)]

    assert codes == [200, 200, 429]
    assert seen_before_the_query == [1]  # the first request's count was in Redis before its user query returned
    assert _window_count("user", parent) == 3 and _window_count("test_scope", parent) == 3  # once per request
    assert client.connection_pool._in_use_connections == set()  # every connection given back


def test_a_token_refused_after_all_does_not_spend_its_users_budget(parent: User, rates) -> None:
    from accounts.models import UserSession
    from accounts.services.sessions import session_end

    rates(user="2/min", test_scope="100/min")
    api = client_for(parent)
    assert api.get("/api/v1/test/throttled").status_code == 200
    for session in UserSession.objects.filter(user=parent, ended_at__isnull=True):
        session_end(session=session, reason="logout")

    codes = [api.get("/api/v1/test/throttled").status_code for _ in range(5)]

    assert codes == [401] * 5
    assert _window_count("user", parent) == 1  # the five refused requests were counted and taken back
    assert client_for(parent).get("/api/v1/test/throttled").status_code == 200  # a new session still has budget


def test_counts_sent_ahead_survive_a_flushed_script_cache(parent: User, rates) -> None:
    from django.core.cache import cache

    from guardiannest.cache import add_to_windows_sent

    rates(user="5/min", test_scope="100/min")
    client = cache.raw_client()  # type: ignore[attr-defined]
    client.script_flush()  # as after a Redis restart: EVALSHA answers NOSCRIPT, and the counts are sent again
    read = add_to_windows_sent([("ahead:a", 30, 2), ("ahead:b", 30, 1)])
    assert read() == [2, 1]
    assert client_for(parent).get("/api/v1/test/throttled").status_code == 200
    assert _window_count("user", parent) == 1
    assert client.connection_pool._in_use_connections == set()


def test_counts_sent_ahead_in_the_embedded_cache(settings) -> None:
    from guardiannest import cache as cache_module

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "a"}}

    read = cache_module.add_to_windows_sent([("a:a", 30, 2)])
    assert read() == [2]
    assert cache_module.add_to_windows_sent([("a:a", 30, 1)])() == [3]


def test_a_refused_request_of_a_signed_in_user_spends_budget(parent: User, rates) -> None:
    """Counted while the user loads, before the permissions (README, "Conventions"): a 403 counts like a 200."""
    rates(user="100/min")

    assert client_for(parent).get("/api/v1/analytics/bookings").status_code == 403  # staff only

    assert _window_count("user", parent) == 1

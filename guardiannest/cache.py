"""Django's Redis cache, keeping one client per connection pool.

Django's ``RedisCacheClient.get_client`` builds a new ``redis.Redis`` object for
every cache call; with redis-py 8 that costs ~170 µs of Python per call (its
response-callback table is rebuilt each time), measured in bench/. A client is
thread safe and only wraps the pool, so one per pool serves every call.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient as DjangoRedisCacheClient


class RedisCacheClient(DjangoRedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        index = self._get_connection_pool_index(write)  # type: ignore[attr-defined]
        client = self._clients.get(index)
        if client is None:
            pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
            client = self._clients[index] = self._client(connection_pool=pool)  # type: ignore[attr-defined]
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = RedisCacheClient

    def raw_client(self) -> Any:
        """The redis-py client, for atomic multi-command work (throttles)."""
        return self._cache.get_client(write=True)

    def add_to_windows(self, windows: Sequence[tuple[str, int, int]]) -> list[int]:
        """:func:`add_to_windows` on Redis: one EVALSHA, whatever the number of windows."""
        script = self.__dict__.get("_add_to_windows")
        if script is None:  # bound to the kept client; redis-py loads it again after a Redis restart
            script = self.__dict__["_add_to_windows"] = self.raw_client().register_script(_ADD_TO_WINDOWS)
        keys = [self.make_and_validate_key(key) for key, _, _ in windows]
        args = [number for _, ttl, amount in windows for number in (amount, ttl)]
        return [int(count) for count in script(keys=keys, args=args)]


# Each key gets its amount and, if it has no expiry yet (just made), its window's TTL: atomic as a script.
_ADD_TO_WINDOWS = """
local counts = {}
for i, key in ipairs(KEYS) do
  counts[i] = redis.call('INCRBY', key, ARGV[2 * i - 1])
  if redis.call('TTL', key) == -1 then redis.call('EXPIRE', key, ARGV[2 * i]) end
end
return counts
"""


def add_to_windows(windows: Sequence[tuple[str, int, int]]) -> list[int]:
    """Add ``amount`` to each ``(key, ttl, amount)`` window counter of the cache; the new counts, in order.

    A counter is made with its TTL (seconds) when the window's first amount
    arrives. On Redis this is one round trip and one command (a Lua script:
    atomic, so racing requests are each counted once and none is lost); the
    in-process cache of the embedded default adds and increments in turn.
    """
    counter = getattr(cache, "add_to_windows", None)
    if counter is not None:
        return list(counter(windows))
    counts = []
    for key, ttl, amount in windows:
        cache.add(key, 0, timeout=ttl)
        try:
            counts.append(int(cache.incr(key, amount)))
        except ValueError:  # expired between add and incr
            cache.add(key, amount, timeout=ttl)
            counts.append(amount)
    return counts

"""Django's Redis cache, keeping one client per connection pool.

Django's ``RedisCacheClient.get_client`` builds a new ``redis.Redis`` object for
every cache call; with redis-py 8 that costs ~170 µs of Python per call (its
response-callback table is rebuilt each time), measured in bench/. A client is
thread safe and only wraps the pool, so one per pool serves every call.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient as DjangoRedisCacheClient
from redis.exceptions import NoScriptError


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

    def _windows_script(self) -> Any:
        script = self.__dict__.get("_add_to_windows")
        if script is None:  # bound to the kept client; redis-py loads it again after a Redis restart
            script = self.__dict__["_add_to_windows"] = self.raw_client().register_script(_ADD_TO_WINDOWS)
        return script

    def _windows_command(self, windows: Sequence[tuple[str, int, int]]) -> tuple[list[str], list[int]]:
        # make_key, not make_and_validate_key: the check is memcached's key rules, and these keys are ours.
        keys = [self.make_key(key) for key, _, _ in windows]
        return keys, [number for _, ttl, amount in windows for number in (amount, ttl)]

    def add_to_windows(self, windows: Sequence[tuple[str, int, int]]) -> list[int]:
        """:func:`add_to_windows` on Redis: one EVALSHA, whatever the number of windows."""
        keys, args = self._windows_command(windows)
        return [int(count) for count in self._windows_script()(keys=keys, args=args)]

    def add_to_windows_sent(self, windows: Sequence[tuple[str, int, int]]) -> Callable[[], list[int]]:
        """:func:`add_to_windows_sent` on Redis: the EVALSHA is written now, on a connection held until read.

        Read with the returned function, exactly once (it gives the connection
        back). A script Redis does not hold yet (first use, or after a
        restart) is sent again, loaded, when the counts are read.
        """
        script = self._windows_script()
        keys, args = self._windows_command(windows)
        pool = self.raw_client().connection_pool
        connection = pool.get_connection()
        try:
            connection.send_command("EVALSHA", script.sha, len(keys), *keys, *args)
        except BaseException:
            connection.disconnect()
            pool.release(connection)
            raise

        def counts() -> list[int]:
            try:
                reply = connection.read_response()
            except NoScriptError:
                reply = None  # an error reply: the connection is in step, and can be given back
            except BaseException:
                connection.disconnect()  # a reply may still be on its way: never hand this one out again
                raise
            finally:
                pool.release(connection)
            if reply is None:
                return self.add_to_windows(windows)
            return [int(count) for count in reply]

        return counts


# Each key gets its amount and, if it has no expiry yet (just made), its window's TTL: atomic as a script.
_ADD_TO_WINDOWS = """
local counts = {}
for i, key in ipairs(KEYS) do
  counts[i] = redis.call('INCRBY', key, ARGV[2 * i - 1])
  if redis.call('TTL', key) == -1 then redis.call('EXPIRE', key, ARGV[2 * i]) end
end
return counts
"""


def add_to_windows_sent(windows: Sequence[tuple[str, int, int]]) -> Callable[[], list[int]]:
    """:func:`add_to_windows`, sent now and read later, so the round trip overlaps the caller's other wait.

    The counting happens when Redis receives the command (now); the returned
    function waits for the counts and must be called exactly once. Errors of
    the send are raised here, those of the reply by the returned function.
    The in-process cache of the embedded default counts when it is read.
    """
    sender = getattr(cache, "add_to_windows_sent", None)
    if sender is not None:
        return sender(windows)
    return lambda: add_to_windows(windows)


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

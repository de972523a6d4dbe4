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
from redis.exceptions import NoScriptError, ResponseError


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
        batch = RedisBatch(self.raw_client())
        counts = self.add_to_windows_in(batch, windows)
        batch.send()
        return counts

    def add_to_windows_in(self, batch: RedisBatch, windows: Sequence[tuple[str, int, int]]) -> Callable[[], list[int]]:
        """:func:`add_to_windows` as one command of ``batch``; the returned function reads the counts once it is sent.

        A script Redis does not hold yet (first use, or after a restart) is
        sent again, loaded, when the counts are read.
        """
        script = self._windows_script()
        keys, args = self._windows_command(windows)
        index = batch.add("EVALSHA", script.sha, len(keys), *keys, *args)

        def counts() -> list[int]:
            try:
                reply = batch.reply(index)
            except NoScriptError:
                return self.add_to_windows(windows)
            return [int(count) for count in reply]

        return counts

    def batch(self) -> RedisBatch:
        """Commands to send together, in one write on one connection (:class:`RedisBatch`)."""
        return RedisBatch(self.raw_client())


class RedisBatch:
    """Commands written to Redis in one go on one pooled connection; their replies read later, all at once.

    Several parts of a request add their commands (``add``), the batch is sent
    (``send``), the caller does other work while Redis answers (a PostgreSQL
    query), and the first part to ask for its reply (``reply``) reads them
    all and gives the connection back. An error reply (a script Redis does
    not hold) is kept as that command's reply and raised to its part only;
    a failure to send or read (Redis unreachable) is raised to every part.
    """

    def __init__(self, client: Any) -> None:
        self._pool = client.connection_pool
        self._commands: list[tuple[Any, ...]] = []
        self._connection: Any = None
        self._replies: list[Any] | None = None
        self._error: Exception | None = None

    def add(self, *command: Any) -> int:
        """Queue a command before ``send``; its index, for ``reply``."""
        if self._connection is not None or self._replies is not None:
            raise RuntimeError("the batch was sent already")
        self._commands.append(command)
        return len(self._commands) - 1

    def send(self) -> None:
        """Write every queued command now. A failure is not raised here but by each ``reply``."""
        if not self._commands:
            self._replies = []
            return
        try:
            connection = self._pool.get_connection()
        except Exception as exc:  # Redis unreachable: each part hears of it when it asks for its reply
            self._error = exc
            return
        try:
            connection.send_packed_command(connection.pack_commands(self._commands))
        except BaseException as exc:
            connection.disconnect()
            self._pool.release(connection)
            if not isinstance(exc, Exception):
                raise
            self._error = exc
            return
        self._connection = connection

    def reply(self, index: int) -> Any:
        """The reply to command ``index`` (reading all of them the first time); an error reply is raised."""
        if self._replies is None and self._error is None:
            self._read()
        if self._error is not None:
            raise self._error
        assert self._replies is not None
        reply = self._replies[index]
        if isinstance(reply, ResponseError):
            raise reply
        return reply

    def _read(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            raise RuntimeError("the batch was not sent")
        replies: list[Any] = []
        try:
            for _ in self._commands:
                try:
                    replies.append(connection.read_response())
                except ResponseError as exc:  # an error reply: the connection is in step
                    replies.append(exc)
        except BaseException as exc:
            connection.disconnect()  # a reply may still be on its way: never hand this one out again
            if not isinstance(exc, Exception):
                raise
            self._error = exc
        else:
            self._replies = replies
        finally:
            self._pool.release(connection)

    def close(self) -> None:
        """Read what is unread, so the connection goes back to the pool in step (errors are dropped)."""
        if self._connection is not None:
            self._read()


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


def add_to_windows_in(batch: RedisBatch, windows: Sequence[tuple[str, int, int]]) -> Callable[[], list[int]]:
    """:func:`add_to_windows` as a command of ``batch`` (made by :func:`redis_batch`); read once it is sent."""
    return cache.add_to_windows_in(batch, windows)  # type: ignore[attr-defined]


def redis_batch() -> RedisBatch | None:
    """A :class:`RedisBatch` on the cache's Redis; None for the in-process cache of the embedded default."""
    maker = getattr(cache, "batch", None)
    return None if maker is None else maker()


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

"""What the realtime processes share beyond the channel layer: open sockets per user, and recent events.

Two stores with one interface, picked by the channel layer in use:

- :class:`RedisStore`, next to a :class:`~guardiannest.realtime.layers.RedisPubSubLayer`
  (on the same Redis shard as each group's pub/sub channel, so an event is
  recorded and published by one script, one round trip per shard, which can
  also count a user's open sockets: the chat's presence check);
- :class:`LocalStore`, in process, for the embedded default and any other
  layer (one process holds every socket there).

Open sockets: a sorted set per user, member = socket, score = when it expires
unless its heartbeat refreshes it. A process that dies without closing its
sockets stops counting within the heartbeat timeout. It serves the per-user
socket limit and :func:`guardiannest.realtime.presence.user_is_online`.

Recent events: a Redis stream per group holding the envelopes published to
it in the last ``REALTIME_REPLAY_WINDOW`` seconds (trimmed by age on each
write, and gone with the group's last event). A reconnecting client gets
them replayed (guardiannest.realtime.replay).
"""

from __future__ import annotations

import asyncio
import threading
import time
import weakref
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis
from channels.layers import BaseChannelLayer

from guardiannest.realtime.layers import RedisPubSubLayer

# Claim a place among a user's open sockets: drop the expired ones, refuse past the limit, add or refresh this one.
_CLAIM = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if not redis.call('ZSCORE', KEYS[1], ARGV[3]) and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then
  return 0
end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1
"""

# Publish one layer message to a shard's groups, in the order given, each first kept in its replay stream
# (as XADD key MINID ~ <oldest> * i <id> e <text>, then PEXPIRE), and optionally count a user's open sockets.
# KEYS: the n groups' replay streams, then the user's sockets (optional).
# ARGV: n, record (1/0), event id, envelope text, oldest ms kept, window ms, the layer message, now (s), n channels.
_PUBLISH = """
local n = tonumber(ARGV[1])
local record = ARGV[2] == '1'
for i = 1, n do
  if record then
    redis.call('XADD', KEYS[i], 'MINID', '~', ARGV[5], '*', 'i', ARGV[3], 'e', ARGV[4])
    redis.call('PEXPIRE', KEYS[i], ARGV[6])
  end
  redis.call('PUBLISH', ARGV[8 + i], ARGV[7])
end
if KEYS[n + 1] then
  return redis.call('ZCOUNT', KEYS[n + 1], ARGV[8], '+inf')
end
return -1
"""


@dataclass(frozen=True)
class RecordedEvent:
    """An envelope kept for replay: when it was stored (ms), its id, its JSON text."""

    at_ms: int
    event_id: str
    text: str


def now_ms() -> int:
    return time.time_ns() // 1_000_000


class RedisStore:
    def __init__(self, layer: RedisPubSubLayer) -> None:
        self.layer = layer
        self._async_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, list[aioredis.Redis]] = (
            weakref.WeakKeyDictionary()
        )
        self._scripts: dict[int, Any] = {}  # by id() of the publisher's clients, which live as long as the layer

    # --- keys, and the shard each lives on ---

    def sockets_key(self, user_id: str) -> str:
        return f"{self.layer.prefix}:sockets:{user_id}"

    def replay_key(self, group: str) -> str:
        return f"{self.layer.prefix}:replay:{group}"

    def _shard(self, name: str) -> int:
        from channels_redis.utils import _consistent_hash

        return _consistent_hash(name, len(self.layer.hosts))

    def _async_client(self, name: str) -> aioredis.Redis:
        loop = asyncio.get_running_loop()
        clients = self._async_clients.get(loop)
        if clients is None:
            clients = self._async_clients[loop] = [self._make_async_client(host) for host in self.layer.hosts]
        return clients[self._shard(name)]

    @staticmethod
    def _make_async_client(host: dict[str, Any]) -> aioredis.Redis:
        options = dict(host)
        options.setdefault("socket_connect_timeout", 2)
        options.setdefault("socket_timeout", 5)
        address = options.pop("address", None)
        if address is not None:
            return aioredis.Redis.from_url(address, **options)
        return aioredis.Redis(**options)

    # --- open sockets ---

    async def socket_claim(self, *, user_id: str, socket_id: str, limit: int, ttl: float) -> bool:
        key = self.sockets_key(user_id)
        now = time.time()
        admitted = await self._async_client(key).eval(
            _CLAIM, 1, key, now, now + ttl, socket_id, limit, int(ttl * 1000) + 1000
        )
        return bool(admitted)

    def socket_claim_sync(self, *, user_id: str, socket_id: str, limit: int, ttl: float) -> bool:
        key = self.sockets_key(user_id)
        now = time.time()
        client = self.layer.publisher.client_for(key)
        return bool(client.eval(_CLAIM, 1, key, now, now + ttl, socket_id, limit, int(ttl * 1000) + 1000))

    async def socket_refresh(self, *, user_id: str, socket_id: str, ttl: float) -> None:
        key = self.sockets_key(user_id)
        async with self._async_client(key).pipeline(transaction=False) as pipeline:
            pipeline.zadd(key, {socket_id: time.time() + ttl})
            pipeline.pexpire(key, int(ttl * 1000) + 1000)
            await pipeline.execute()

    async def socket_release(self, *, user_id: str, socket_id: str) -> None:
        key = self.sockets_key(user_id)
        await self._async_client(key).zrem(key, socket_id)

    def socket_release_sync(self, *, user_id: str, socket_id: str) -> None:
        key = self.sockets_key(user_id)
        self.layer.publisher.client_for(key).zrem(key, socket_id)

    def sockets_open(self, *, user_id: str) -> int:
        key = self.sockets_key(user_id)
        return int(self.layer.publisher.client_for(key).zcount(key, time.time(), "+inf"))

    # --- recent events ---

    def publish(
        self,
        *,
        groups: Sequence[str],
        message: dict[str, Any],
        record: RecordedEvent | None,
        window: int,
        count_sockets_of: str | None = None,
    ) -> int | None:
        """Publish ``message`` to each group, in order, and keep ``record`` for replay: one command per shard.

        Each shard runs :data:`_PUBLISH` (one EVALSHA: XADD and PEXPIRE of the
        group's replay stream, then PUBLISH, group after group): the message
        is serialised once, and a group listed first is published to first.
        With ``count_sockets_of``, the same command also counts that user's
        open sockets when they live on one of the shards (else one ZCOUNT
        after): the count, or None when not asked.
        """
        payload = self.layer.serialize(message)
        publisher = self.layer.publisher
        sockets_key = None if count_sockets_of is None else self.sockets_key(count_sockets_of)
        sockets_client = None if sockets_key is None else publisher.client_for(sockets_key)
        by_client: dict[int, tuple[Any, list[str], list[str]]] = {}
        for group in groups:
            channel = self.layer.group_channel(group)
            client = publisher.client_for(channel)
            _, keys, channels = by_client.setdefault(id(client), (client, [], []))
            keys.append(self.replay_key(group))
            channels.append(channel)
        if record is None:
            recorded: list[Any] = [0, "", "", 0, 0]
        else:
            recorded = [1, record.event_id, record.text, record.at_ms - window * 1000, window * 1000]
        count = None
        for client, keys, channels in by_client.values():
            counting = sockets_client is client and count is None
            found = self._publish_script(client)(
                keys=[*keys, sockets_key] if counting else keys,
                args=[len(keys), *recorded, payload, time.time() if counting else "", *channels],
            )
            if counting:
                count = int(found)
        if sockets_key is not None and count is None:
            count = self.sockets_open(user_id=str(count_sockets_of))
        return count

    def _publish_script(self, client: Any) -> Any:
        """:data:`_PUBLISH` bound to a publisher's client (redis-py loads it again after a Redis restart)."""
        script = self._scripts.get(id(client))
        if script is None:
            script = self._scripts[id(client)] = client.register_script(_PUBLISH)
        return script

    async def recorded_since(self, *, groups: Iterable[str], since_ms: int, limit: int) -> list[RecordedEvent]:
        """Envelopes kept for ``groups`` since ``since_ms`` (at most ``limit`` per group): one round trip per shard."""
        pipelines: dict[int, Any] = {}
        for group in groups:
            client = self._async_client(self.layer.group_channel(group))
            pipeline = pipelines.setdefault(id(client), client.pipeline(transaction=False))
            pipeline.xrange(self.replay_key(group), min=since_ms, count=limit)
        found: list[RecordedEvent] = []
        for pipeline in pipelines.values():
            entries: list[Any]
            for entries in await pipeline.execute():
                for entry_id, fields in entries:
                    at_ms = int(entry_id.split(b"-", 1)[0])
                    found.append(RecordedEvent(at_ms, fields[b"i"].decode(), fields[b"e"].decode()))
        return found


class LocalStore:
    """The same in process, for a single process holding every socket (the embedded default)."""

    def __init__(self, layer: BaseChannelLayer) -> None:
        self.layer = layer
        self._lock = threading.Lock()
        self._sockets: dict[str, dict[str, float]] = {}
        self._events: dict[str, deque[RecordedEvent]] = {}

    def socket_claim_sync(self, *, user_id: str, socket_id: str, limit: int, ttl: float) -> bool:
        now = time.time()
        with self._lock:
            sockets = self._sockets.setdefault(user_id, {})
            for stale in [socket for socket, expires in sockets.items() if expires <= now]:
                del sockets[stale]
            if socket_id not in sockets and len(sockets) >= limit:
                return False
            sockets[socket_id] = now + ttl
            return True

    async def socket_claim(self, *, user_id: str, socket_id: str, limit: int, ttl: float) -> bool:
        return self.socket_claim_sync(user_id=user_id, socket_id=socket_id, limit=limit, ttl=ttl)

    async def socket_refresh(self, *, user_id: str, socket_id: str, ttl: float) -> None:
        with self._lock:
            self._sockets.setdefault(user_id, {})[socket_id] = time.time() + ttl

    def socket_release_sync(self, *, user_id: str, socket_id: str) -> None:
        with self._lock:
            sockets = self._sockets.get(user_id, {})
            sockets.pop(socket_id, None)
            if not sockets:
                self._sockets.pop(user_id, None)

    async def socket_release(self, *, user_id: str, socket_id: str) -> None:
        self.socket_release_sync(user_id=user_id, socket_id=socket_id)

    def sockets_open(self, *, user_id: str) -> int:
        now = time.time()
        with self._lock:
            return sum(1 for expires in self._sockets.get(user_id, {}).values() if expires > now)

    def publish(
        self,
        *,
        groups: Sequence[str],
        message: dict[str, Any],
        record: RecordedEvent | None,
        window: int,
        count_sockets_of: str | None = None,
    ) -> int | None:
        from asgiref.sync import async_to_sync

        if record is not None:
            oldest = record.at_ms - window * 1000
            with self._lock:
                for group in groups:
                    events = self._events.setdefault(group, deque())
                    events.append(record)
                    while events and events[0].at_ms < oldest:
                        events.popleft()

        async def send_all() -> None:
            for group in groups:
                await self.layer.group_send(group, message)

        async_to_sync(send_all)()  # one hop for every group
        return None if count_sockets_of is None else self.sockets_open(user_id=count_sockets_of)

    async def recorded_since(self, *, groups: Iterable[str], since_ms: int, limit: int) -> list[RecordedEvent]:
        with self._lock:
            return [
                event
                for group in groups
                for event in list(self._events.get(group, ()))[-limit:]
                if event.at_ms >= since_ms
            ]


Store = RedisStore | LocalStore

_local_stores: weakref.WeakKeyDictionary[Any, LocalStore] = weakref.WeakKeyDictionary()
_redis_stores: weakref.WeakKeyDictionary[Any, RedisStore] = weakref.WeakKeyDictionary()


def store_for(layer: BaseChannelLayer) -> Store:
    """The store that goes with a channel layer (one per layer object: settings overrides in tests get a new one)."""
    if isinstance(layer, RedisPubSubLayer):
        found = _redis_stores.get(layer)
        if found is None:
            found = _redis_stores[layer] = RedisStore(layer)
        return found
    local = _local_stores.get(layer)
    if local is None:
        local = _local_stores[layer] = LocalStore(layer)
    return local

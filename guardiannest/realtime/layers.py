"""Channel layers: Redis pub/sub in production, in memory in the embedded default.

Production: ``RedisPubSubLayer``, channels_redis' pub/sub layer plus what sync
code needs to publish on it. Chosen by measurement (bench/README.md, "Channel
layer"): a group is one Redis pub/sub channel, so an event to a group of 500
sockets is one PUBLISH that each realtime process receives once and hands to
its own sockets, where RedisChannelLayer writes one entry per socket into
sorted sets that each process then pops one by one.

What it guarantees, and what it does not (README, "Realtime"):

- at most once, in order per publisher: an event reaches the sockets
  subscribed when it is published; nothing is stored in the layer;
- a realtime process that restarts loses its sockets; their clients reconnect
  and catch up (``?since=``, guardiannest.realtime.replay);
- when Redis restarts, each process's subscriptions are restored as redis-py
  reconnects (within about a second); events published meanwhile are lost to
  live sockets and replayed only if Redis kept its data (append-only file).

Sync code (gunicorn workers, Celery tasks) publishes with
:class:`SyncPublisher`: the layer's own wire format (the group's pub/sub
channel name, the layer's msgpack serializer) over a redis-py connection pool
kept for the life of the process. No event loop and no new connection per
event. A test reads what it writes with the stock async layer, so the two
cannot drift apart.

The embedded default (no Redis) uses ``EmbeddedChannelLayer``: Channels'
InMemoryChannelLayer keeps asyncio queues bound to the event loop of the
server, and the embedded Celery worker runs in another thread with its own
loop; waking a queue from there is not thread safe, so sends from any other
loop are handed over to the loop the consumers receive on.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable, Coroutine, Iterable, Sequence
from typing import Any

import redis
from channels.layers import InMemoryChannelLayer
from channels_redis.pubsub import RedisPubSubChannelLayer
from channels_redis.utils import _consistent_hash, decode_hosts
from redis.backoff import NoBackoff
from redis.retry import Retry


class EmbeddedChannelLayer(InMemoryChannelLayer):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._home_loop: asyncio.AbstractEventLoop | None = None

    async def _at_home(self, operation: Callable[..., Coroutine[Any, Any, Any]], *args: Any) -> Any:
        home = self._home_loop
        here = asyncio.get_running_loop()
        if home is None or home is here or home.is_closed() or not home.is_running():
            return await operation(*args)
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(operation(*args), home))

    async def receive(self, channel: str) -> Any:
        self._home_loop = asyncio.get_running_loop()
        return await super().receive(channel)

    async def send(self, channel: str, message: dict[str, Any]) -> None:
        await self._at_home(super().send, channel, message)

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        await self._at_home(super().group_send, group, message)


class SyncPublisher:
    """Publishes to the groups of a :class:`RedisPubSubLayer` from sync code, one round trip per call.

    Thread safe (redis-py clients are) and fork safe (a pool opened before a
    fork reconnects in the child). Events kept for replay are published by
    the store (guardiannest.realtime.store ``RedisStore.publish``) on these
    clients, with one script that records and publishes: one round trip and
    one command per shard.
    """

    def __init__(self, layer: RedisPubSubLayer) -> None:
        self.layer = layer
        self._clients = [self._client(host) for host in layer.hosts]

    @staticmethod
    def _client(host: dict[str, Any], client_name: str = "") -> redis.Redis:
        """A redis-py client for one of the layer's hosts; named, so CLIENT LIST shows one per process."""
        options = dict(host)
        options.setdefault("socket_connect_timeout", 2)
        options.setdefault("socket_timeout", 2)
        options.setdefault("health_check_interval", 30)
        options.setdefault("client_name", client_name or f"gn-publisher-{os.getpid()}")
        # A kept connection goes stale when Redis restarts or drops it: reconnect and send again, once
        # (an event sent twice is dropped by clients, which know envelope ids; one not sent is lost).
        options.setdefault("retry", Retry(NoBackoff(), 1))
        options.setdefault("retry_on_error", [redis.ConnectionError, redis.TimeoutError])
        address = options.pop("address", None)
        if address is not None:
            return redis.Redis.from_url(address, **options)
        return redis.Redis(**options)

    def client_for(self, name: str) -> redis.Redis:
        """The client of the shard that holds ``name`` (a group's channel, or a key named after a group)."""
        return self._clients[_consistent_hash(name, len(self._clients))]

    def group_send_many(self, sends: Sequence[tuple[str, dict[str, Any]]]) -> None:
        """``group_send`` each ``(group, message)``, in order: one pipelined round trip per shard."""
        by_client: dict[int, tuple[redis.Redis, Any]] = {}
        for group, message in sends:
            channel = self.layer.group_channel(group)
            client = self.client_for(channel)
            _, pipeline = by_client.setdefault(id(client), (client, client.pipeline(transaction=False)))
            pipeline.publish(channel, self.layer.serialize(message))
        for _, pipeline in by_client.values():
            pipeline.execute()


class RedisPubSubLayer(RedisPubSubChannelLayer):
    """channels_redis' pub/sub layer, with :class:`SyncPublisher` for code that runs without an event loop."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.hosts: list[dict[str, Any]] = decode_hosts(kwargs.get("hosts"))
        self.prefix: str = kwargs.get("prefix", "asgi")
        self._publisher: SyncPublisher | None = None
        self._publisher_lock = threading.Lock()

    def group_channel(self, group: str) -> str:
        """The pub/sub channel of a group, named as RedisPubSubLoopLayer names it."""
        return f"{self.prefix}__group__{group}"

    @property
    def publisher(self) -> SyncPublisher:
        if self._publisher is None:
            with self._publisher_lock:
                if self._publisher is None:
                    self._publisher = SyncPublisher(self)
        return self._publisher

    def group_send_sync(self, groups: Iterable[str], message: dict[str, Any]) -> None:
        """``group_send`` of one message to several groups, from sync code: one round trip per shard."""
        self.publisher.group_send_many([(group, message) for group in groups])

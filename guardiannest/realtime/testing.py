"""For tests: listen to channel groups from sync code, as a socket on another process would.

The pub/sub layer keeps its channels per event loop, so a channel made in one
``async_to_sync`` call does not exist in the next. A :class:`GroupListener`
subscribes to the groups' pub/sub channels itself, with redis-py, and reads
what the layer's consumers would read (the layer's own serializer); with the
in-memory layer it uses a layer channel as before.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from typing import Any

import redis
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from guardiannest.realtime.layers import RedisPubSubLayer


class GroupListener:
    def __init__(self, groups: Iterable[str]) -> None:
        self.layer: Any = get_channel_layer()
        self.groups = list(groups)
        if isinstance(self.layer, RedisPubSubLayer):
            channels = [self.layer.group_channel(group) for group in self.groups]
            # Kept: a redis-py client closes its pool, and so the subscription, when it is collected.
            self._client = redis.Redis.from_url(self.layer.hosts[0]["address"])  # tests run on one Redis
            self._pubsub = self._client.pubsub()
            self._pubsub.subscribe(*channels)
            for _ in channels:  # the confirmations: subscribed before anything is published
                self._pubsub.get_message(timeout=5)
        else:
            self._pubsub = None
            self._channel = async_to_sync(self.layer.new_channel)()
            for group in self.groups:
                async_to_sync(self.layer.group_add)(group, self._channel)

    def next_message(self, timeout: float = 5) -> dict[str, Any]:
        """The next layer message sent to any of the groups (``{"type": "realtime.event", "id", "text"}``)."""
        if self._pubsub is None:
            return dict(async_to_sync(self.layer.receive)(self._channel))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            raw = self._pubsub.get_message(timeout=max(0.0, deadline - time.monotonic()))
            if raw is not None and raw["type"] == "message":
                return dict(self.layer.deserialize(raw["data"]))
        raise TimeoutError(f"nothing sent to {self.groups} within {timeout}s")

    def next_envelope(self, timeout: float = 5) -> dict[str, Any]:
        """The next envelope ``{type, id, ts, data}`` sent to any of the groups."""
        return dict(json.loads(self.next_message(timeout)["text"]))

    def close(self) -> None:
        if self._pubsub is not None:
            self._pubsub.close()
            self._client.close()

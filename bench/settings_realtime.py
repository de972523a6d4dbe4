"""Bench-only settings for bench/realtime.py: the real settings, with the channel layer picked by BENCH_LAYER.

- ``ours`` (default): what production runs (guardiannest.realtime.layers.RedisPubSubLayer;
  sync code publishes with its SyncPublisher);
- ``pubsub``: channels_redis' stock RedisPubSubChannelLayer (sync code: async_to_sync(group_send));
- ``lists``: channels_redis' stock RedisChannelLayer, what main ran before (the same from sync code).
"""

import os

from guardiannest.settings import *  # noqa: F403
from guardiannest.settings import CACHE_KEY_PREFIX, REDIS_URL

_LAYER = os.environ.get("BENCH_LAYER", "ours")
_PREFIX = f"{CACHE_KEY_PREFIX}:asgi"
if _LAYER == "pubsub":
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": _PREFIX},
        }
    }
elif _LAYER == "lists":
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": _PREFIX, "capacity": 1000, "expiry": 30},
        }
    }
elif _LAYER != "ours":
    raise RuntimeError(f"BENCH_LAYER={_LAYER!r}: choose ours, pubsub or lists")

"""The embedded default's channel layer: in memory, and safe across threads.

Channels' InMemoryChannelLayer keeps asyncio queues bound to the event loop of
the server. The embedded Celery worker runs in another thread with its own
loop, and waking a queue from there is not thread safe: the event would sit
until something else woke the server. This layer remembers the loop its
consumers receive on and hands sends from any other loop over to it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from channels.layers import InMemoryChannelLayer


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

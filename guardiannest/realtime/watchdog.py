"""One timer per realtime process for every open socket: missed heartbeats, and the periodic access re-check.

A task per socket would cost memory for each of thousands of sockets and a
database query each; one loop per event loop looks at every socket each tick,
closes the silent ones, and re-checks in one batch (a few queries) the
sockets whose re-check is due (guardiannest.realtime.sessions). A socket is
closed by handing it a close request that its own dispatch loop acts on.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from typing import Protocol

import structlog
from channels.db import database_sync_to_async
from django.conf import settings

from guardiannest.realtime.sessions import SocketAccess, sockets_still_allowed

logger = structlog.get_logger(__name__)

HEARTBEAT_MISSED = "heartbeat_missed"


class Watched(Protocol):
    access: SocketAccess
    last_seen: float  # loop time of the last frame from the client
    next_check: float  # loop time of the next access re-check

    def request_close(self, reason: str) -> None: ...


def tick_seconds() -> float:
    """Often enough to honour both timeouts to within a quarter of each, at most once a second."""
    return max(0.05, min(1.0, settings.REALTIME_HEARTBEAT_TIMEOUT / 4, settings.REALTIME_SESSION_RECHECK / 4))


class Watchdog:
    def __init__(self, check: Callable[..., list[str | None]] = sockets_still_allowed) -> None:
        self.sockets: set[Watched] = set()
        self._check = database_sync_to_async(check)
        self._task: asyncio.Task[None] | None = None

    def add(self, socket: Watched) -> None:
        self.sockets.add(socket)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())

    def discard(self, socket: Watched) -> None:
        self.sockets.discard(socket)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while self.sockets:
            await asyncio.sleep(tick_seconds())
            try:
                await self.tick(loop.time())
            except Exception:  # the database is away: try again next tick, sockets keep running
                logger.exception("realtime_watchdog_failed")

    async def tick(self, now: float) -> None:
        heartbeat, recheck = settings.REALTIME_HEARTBEAT_TIMEOUT, settings.REALTIME_SESSION_RECHECK
        due: list[Watched] = []
        for socket in list(self.sockets):
            if now - socket.last_seen > heartbeat:
                self.sockets.discard(socket)
                socket.request_close(HEARTBEAT_MISSED)
            elif socket.next_check <= now:
                socket.next_check = now + recheck
                due.append(socket)
        if not due:
            return
        reasons = await self._check([socket.access for socket in due])
        for socket, reason in zip(due, reasons, strict=True):
            if reason is not None:
                self.sockets.discard(socket)
                socket.request_close(reason)


_watchdogs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Watchdog] = weakref.WeakKeyDictionary()


def watchdog() -> Watchdog:
    """The watchdog of the running event loop."""
    loop = asyncio.get_running_loop()
    found = _watchdogs.get(loop)
    if found is None:
        found = _watchdogs[loop] = Watchdog()
    return found

"""GPS: a location from the sitter's socket to the parent's socket through the real handler, next to its floors.

Run: ``.venv/bin/python bench/gps.py`` — prints one JSON object (progress on stderr).

Two uvicorn realtime processes (compose.yaml's flags, ``guardiannest.asgi``:
the production stack with the ``location`` handler bookings registers); the
sitter's socket is on one, the parent's on the other, and a booking between
them is in progress. Per round trip (``--hops``): the sitter sends
``{type: "location", booking_id, latitude, longitude, accuracy_m}``; the time
until the parent's socket receives ``location.updated``. That is the whole
path: frame checks, the sitter's rate in Redis, the booking lookup, the INSERT
(each fix is stored), ``location.updated`` published after commit, and the
other process's delivery.

Interleaved in the same run, one after the other:

- ``bare_redis_roundtrip_ms``: a redis-py publish → subscribe round trip (the floor);
- ``relay_only_ms`` (``--relay``, on by default): the same socket-to-socket
  trip through ``bench.asgi_realtime`` (the platform's bare
  ``location_handler``: checks and publishes, stores nothing) on two more
  processes, so the cost of validating and storing shows on its own.

The run checks that every fix was stored once. Every process started is
stopped and the run checks that none is left behind.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._app import BENCH_REDIS_URL, app_env, prepare_app
from bench._harness import (
    Server,
    cores,
    emit,
    install_cleanup,
    leftover_groups,
    log,
    ratio,
    stop_all,
    summarize,
    wait_for_quiet,
)
from bench.chat import realtime_argv
from bench.realtime import open_sockets

UNLIMITED = "1000000000"


def server_env(base: dict[str, str]) -> dict[str, str]:
    env = dict(base)
    env.update(
        {
            "REALTIME_CLIENT_RATE": UNLIMITED,
            "REALTIME_CLIENT_BURST": UNLIMITED,
            "LOCATION_RATE_LIMIT": UNLIMITED,  # still counted in Redis on every fix: that cost is measured
        }
    )
    return env


def django_setup(env: dict[str, str]) -> None:
    os.environ.update(env)
    import django

    django.setup()


def bench_user(email: str, role: str, **extra: Any) -> Any:
    """The bench's user with this email, made the first time (a row written directly: bench set-up)."""
    from accounts.models import User

    found = User.objects.filter(email=email).first()
    return found or User.objects.create_user(email, None, role=role, first_name="B", last_name="U", **extra)


def booking_in_progress(parent: Any, sitter: Any) -> Any:
    """The pair's booking, in progress for a year from now, made or moved there directly (bench set-up)."""
    from django.utils import timezone

    from bookings.models import Booking, BookingStatus

    now = timezone.now()
    booking = Booking.objects.filter(sitter=sitter, parent=parent).first()
    if booking is None:
        return Booking.objects.create(
            parent=parent,
            sitter=sitter,
            starts_at=now - timedelta(hours=1),
            ends_at=now + timedelta(days=365),
            timezone="Europe/Berlin",
            hourly_rate=2500,
            price_amount=2500,
            currency="eur",
            expires_at=now - timedelta(hours=2),
            status=BookingStatus.IN_PROGRESS,
            checked_in_at=now - timedelta(hours=1),
        )
    if booking.status != BookingStatus.IN_PROGRESS or booking.ends_at < now + timedelta(days=1):
        Booking.objects.filter(pk=booking.pk).update(
            status=BookingStatus.IN_PROGRESS, checked_in_at=now, ends_at=now + timedelta(days=365)
        )
    return booking


def make_booking() -> dict[str, str]:
    """A parent, a sitter and a booking between them in progress (rows written directly: bench set-up)."""
    from accounts.models import Role
    from bookings.models import BookingLocation

    sitter = bench_user("gps-sitter@bench.example", Role.SITTER)
    parent = bench_user("gps-parent@bench.example", Role.PARENT)
    booking = booking_in_progress(parent, sitter)
    BookingLocation.objects.filter(booking=booking).delete()  # each run starts with an empty trail
    # The relay pair has a parent of its own, so neither parent socket sees the other pair's events.
    relay_parent = bench_user("gps-relay-parent@bench.example", Role.PARENT)
    return {
        "sitter": str(sitter.pk),
        "parent": str(parent.pk),
        "booking": str(booking.pk),
        "relay_parent": str(relay_parent.pk),
    }


def stored_count(booking_id: str) -> int:
    from bookings.models import BookingLocation

    return BookingLocation.objects.filter(booking_id=booking_id).count()


async def round_trips(pairs: dict[str, tuple[Any, Any, str]], count: int) -> dict[str, list[float]]:
    """Interleaved round trips: each pair (sitter socket, parent socket, booking id) once per round, then Redis."""
    import redis.asyncio as aioredis

    client = aioredis.from_url(BENCH_REDIS_URL)
    bare = client.pubsub()
    await bare.subscribe("bench.gps")
    await bare.get_message(timeout=5)
    times: dict[str, list[float]] = {name: [] for name in [*pairs, "bare"]}

    async def hop(sitter: Any, parent: Any, booking_id: str, n: int) -> float:
        fix = {
            "type": "location",
            "booking_id": booking_id,
            "latitude": round(52.0 + (n + 1) / 10000, 6),  # a marker: this hop's own fix
            "longitude": 13.405,
            "accuracy_m": 5,
        }
        started = time.perf_counter()
        await sitter.send(json.dumps(fix))
        while True:
            envelope = json.loads(await asyncio.wait_for(parent.recv(), 10))
            data = envelope.get("data") or {}
            if (
                envelope.get("type") == "location.updated"
                and data.get("booking_id") == booking_id
                and data.get("latitude") == fix["latitude"]
            ):
                return (time.perf_counter() - started) * 1000
            if envelope.get("type") == "error":
                raise SystemExit(f"refused: {envelope}")

    try:
        for sitter, parent, booking_id in pairs.values():  # warm-up: connections, first lookups
            await hop(sitter, parent, booking_id, -1)
        for n in range(count):
            for name, (sitter, parent, booking_id) in pairs.items():
                times[name].append(await hop(sitter, parent, booking_id, n))
            started = time.perf_counter()
            await client.publish("bench.gps", str(n))
            while await bare.get_message(ignore_subscribe_messages=True, timeout=5) is None:
                pass
            times["bare"].append((time.perf_counter() - started) * 1000)
    finally:
        await bare.aclose()
        await client.aclose()
    return times


async def measure(stack: list[Server], relay: list[Server], ids: dict[str, str], count: int) -> dict[str, list[float]]:
    pairs: dict[str, tuple[Any, Any, str]] = {}
    sockets: list[Any] = []
    sitter = (await open_sockets(stack, ids["sitter"], 1, start=0))[0]
    parent = (await open_sockets(stack, ids["parent"], 1, start=1))[0]
    sockets += [sitter, parent]
    pairs["stack"] = (sitter, parent, ids["booking"])
    if relay:
        # bench.asgi_realtime's rule: the "booking id" names the user who sees the location.
        sitter = (await open_sockets(relay, ids["sitter"], 1, start=0))[0]
        parent = (await open_sockets(relay, ids["relay_parent"], 1, start=1))[0]
        sockets += [sitter, parent]
        pairs["relay"] = (sitter, parent, ids["relay_parent"])
    try:
        return await round_trips(pairs, count)
    finally:
        await asyncio.gather(*(socket.close() for socket in sockets), return_exceptions=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hops", type=int, default=500)
    parser.add_argument("--relay", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--quiet", type=float, default=0.25)
    parser.add_argument("--max-wait", type=float, default=60)
    args = parser.parse_args()
    install_cleanup()
    base = app_env()
    prepare_app(base)
    env = server_env(base)
    django_setup(env)
    ids = make_booking()
    stack = [Server(f"gps-{n}", realtime_argv("guardiannest.asgi:application"), env, "/health/live") for n in (1, 2)]
    relay = (
        [Server(f"relay-{n}", realtime_argv("bench.asgi_realtime:application"), env, "/health/live") for n in (1, 2)]
        if args.relay
        else []
    )
    background = wait_for_quiet(args.quiet, args.max_wait)
    try:
        for server in [*stack, *relay]:
            server.start()
        log(f"{args.hops} round trips, interleaved: {', '.join(['stack', *(['relay'] if relay else []), 'bare'])}")
        times = asyncio.run(measure(stack, relay, ids, args.hops))
    finally:
        stop_all()
    stored = stored_count(ids["booking"])
    figures: dict[str, Any] = {
        "socket_to_socket_ms": summarize(times["stack"], digits=3),
        "bare_redis_roundtrip_ms": summarize(times["bare"], digits=3),
    }
    figures["p50_over_bare"] = ratio(
        figures["socket_to_socket_ms"]["p50"], figures["bare_redis_roundtrip_ms"]["p50"], 2
    )
    figures["p99_over_bare"] = ratio(
        figures["socket_to_socket_ms"]["p99"], figures["bare_redis_roundtrip_ms"]["p99"], 2
    )
    if "relay" in times:
        figures["relay_only_ms"] = summarize(times["relay"], digits=3)
        figures["p50_over_relay_only"] = ratio(
            figures["socket_to_socket_ms"]["p50"], figures["relay_only_ms"]["p50"], 2
        )
    emit(
        {
            "benchmark": "gps",
            "cores": cores(),
            "background_cpu_busy_at_start": background,
            "hops": args.hops,
            "processes": 2,
            "units": "milliseconds",
            **figures,
            "fixes_sent": args.hops + 1,
            "fixes_stored": stored,
            "every_fix_stored_once": stored == args.hops + 1,
            "processes_left_behind": sorted(leftover_groups().values()),
        }
    )


if __name__ == "__main__":
    main()

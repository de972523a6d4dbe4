"""Realtime figures across processes, per channel layer, each next to its floor measured in the same run.

Run: ``.venv/bin/python bench/realtime.py`` — prints one JSON object (progress on stderr).

For each layer (``--layers``, bench/settings_realtime.py): two uvicorn realtime
processes (compose.yaml's flags, ``bench.asgi_realtime``) on one Redis, and:

- ``fanout``: ``--sockets`` staff sockets, alternating between the two
  processes; this process publishes ``--events`` envelopes to
  ``staff.emergencies`` from sync code, as a gunicorn worker or a Celery task
  does (``guardiannest.realtime.events.broadcast``), one every 100 ms. Per
  event: every socket's latency from the publish call to its ``recv()``, and
  the time until the last of them; all received or not. Floor, measured right
  before: a bare redis-py fan-out, one PUBLISH to as many redis-py
  subscribers (each its own connection), read the same way in this process;
- ``hop``: socket to socket: a sitter's socket on one process sends
  ``{type: "location", ...}``, the parent's socket on the other process
  receives ``location.updated``; ``--hops`` round trips. Floor: a bare
  redis-py publish → subscribe round trip, interleaved.

The websocket clients and the redis-py subscribers all run in this one asyncio
process, so the client side costs both the same. Every process started is
stopped and the run checks that none is left behind.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import os
import sys
import threading
import time
from collections import defaultdict
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

LAYERS = ("ours", "pubsub", "lists")


def layer_env(layer: str, base: dict[str, str]) -> dict[str, str]:
    env = dict(base)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "bench.settings_realtime",
            "BENCH_LAYER": layer,
            "REALTIME_SOCKETS_PER_USER": "100000",
            "REALTIME_CLIENT_RATE": "100000",
            "REALTIME_CLIENT_BURST": "100000",
            "REALTIME_SEND_QUEUE": "10000",
        }
    )
    return env


def django_setup(env: dict[str, str]) -> None:
    os.environ.update(env)
    import django

    django.setup()


def make_users() -> dict[str, Any]:
    from accounts.models import Role, User

    def user(email: str, role: str, **extra: Any) -> Any:
        found = User.objects.filter(email=email).first()
        return found or User.objects.create_user(email, None, role=role, first_name="B", last_name="B", **extra)

    staff = user("realtime-staff@bench.example", Role.STAFF, is_staff=True)
    return {
        "staff": str(staff.pk),
        "sitter": str(user("realtime-sitter@bench.example", Role.SITTER).pk),
        "parent": str(user("realtime-parent@bench.example", Role.PARENT).pk),
    }


async def open_sockets(servers: list[Server], user_id: str, count: int, start: int = 0) -> list[Any]:
    import websockets
    from asgiref.sync import sync_to_async

    from guardiannest.realtime.tickets import ticket_issue

    async def one(n: int) -> Any:
        ticket = await sync_to_async(ticket_issue, thread_sensitive=False)(user_id=user_id)
        url = servers[(start + n) % len(servers)].base_url.replace("http", "ws") + f"/ws/v1?ticket={ticket}"
        return await websockets.connect(url, max_queue=None, open_timeout=60)

    sockets = []
    for batch in range(0, count, 50):  # 50 handshakes at a time
        sockets += await asyncio.gather(*(one(n) for n in range(batch, min(count, batch + 50))))
    return sockets


class Arrivals:
    """Arrival times (perf_counter) per event id, from many receivers."""

    def __init__(self) -> None:
        self.times: dict[str, list[float]] = defaultdict(list)
        self.published: dict[str, float] = {}


async def read_sockets(sockets: list[Any], arrivals: Arrivals) -> None:
    async def read(socket: Any) -> None:
        async for frame in socket:
            now = time.perf_counter()
            envelope = json.loads(frame)
            if envelope.get("type") == "emergency.raised":
                arrivals.times[envelope["data"]["marker"]].append(now)

    await asyncio.gather(*(read(socket) for socket in sockets), return_exceptions=True)


def publish_in_thread(loop: asyncio.AbstractEventLoop, publish: Any, marker: str, arrivals: Arrivals) -> Any:
    """Publish from a thread with no event loop (as a gunicorn worker does); the start time taken right before."""
    done = loop.create_future()

    def work() -> None:
        try:
            arrivals.published[marker] = time.perf_counter()
            publish(marker)
        except BaseException as exc:  # report it in the loop
            loop.call_soon_threadsafe(done.set_exception, exc)
        else:
            loop.call_soon_threadsafe(done.set_result, None)

    threading.Thread(target=work, daemon=True).start()
    return done


def fanout_figures(arrivals: Arrivals, receivers: int) -> dict[str, Any]:
    every, last, complete = [], [], 0
    for marker, started in arrivals.published.items():
        times = arrivals.times.get(marker, [])
        every += [(moment - started) * 1000 for moment in times]
        if times:
            last.append((max(times) - started) * 1000)
        complete += len(times) == receivers
    return {
        "events": len(arrivals.published),
        "events_received_by_all": complete,
        "all_received": complete == len(arrivals.published),
        "per_receiver_ms": summarize(every, digits=2),
        "until_last_receiver_ms": summarize(last, digits=2),
    }


async def bare_fanout(receivers: int, events: int) -> dict[str, Any]:
    import redis
    import redis.asyncio as aioredis

    arrivals = Arrivals()
    clients = [aioredis.from_url(BENCH_REDIS_URL) for _ in range(receivers)]
    subscribers = [client.pubsub() for client in clients]
    for subscriber in subscribers:
        await subscriber.subscribe("bench.fanout")
        await subscriber.get_message(timeout=5)

    async def read(subscriber: Any) -> None:
        while True:
            message = await subscriber.get_message(ignore_subscribe_messages=True, timeout=None)
            if message is not None:
                arrivals.times[message["data"].decode()].append(time.perf_counter())

    readers = [asyncio.create_task(read(subscriber)) for subscriber in subscribers]
    publisher = redis.Redis.from_url(BENCH_REDIS_URL)
    loop = asyncio.get_running_loop()
    for n in range(events):
        marker = f"bare-{n}"
        await publish_in_thread(loop, lambda m: publisher.publish("bench.fanout", m), marker, arrivals)
        await asyncio.sleep(0.1)
    await asyncio.sleep(1)
    for reader in readers:
        reader.cancel()
    await asyncio.gather(*readers, return_exceptions=True)
    for subscriber in subscribers:
        await subscriber.aclose()
    for client in clients:
        await client.aclose()
    publisher.close()
    return fanout_figures(arrivals, receivers)


async def stack_fanout(servers: list[Server], staff_id: str, receivers: int, events: int) -> dict[str, Any]:
    from guardiannest.realtime.events import broadcast
    from guardiannest.realtime.groups import STAFF_EMERGENCIES

    sockets = await open_sockets(servers, staff_id, receivers)
    log(f"{len(sockets)} staff sockets open over {len(servers)} processes")
    arrivals = Arrivals()
    reader = asyncio.create_task(read_sockets(sockets, arrivals))
    loop = asyncio.get_running_loop()

    def publish(marker: str) -> None:
        broadcast([STAFF_EMERGENCIES], "emergency.raised", {"marker": marker}, ephemeral=True)

    publish("warm-up")
    await asyncio.sleep(1)
    arrivals = Arrivals()
    reader.cancel()
    reader = asyncio.create_task(read_sockets(sockets, arrivals))
    for n in range(events):
        await publish_in_thread(loop, publish, f"event-{n}", arrivals)
        await asyncio.sleep(0.1)
    await asyncio.sleep(2)
    reader.cancel()
    await asyncio.gather(*(socket.close() for socket in sockets), return_exceptions=True)
    return fanout_figures(arrivals, receivers)


async def hops(servers: list[Server], users: dict[str, str], count: int) -> dict[str, Any]:
    import redis.asyncio as aioredis

    sitter = (await open_sockets(servers, users["sitter"], 1, start=0))[0]
    parent = (await open_sockets(servers, users["parent"], 1, start=1))[0]
    client = aioredis.from_url(BENCH_REDIS_URL)
    bare = client.pubsub()
    await bare.subscribe("bench.hop")
    await bare.get_message(timeout=5)
    fix = {"type": "location", "booking_id": users["parent"], "latitude": 52.52, "longitude": 13.405, "accuracy_m": 5}
    stack, floor = [], []
    try:
        await sitter.send(json.dumps(fix))  # the first fix looks the audience up; later ones use the socket's memo
        if json.loads(await asyncio.wait_for(parent.recv(), 10))["type"] != "location.updated":
            raise SystemExit("the location did not arrive: no location handler in this tree?")
        for n in range(count):
            started = time.perf_counter()
            await sitter.send(json.dumps(fix))
            while json.loads(await asyncio.wait_for(parent.recv(), 10)).get("type") != "location.updated":
                pass
            stack.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            await client.publish("bench.hop", str(n))
            while await bare.get_message(ignore_subscribe_messages=True, timeout=5) is None:
                pass
            floor.append((time.perf_counter() - started) * 1000)
    finally:
        await sitter.close()
        await parent.close()
        await bare.aclose()
        await client.aclose()
    stack_summary, floor_summary = summarize(stack, digits=3), summarize(floor, digits=3)
    return {
        "socket_to_socket_ms": stack_summary,
        "bare_redis_roundtrip_ms": floor_summary,
        "p50_over_bare": ratio(stack_summary["p50"], floor_summary["p50"], 2),
    }


def run_layer(layer: str, env: dict[str, str], args: argparse.Namespace, users: dict[str, str]) -> dict[str, Any]:
    servers = [
        Server(f"realtime-{layer}-{n}", realtime_argv("bench.asgi_realtime:application"), env, "/health/live")
        for n in (1, 2)
    ]
    with servers[0], servers[1]:
        floor = asyncio.run(bare_fanout(args.sockets, args.events))
        stack = asyncio.run(stack_fanout(servers, users["staff"], args.sockets, args.events))
        hop = asyncio.run(hops(servers, users, args.hops)) if args.hops else None
    figures: dict[str, Any] = {
        "fanout": stack,
        "bare_redis_fanout": floor,
        "fanout_p50_over_bare": ratio(stack["per_receiver_ms"]["p50"], floor["per_receiver_ms"]["p50"], 2),
        "fanout_p99_over_bare": ratio(stack["per_receiver_ms"]["p99"], floor["per_receiver_ms"]["p99"], 2),
    }
    if hop is not None:
        figures["hop"] = hop
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--layers", default=",".join(LAYERS), help=f"comma-separated, of {', '.join(LAYERS)}")
    parser.add_argument("--sockets", type=int, default=500)
    parser.add_argument("--events", type=int, default=100)
    parser.add_argument("--hops", type=int, default=300, help="0 skips the socket-to-socket figure")
    parser.add_argument("--quiet", type=float, default=0.25)
    parser.add_argument("--max-wait", type=float, default=60)
    args = parser.parse_args()
    layers = [layer.strip() for layer in args.layers.split(",") if layer.strip()]
    if not set(layers) <= set(LAYERS):
        parser.error(f"--layers: choose among {', '.join(LAYERS)}")
    install_cleanup()
    base = app_env()
    prepare_app(base)
    django_setup(layer_env("ours", base))
    from django.test.utils import override_settings

    from bench import settings_realtime

    users = make_users()
    background = wait_for_quiet(args.quiet, args.max_wait)
    results: dict[str, Any] = {}
    try:
        for layer in layers:
            log(f"layer {layer}")
            env = layer_env(layer, base)
            os.environ["BENCH_LAYER"] = layer  # this process publishes through the same layer as the servers
            importlib.reload(settings_realtime)
            with override_settings(CHANNEL_LAYERS=settings_realtime.CHANNEL_LAYERS):
                results[layer] = run_layer(layer, env, args, users)
    finally:
        stop_all()
    ours = results.get("ours", {})
    goals = {}
    if ours:
        goals["fanout_all_received"] = ours["fanout"]["all_received"]
        goals["fanout_p99_within_3x_of_bare"] = bool(ours["fanout_p99_over_bare"] and ours["fanout_p99_over_bare"] <= 3)
        if "hop" in ours:
            goals["hop_p50_within_5x_of_bare"] = bool(
                ours["hop"]["p50_over_bare"] and ours["hop"]["p50_over_bare"] <= 5
            )
    emit(
        {
            "benchmark": "realtime",
            "cores": cores(),
            "background_cpu_busy_at_start": background,
            "sockets": args.sockets,
            "events": args.events,
            "processes": 2,
            "units": "milliseconds",
            "layers": results,
            "goals": goals,
            "processes_left_behind": sorted(leftover_groups().values()),
        }
    )


if __name__ == "__main__":
    main()

"""Chat latency: message POST → the recipient's socket, next to its same-work floor, in one run.

Run: ``.venv/bin/python bench/chat.py`` — prints one JSON object (progress on stderr).

Production shape on loopback: gunicorn (2 sync workers, ``bench.wsgi_chat``) takes
the POSTs, one uvicorn realtime process (compose.yaml's flags) holds the sockets,
PostgreSQL and Redis as configured for the benchmarks (bench/README.md). ``--sockets``
sitters each hold one open socket (pinging every 20 s, as apps do); one parent
sends messages to them in turn.

Measured, interleaved (each round runs them in a new random order):

- ``chat``: ``POST /api/v1/conversations/{id}/messages`` → the recipient's socket
  yields ``message.created``; also when the POST itself answered;
- ``floor``: the same-work path under the same gunicorn workers
  (bench/urls_bare.py ``FloorMessageApi``, no middleware): PyJWT decode of the
  same token, one INSERT, one redis-py PUBLISH → a bare redis-py subscriber;
- ``bare_redis``: a redis-py publish → subscribe round trip, the floor of any hop.

Also ``chat_post_to_redis_subscriber``: a bare redis-py subscriber on the
recipient's group channel (as the realtime process subscribes to it) takes the
same publish. It splits the chat figure into the request (POST → the publish
reaches Redis's subscribers) and the realtime hop (→ the socket). That tap is
a second subscriber for Redis to serve and a second message for this client
to read while it waits for the socket, so it runs on its own POSTs
(``chat_tapped``, interleaved like the others, with their socket times as
``chat_tapped_post_to_socket``); ``chat_post_to_socket`` comes from POSTs
no tap watches, as the floor's have none.

Every request opens its own connection (gunicorn's sync workers close after
each response), for chat and floor alike. Every process started is stopped,
and the run checks that none is left behind.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
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
    python,
    ratio,
    stop_all,
    summarize,
    wait_for_quiet,
)
from bench.http_servers import gunicorn_argv

_MAKE_USERS = """
import json
from django.db import connection
from accounts.models import User
from accounts.services.auth import tokens_for
from messaging.services.conversations import conversation_start
from bench.floor import FLOOR_TABLE_SQL
with connection.cursor() as cursor:
    cursor.execute(FLOOR_TABLE_SQL)
parent = User.objects.filter(email="chat-parent@bench.example").first() or User.objects.create_user(
    "chat-parent@bench.example", None, role="parent", first_name="P", last_name="B")
rows = []
for n in range({count}):
    email = f"chat-sitter-{{n}}@bench.example"
    sitter = User.objects.filter(email=email).first() or User.objects.create_user(
        email, None, role="sitter", first_name="S", last_name="B")
    conversation, _ = conversation_start(actor=parent, participant_id=sitter.pk)
    rows.append({{"conversation": str(conversation.pk), "access": tokens_for(sitter)["access"], "id": str(sitter.pk)}})
print("BENCH-JSON " + json.dumps({{"parent": tokens_for(parent)["access"], "sitters": rows}}))
"""

_NOTIFY = """
import time, json
from django.db import transaction
from accounts.models import User
from messaging.services.notifications import NotifyRequest, notify_bulk
users = list(User.objects.filter(email__startswith="chat-sitter-")[:{count}])
context = {{"booking_id": "bench", "other_name": "Bench", "starts_at": "2026-12-01T18:00:00Z"}}
started = time.perf_counter()
with transaction.atomic():
    notify_bulk(requests=[NotifyRequest(user=user, kind="booking.requested", context=context) for user in users])
elapsed = time.perf_counter() - started
print("BENCH-JSON " + json.dumps({{"count": len(users), "seconds": elapsed}}))
"""


def shell(env: dict[str, str], code: str) -> dict[str, Any]:
    import subprocess

    result = subprocess.run(
        [python(), "manage.py", "shell", "-c", code],
        env=env,
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    for line in result.stdout.splitlines():
        if line.startswith("BENCH-JSON "):
            return dict(json.loads(line.removeprefix("BENCH-JSON ")))
    raise SystemExit(f"manage.py shell failed:\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}")


async def http(port: int, method: str, path: str, token: str, body: bytes = b"") -> tuple[int, bytes]:
    """One HTTP/1.1 request on a new connection, read to the end (a small client: its cost is in every figure)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    writer.write(head.encode() + body)
    data = await reader.read()
    writer.close()
    status = int(data[9:12]) if data[:5] == b"HTTP/" else 0
    return status, data.partition(b"\r\n\r\n")[2]


def realtime_argv(app: str = "guardiannest.asgi:application") -> list[str]:
    """uvicorn as compose.yaml runs the realtime service."""
    return [
        python(),
        "-m",
        "uvicorn",
        app,
        "--host=127.0.0.1",
        "--port={port}",
        "--ws=websockets-sansio",
        "--ws-max-size=65536",
        "--lifespan=off",
        "--no-access-log",
        "--log-level=warning",
        "--timeout-graceful-shutdown=5",
    ]


async def run(
    web: Server, realtime: Server, setup: dict[str, Any], messages: int, env_prefix: str
) -> dict[str, list[float]]:
    import redis.asyncio as aioredis
    import websockets

    from bench.floor import floor_channel

    def group_channel(user_id: str) -> str:  # guardiannest.realtime: prefix (bench/_app.py) "__group__" user_group
        return f"{env_prefix}:asgi__group__user.{user_id}"

    sitters = setup["sitters"]
    parent_token = setup["parent"]
    sockets = []
    for sitter in sitters:
        status, body = await http(web.port, "POST", "/api/v1/realtime/ticket", sitter["access"])
        if status != 201:
            raise SystemExit(f"ticket: {status} {body[:200]!r}")
        url = realtime.base_url.replace("http", "ws") + f"/ws/v1?ticket={json.loads(body)['ticket']}"
        sockets.append(await websockets.connect(url, max_queue=None))
    log(f"{len(sockets)} sockets open")

    async def keep_alive() -> None:
        while True:
            await asyncio.sleep(20)
            for socket in sockets:
                await socket.send('{"type":"ping"}')

    redis = aioredis.from_url(BENCH_REDIS_URL)
    floor = redis.pubsub()
    await floor.subscribe(*[floor_channel(sitter["conversation"]) for sitter in sitters])
    bare = redis.pubsub()
    await bare.subscribe("bench.roundtrip")
    # The recipient's group channel, as the realtime processes subscribe to it: when the POST's publish
    # reaches Redis's subscribers, which splits the chat figure into the request and the realtime hop.
    # Subscribed only around a tapped POST (its own step), so no other POST has a second subscriber.
    tap = redis.pubsub()
    for _ in range(len(sitters) + 1):
        await floor.get_message(timeout=2)
    await bare.get_message(timeout=2)

    async def confirmed(kind: str) -> None:
        for _ in range(50):
            message = await tap.get_message(timeout=0.2)
            if message is not None and message["type"] == kind:
                return
        raise SystemExit(f"tap: no {kind} confirmation")

    pinger = asyncio.create_task(keep_alive())
    figures: dict[str, list[float]] = {
        "chat_post_to_socket": [],
        "chat_post_answered": [],
        "chat_post_to_redis_subscriber": [],
        "chat_tapped_post_to_socket": [],
        "floor_post_to_subscriber": [],
        "floor_post_answered": [],
        "bare_redis_roundtrip": [],
    }

    async def socket_event(index: int) -> float:
        while True:
            envelope = json.loads(await asyncio.wait_for(sockets[index].recv(), timeout=10))
            if envelope.get("type") == "message.created":
                return time.perf_counter()

    async def subscriber_event(pubsub: Any = floor) -> float:
        while True:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=10)
            if message is not None:
                return time.perf_counter()

    async def timed_post(kind: str, index: int, n: int, tap_it: bool = False) -> None:
        conversation = sitters[index]["conversation"]
        body = json.dumps({"body": f"bench message {n}: see you at six"}).encode()
        if kind == "chat":
            path, waiter = f"/api/v1/conversations/{conversation}/messages", socket_event(index)
        else:
            path, waiter = f"/bench/floor/{conversation}/messages", subscriber_event()
        if tap_it:
            await tap.subscribe(group_channel(sitters[index]["id"]))
            await confirmed("subscribe")
        received = asyncio.create_task(waiter)
        tapped = asyncio.create_task(subscriber_event(tap)) if tap_it else None
        started = time.perf_counter()
        status, answer = await http(web.port, "POST", path, parent_token, body)
        answered = time.perf_counter()
        if status != 201:
            received.cancel()
            if tapped is not None:
                tapped.cancel()
            raise SystemExit(f"{kind} POST: {status} {answer[:300]!r}")
        arrived = await received
        if tapped is not None:
            figures["chat_post_to_redis_subscriber"].append((await tapped - started) * 1000)
            figures["chat_tapped_post_to_socket"].append((arrived - started) * 1000)
            await tap.unsubscribe(group_channel(sitters[index]["id"]))
            await confirmed("unsubscribe")
            return
        delivered = "chat_post_to_socket" if kind == "chat" else "floor_post_to_subscriber"
        figures[delivered].append((arrived - started) * 1000)
        figures[f"{kind}_post_answered"].append((answered - started) * 1000)

    async def bare_roundtrip(n: int) -> None:
        started = time.perf_counter()
        await redis.publish("bench.roundtrip", str(n))
        while await bare.get_message(ignore_subscribe_messages=True, timeout=5) is None:
            pass
        figures["bare_redis_roundtrip"].append((time.perf_counter() - started) * 1000)

    shuffler = random.Random(20241207)
    try:
        for warm in range(20):
            await timed_post("chat", warm % len(sitters), warm)
            await timed_post("floor", warm % len(sitters), warm)
        for values in figures.values():
            values.clear()
        for n in range(messages):
            index = n % len(sitters)
            steps = [
                timed_post("chat", index, n),
                timed_post("chat", index, n, tap_it=True),
                timed_post("floor", index, n),
                bare_roundtrip(n),
            ]
            shuffler.shuffle(steps)
            for step in steps:  # coroutines run only when awaited: one at a time, in this order
                await step
            if (n + 1) % 100 == 0:
                log(f"{n + 1}/{messages} rounds")
    finally:
        pinger.cancel()
        for socket in sockets:
            await socket.close()
        await floor.aclose()
        await bare.aclose()
        await tap.aclose()
        await redis.aclose()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sockets", type=int, default=200)
    parser.add_argument("--messages", type=int, default=400)
    parser.add_argument("--quiet", type=float, default=0.25, help="wait while others use more CPU (default 0.25)")
    parser.add_argument("--max-wait", type=float, default=60, help="seconds to wait for quiet (default 60)")
    args = parser.parse_args()
    install_cleanup()
    env = app_env()
    env["THROTTLE_CHAT"] = "1000000/min"
    env["REALTIME_SOCKETS_PER_USER"] = "1000"
    prepare_app(env)
    setup = shell(env, _MAKE_USERS.format(count=args.sockets))
    web = Server("gunicorn", gunicorn_argv("bench.wsgi_chat:application", 2), env=env, ready_path="/health/live")
    realtime = Server(name="uvicorn", argv=realtime_argv(), env=env, ready_path="/health/live")
    background = wait_for_quiet(args.quiet, args.max_wait)
    try:
        with web, realtime:
            figures = asyncio.run(run(web, realtime, setup, args.messages, env["CACHE_KEY_PREFIX"]))
    finally:
        stop_all()
    enqueued = shell(env, _NOTIFY.format(count=args.sockets))
    left = leftover_groups()
    summaries = {name: summarize(values, digits=2) for name, values in figures.items()}
    chat, floor = summaries["chat_post_to_socket"], summaries["floor_post_to_subscriber"]
    emit(
        {
            "benchmark": "chat",
            "cores": cores(),
            "background_cpu_busy_at_start": background,
            "open_sockets": args.sockets,
            "messages": args.messages,
            "units": "milliseconds",
            **{f"{name}_ms": summary for name, summary in summaries.items()},
            "chat_p50_over_floor_p50": ratio(chat["p50"], floor["p50"], 2),
            "chat_p99_over_floor_p99": ratio(chat["p99"], floor["p99"], 2),
            "chat_p50_over_bare_redis_p50": ratio(chat["p50"], summaries["bare_redis_roundtrip"]["p50"], 1),
            "goals": {"chat_p50_within_2x_of_floor": bool(chat["p50"] and chat["p50"] <= 2 * (floor["p50"] or 0))},
            "notifications_enqueued_per_s": round(enqueued["count"] / enqueued["seconds"], 1),
            "processes_left_behind": sorted(left.values()),
        }
    )


if __name__ == "__main__":
    main()

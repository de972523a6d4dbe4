"""Chat latency: message POST → the recipient's socket, next to a bare Redis pub/sub round trip.

Run: ``.venv/bin/python bench/chat.py`` — prints one JSON object.

Production shape on loopback: gunicorn (2 sync workers) takes the POSTs,
uvicorn (1 worker) holds the sockets, Redis carries the channel layer. 200
sitters each hold one open socket; one parent sends messages to them in turn
and each latency runs from the start of the POST to the moment the recipient's
socket yields the ``message.created`` envelope. In the same run, a bare
redis-py publish → subscribe round trip gives the floor. Notifications
enqueued per second are measured in-process with ``notify`` in a loop.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._harness import (
    BENCH_REDIS_URL,
    Server,
    app_env,
    cores,
    emit,
    install_cleanup,
    log,
    prepare_app,
    python,
    summarize,
)

_MAKE_USERS = """
import json
from accounts.models import User
from accounts.services.auth import tokens_for
from messaging.services.chat import conversation_start
parent = User.objects.filter(email="chat-parent@bench.example").first() or User.objects.create_user(
    "chat-parent@bench.example", None, role="parent", first_name="P", last_name="B")
rows = []
for n in range({count}):
    email = f"chat-sitter-{{n}}@bench.example"
    sitter = User.objects.filter(email=email).first() or User.objects.create_user(
        email, None, role="sitter", first_name="S", last_name="B")
    conversation, _ = conversation_start(actor=parent, participant_id=sitter.pk)
    rows.append({{"conversation": str(conversation.pk), "access": tokens_for(sitter)["access"]}})
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


def shell(env: dict[str, str], code: str) -> dict:
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
            return json.loads(line.removeprefix("BENCH-JSON "))
    raise SystemExit(f"manage.py shell failed:\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}")


async def chat_latencies(web: Server, realtime: Server, setup: dict, messages: int) -> list[float]:
    import httpx
    import websockets

    sitters = setup["sitters"]
    async with httpx.AsyncClient(base_url=web.base_url, timeout=10) as http:
        sockets = []
        for sitter in sitters:
            ticket = await http.post("/api/v1/realtime/ticket", headers={"Authorization": f"Bearer {sitter['access']}"})
            ticket.raise_for_status()
            url = realtime.base_url.replace("http", "ws") + f"/ws/v1?ticket={ticket.json()['ticket']}"
            sockets.append(await websockets.connect(url, max_queue=None))
        log(f"{len(sockets)} sockets open")
        latencies: list[float] = []
        parent_auth = {"Authorization": f"Bearer {setup['parent']}"}
        try:
            for n in range(messages):
                index = n % len(sitters)
                socket = sockets[index]
                started = time.perf_counter()
                response = await http.post(
                    f"/api/v1/conversations/{sitters[index]['conversation']}/messages",
                    json={"body": f"bench message {n}"},
                    headers=parent_auth,
                )
                if response.status_code != 201:
                    raise SystemExit(f"message POST failed: {response.status_code} {response.text[:300]}")
                while True:
                    envelope = json.loads(await asyncio.wait_for(socket.recv(), timeout=10))
                    if envelope.get("type") == "message.created":
                        break
                latencies.append((time.perf_counter() - started) * 1000)
        finally:
            for socket in sockets:
                await socket.close()
    return latencies


async def redis_round_trips(count: int) -> list[float]:
    import redis.asyncio as redis

    client = redis.from_url(BENCH_REDIS_URL)
    pubsub = client.pubsub()
    await pubsub.subscribe("bench.roundtrip")
    await pubsub.get_message(timeout=1)  # the subscribe confirmation
    latencies: list[float] = []
    for n in range(count):
        started = time.perf_counter()
        await client.publish("bench.roundtrip", str(n))
        while True:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=5)
            if message is not None:
                break
        latencies.append((time.perf_counter() - started) * 1000)
    await pubsub.aclose()
    await client.aclose()
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sockets", type=int, default=200)
    parser.add_argument("--messages", type=int, default=400)
    args = parser.parse_args()
    install_cleanup()
    env = app_env()
    env["THROTTLE_CHAT"] = "1000000/min"
    prepare_app(env)
    setup = shell(env, _MAKE_USERS.format(count=args.sockets))
    web = Server(
        name="gunicorn",
        argv=[python(), "-m", "gunicorn", "-w", "2", "-b", "127.0.0.1:{port}", "guardiannest.wsgi:application"],
        env=env,
        ready_path="/health/live",
    )
    realtime = Server(
        name="uvicorn",
        argv=[
            python(),
            "-m",
            "uvicorn",
            "--host",
            "127.0.0.1",
            "--port",
            "{port}",
            "--no-access-log",
            "--log-level",
            "warning",
            "guardiannest.asgi:application",
        ],
        env=env,
        ready_path="/health/live",
    )
    with web.start(), realtime.start():
        chat = asyncio.run(chat_latencies(web, realtime, setup, args.messages))
    bare = asyncio.run(redis_round_trips(args.messages))
    enqueued = shell(env, _NOTIFY.format(count=args.sockets))
    chat_summary, bare_summary = summarize(chat, digits=2), summarize(bare, digits=3)
    emit(
        {
            "benchmark": "chat",
            "cores": cores(),
            "open_sockets": args.sockets,
            "messages": args.messages,
            "chat_post_to_socket_ms": chat_summary,
            "bare_redis_pubsub_roundtrip_ms": bare_summary,
            "chat_p50_over_bare_p50": round(chat_summary["p50"] / bare_summary["p50"], 1)
            if bare_summary["p50"]
            else None,
            "notifications_enqueued_per_s": round(enqueued["count"] / enqueued["seconds"], 1),
        }
    )


if __name__ == "__main__":
    main()

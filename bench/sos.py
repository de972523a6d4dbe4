"""SOS: the fan-out of ``emergency.raised`` to 500 sockets, and the SOS text while bulk email waits.

Run: ``.venv/bin/python bench/sos.py`` — prints one JSON object (progress on stderr).

One run, the production processes as compose.yaml starts them, each in its own
process group on loopback: gunicorn (``guardiannest.wsgi``, 2 workers) for the
POST, two uvicorn realtime processes (``guardiannest.asgi``, Redis channel
layer), a Celery worker on the ``default`` queue and one on the ``critical``
queue (``celery -A guardiannest worker -Q default|critical -c 2``), and a
loopback stand-in for Twilio's Messages API (``TWILIO_API_BASE``) that notes
when each text arrives.

A sitter, a parent, a booking between them in progress, and the parent's three
emergency contacts (with phone numbers: the first step of the ladder texts them).

1. Fan-out (``--raises``): 500 sockets open over the two realtime processes —
   10 of the parent, 10 of the sitter (the parties) and 480 of four staff users
   (the ``staff.emergencies`` group). The sitter POSTs /api/v1/emergencies; per
   socket, the time until it receives that alert's ``emergency.raised``, counted
   from the moment the POST's answer is read (the issue's measure; it may be
   negative, the event is published on commit, before the answer leaves) and,
   stricter, from the moment the POST is sent (the POST itself included).
   Between two raises, the same event through the app's ``broadcast`` helper to
   the same groups, timed from the publish. Next to it, in the same run, a bare
   redis-py fan-out of a message to 500 subscriber connections (bench/realtime.py's
   ``bare_fanout``). The goals are checked on the issue's measure.
2. Isolation (``--repeats``): 10,000 bulk emails queued on the ``default`` queue
   (``bench.bulk_email``, bench/sos_tasks.py: 50 ms each, an SMTP hand-off), the
   default worker busy with them; per SOS, the time from sending the POST until
   the Twilio stand-in receives the first SOS text, and all three.

Redis: the channel layer, the cache and the Celery broker on ``BENCH_REDIS_URL``
(``BENCH_BROKER_URL`` moves the broker); the queues are emptied before and
after the run. Every process started is stopped, and the run checks that none
is left behind.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._app import prepare_app
from bench._harness import (
    BenchError,
    Server,
    cores,
    emit,
    http_request,
    install_cleanup,
    leftover_groups,
    log,
    ratio,
    stop_all,
    summarize,
    wait_for_quiet,
)
from bench._sos_stack import (
    BULK_EMAILS,
    CONTACT_PHONES,
    PARTY_SOCKETS,
    STAFF_USERS,
    WARM_UP,
    TwilioStandIn,
    backlog,
    bench_env,
    clear_broker,
    django_setup,
    worker,
)
from bench.chat import http, realtime_argv
from bench.gps import bench_user, booking_in_progress
from bench.http_servers import gunicorn_argv
from bench.realtime import bare_fanout, open_sockets


def make_family() -> dict[str, Any]:
    """Sitter, parent, a booking in progress, three contacts, staff users (rows written directly: set-up)."""
    from accounts.models import EmergencyContact, Role
    from accounts.services.auth import tokens_for

    sitter, parent = (
        bench_user("sos-sitter@bench.example", Role.SITTER),
        bench_user("sos-parent@bench.example", Role.PARENT),
    )
    booking = booking_in_progress(parent, sitter)
    for priority, phone in enumerate(CONTACT_PHONES, start=1):
        if not EmergencyContact.objects.filter(parent=parent, priority=priority).exists():
            EmergencyContact.objects.create(
                parent=parent, name=f"Contact {priority}", phone=phone, relationship="Grandparent", priority=priority
            )
    staff = [bench_user(f"sos-staff-{n}@bench.example", Role.STAFF, is_staff=True) for n in range(STAFF_USERS)]
    return {
        "sitter": str(sitter.pk),
        "parent": str(parent.pk),
        "staff": [str(member.pk) for member in staff],
        "booking": str(booking.pk),
        "token": tokens_for(sitter)["access"],
    }


def sos_body(booking: str, n: int) -> dict[str, Any]:
    return {"booking_id": booking, "latitude": 52.52, "longitude": 13.405, "message": f"bench SOS {n}"}


# --- 1. fan-out ------------------------------------------------------------------------------


async def stack_fanout(
    web: Server, realtime: list[Server], family: dict[str, Any], receivers: int, raises: int, gap: float
) -> dict[str, Any]:
    from guardiannest.realtime.events import broadcast
    from guardiannest.realtime.groups import STAFF_EMERGENCIES, user_group

    staff_sockets = receivers - 2 * PARTY_SOCKETS
    sockets = await open_sockets(realtime, family["parent"], PARTY_SOCKETS, start=0)
    sockets += await open_sockets(realtime, family["sitter"], PARTY_SOCKETS, start=1)
    for index, staff_id in enumerate(family["staff"]):
        share = staff_sockets // STAFF_USERS + (index < staff_sockets % STAFF_USERS)
        sockets += await open_sockets(realtime, staff_id, share, start=index)
    log(f"{len(sockets)} sockets open over {len(realtime)} realtime processes")
    arrivals: dict[str, list[float]] = {}

    async def read(socket: Any) -> None:
        async for frame in socket:
            now = time.perf_counter()
            envelope = json.loads(frame)
            if envelope.get("type") == "emergency.raised":
                arrivals.setdefault(envelope["data"]["id"], []).append(now)

    readers = [asyncio.create_task(read(socket)) for socket in sockets]
    posts: list[tuple[str, float, float]] = []
    directs: list[tuple[str, float]] = []
    loop = asyncio.get_running_loop()
    groups = [user_group(family["parent"]), user_group(family["sitter"]), STAFF_EMERGENCIES]

    def direct_broadcast(marker: str) -> float:
        """From a thread with no event loop, as a gunicorn worker publishes; the time taken right before."""
        started = time.perf_counter()
        broadcast(groups, "emergency.raised", {"id": marker, "status": "active", "booking_id": family["booking"]})
        return started

    try:
        for n in range(-WARM_UP, raises):  # below 0: the warm-up (each gunicorn worker's first), not counted
            body = json.dumps(sos_body(family["booking"], n)).encode()
            started = time.perf_counter()
            status, answer = await http(web.port, "POST", "/api/v1/emergencies", family["token"], body)
            answered = time.perf_counter()
            if status != 201:
                raise BenchError(f"POST /api/v1/emergencies: {status} {answer[:300]!r}")
            if n >= 0:
                posts.append((json.loads(answer)["id"], started, answered))
            await asyncio.sleep(gap)
            # The same event through the app's broadcast helper, to the same groups, timed from the publish.
            marker = f"direct-{n}"
            published = await loop.run_in_executor(None, direct_broadcast, marker)
            if n >= 0:
                directs.append((marker, published))
            await asyncio.sleep(gap)
        await asyncio.sleep(2)
    finally:
        for reader in readers:
            reader.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
        await asyncio.gather(*(socket.close() for socket in sockets), return_exceptions=True)
    from_sent, from_answered, last, counts = [], [], [], []
    for emergency_id, started, answered in posts:
        times = arrivals.get(emergency_id, [])
        counts.append(len(times))
        from_sent += [(moment - started) * 1000 for moment in times]
        from_answered += [(moment - answered) * 1000 for moment in times]
        if times:
            last.append((max(times) - started) * 1000)
    direct, direct_counts = [], []
    for marker, published in directs:
        times = arrivals.get(marker, [])
        direct_counts.append(len(times))
        direct += [(moment - published) * 1000 for moment in times]
    return {
        "sockets": len(sockets),
        "raises": len(posts),
        "received_min_per_raise": min(counts) if counts else 0,
        "received_total": sum(counts),
        "all_received": bool(counts) and all(count == len(sockets) for count in counts),
        "per_socket_from_post_sent_ms": summarize(from_sent, digits=2),
        "per_socket_from_post_answered_ms": summarize(from_answered, digits=2),
        "until_last_socket_from_post_sent_ms": summarize(last, digits=2),
        "until_last_socket_from_post_answered_ms_each": [
            round((max(arrivals[eid]) - answered) * 1000, 1) if arrivals.get(eid) else None
            for eid, _, answered in posts
        ],
        "broadcast_helper": {
            "events": len(directs),
            "all_received": bool(direct_counts) and all(count == len(sockets) for count in direct_counts),
            "per_socket_from_publish_ms": summarize(direct, digits=2),
        },
        "post_answered_ms": summarize([(answered - started) * 1000 for _, started, answered in posts], digits=2),
    }


# --- 2. isolation ----------------------------------------------------------------------------


def wait_settled(twilio: TwilioStandIn, expected: int, limit: float = 60) -> int:
    """Until the stand-in has ``expected`` texts and nothing more comes for a second (bounded)."""
    deadline = time.monotonic() + limit
    count, since = -1, time.monotonic()
    while time.monotonic() < deadline:
        now_count = len(twilio.texts())
        if now_count != count:
            count, since = now_count, time.monotonic()
        elif count >= expected and time.monotonic() - since > 1:
            break
        time.sleep(0.1)
    return count


def isolation(web: Server, twilio: TwilioStandIn, family: dict[str, Any], repeats: int) -> dict[str, Any]:
    from bench.sos_tasks import BULK_EMAIL_TASK
    from guardiannest.celery import app

    log(f"queueing {BULK_EMAILS} bulk emails on the default queue")
    with app.producer_pool.acquire(block=True) as producer:
        for n in range(BULK_EMAILS):
            app.send_task(BULK_EMAIL_TASK, args=(n,), producer=producer)
    queued = backlog()
    deadline = time.monotonic() + 20
    while backlog() > min(queued, BULK_EMAILS - 5) and time.monotonic() < deadline:
        time.sleep(0.1)
    log(f"{backlog()} bulk emails waiting, the default worker busy; {repeats} SOS")
    first, every = [], []
    waiting_at_sos = []
    for n in range(repeats):
        before = len(twilio.texts())
        waiting_at_sos.append(backlog())
        started = time.perf_counter()
        status, answer = http_request(
            web.url("/api/v1/emergencies"),
            method="POST",
            headers={"Authorization": f"Bearer {family['token']}"},
            body=sos_body(family["booking"], 1000 + n),
        )
        if status != 201:
            raise BenchError(f"POST /api/v1/emergencies: {status} {answer[:300]!r}")
        deadline = time.monotonic() + 15
        texts = []
        while time.monotonic() < deadline:
            texts = [t for t in twilio.texts()[before:] if t[1] in CONTACT_PHONES]
            if len(texts) >= len(CONTACT_PHONES):
                break
            time.sleep(0.005)
        if texts:
            first.append((texts[0][0] - started) * 1000)
        if len(texts) >= len(CONTACT_PHONES):
            every.append((max(t[0] for t in texts[: len(CONTACT_PHONES)]) - started) * 1000)
        else:
            log(f"SOS {n}: only {len(texts)} texts within 15 s")
        time.sleep(0.5)
    return {
        "bulk_emails_queued": BULK_EMAILS,
        "bulk_emails_waiting_after_queueing": queued,
        "bulk_emails_waiting_at_each_sos_min": min(waiting_at_sos) if waiting_at_sos else None,
        "bulk_emails_waiting_at_end": backlog(),
        "sos": repeats,
        "sos_with_all_texts": len(every),
        "post_to_first_sms_ms": summarize(first, digits=1),
        "post_to_all_3_sms_ms": summarize(every, digits=1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--receivers", type=int, default=500)
    parser.add_argument("--raises", type=int, default=30)
    parser.add_argument("--gap", type=float, default=0.3, help="seconds between two raises")
    parser.add_argument("--bare-events", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=20, help="SOS raised behind the bulk email backlog")
    parser.add_argument("--quiet", type=float, default=0.25)
    parser.add_argument("--max-wait", type=float, default=60)
    args = parser.parse_args()
    install_cleanup()
    twilio = TwilioStandIn()
    var_dir = tempfile.mkdtemp(prefix="bench-sos-")
    env = bench_env(twilio, var_dir)
    prepare_app(env)
    django_setup(env)
    family = make_family()
    clear_broker()
    web = Server("gunicorn", gunicorn_argv("guardiannest.wsgi:application", 2), env, "/health/live")
    realtime = [Server(f"uvicorn-{n}", realtime_argv(), env, "/health/live") for n in (1, 2)]
    workers = [worker("default", env), worker("critical", env)]
    background = wait_for_quiet(args.quiet, args.max_wait)
    load_before = os.getloadavg()
    try:
        for server in [web, *realtime, *workers]:
            server.start()
        log(f"fan-out: {args.raises} SOS to {args.receivers} sockets")
        fanout = asyncio.run(stack_fanout(web, realtime, family, args.receivers, args.raises, args.gap))
        log(f"bare fan-out: {args.bare_events} messages to {args.receivers} redis-py subscribers")
        bare = asyncio.run(bare_fanout(args.receivers, args.bare_events))
        texts = wait_settled(twilio, len(CONTACT_PHONES) * (args.raises + WARM_UP))
        log(f"{texts} SOS texts of the fan-out at the stand-in; isolation next")
        isolated = isolation(web, twilio, family, args.repeats)
        errors = {}
        for server in [web, *realtime, *workers]:
            # Celery's warning about running as root (a container's user) is not an error of the run.
            lines = [line for line in server.error_lines() if "security_error" not in line]
            if lines:
                errors[server.name] = lines
    finally:
        stop_all()
        twilio.close()
        clear_broker()
        shutil.rmtree(var_dir, ignore_errors=True)  # the app's outbox and static files of the run
    load_after = os.getloadavg()
    answered_p99 = fanout["per_socket_from_post_answered_ms"]["p99"]  # the measure
    stack_p99 = fanout["per_socket_from_post_sent_ms"]["p99"]
    helper_p99 = fanout["broadcast_helper"]["per_socket_from_publish_ms"]["p99"]
    bare_p99 = bare["per_receiver_ms"]["p99"]
    sms_p99 = isolated["post_to_first_sms_ms"]["p99"]
    emit(
        {
            "benchmark": "sos",
            "cores": cores(),
            "background_cpu_busy_at_start": background,
            "loadavg_1_5_15_before": [round(v, 2) for v in load_before],
            "loadavg_1_5_15_after": [round(v, 2) for v in load_after],
            "units": "milliseconds",
            "fanout": fanout,
            "bare_redis_fanout": {"subscribers": args.receivers, **bare},
            "fanout_from_post_answered_p99_over_bare_p99": ratio(answered_p99, bare_p99, 2),
            "fanout_from_post_sent_p99_over_bare_p99": ratio(stack_p99, bare_p99, 2),
            "broadcast_helper_p99_over_bare_p99": ratio(helper_p99, bare_p99, 2),
            "isolation": isolated,
            "goals": {
                "all_received": fanout["all_received"],
                "fanout_p99_under_250ms": bool(answered_p99 is not None and answered_p99 < 250),
                "fanout_p99_within_3x_of_bare": bool(answered_p99 and bare_p99 and answered_p99 <= 3 * bare_p99),
                "fanout_from_post_sent_p99_under_250ms": bool(stack_p99 is not None and stack_p99 < 250),
                "fanout_from_post_sent_p99_within_3x_of_bare": bool(
                    stack_p99 and bare_p99 and stack_p99 <= 3 * bare_p99
                ),
                "broadcast_helper_p99_within_3x_of_bare": bool(helper_p99 and bare_p99 and helper_p99 <= 3 * bare_p99),
                "sms_p99_under_1s": bool(sms_p99 is not None and sms_p99 < 1000),
            },
            "server_errors": errors,
            "processes_left_behind": sorted(leftover_groups().values()),
        }
    )


if __name__ == "__main__":
    main()

"""Bookings on PostgreSQL: creates per second, accept latency, the 50-way overlapping accept, queries per move.

Against the app as in production (gunicorn, 2 sync workers, PostgreSQL, Redis,
the simulated payment provider), on 127.0.0.1:

- creates per second, ``--clients`` threads posting ``POST /api/v1/bookings``
  (each with its own Idempotency-Key) for ``--creates`` requests: without
  contention (each client books its own sitter, a new slot each time) and with
  it (every client books one sitter for one slot: requests do not hold the
  sitter, so all succeed, on the same rows);
- accept latency: ``--accepts`` requested bookings accepted one after the
  other by their sitter (``POST bookings/{id}/accept``: the hold, then the
  payment authorised), p50/p90/p99;
- the 50-way overlapping accept: 50 requests of one sitter, each overlapping
  all others, accepted at once by 50 threads, over HTTP (as many in flight as
  the server's workers take) and in process (50 threads, 50 PostgreSQL
  connections at once, the real race): expected 1 accepted, 49 x 409, 0 x 5xx;
- queries per create and per accept: one request of each through the whole
  Django stack in process (CaptureQueriesContext; no test transaction, so no
  savepoints are counted).

Prints one JSON object on stdout (progress goes to stderr). See bench/README.md.

    .venv/bin/python bench/bookings.py [--clients 8] [--creates 400] [--accepts 100] [--racers 50]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere

from bench._app import app_env, prepare_app
from bench._harness import (
    BenchError,
    Server,
    cores,
    emit,
    http_request,
    install_cleanup,
    log,
    stop_all,
    summarize,
    wait_for_quiet,
)
from bench.http_servers import HEALTH_PATH, gunicorn_argv

BOOKINGS_PATH = "/api/v1/bookings"
RUN = uuid.uuid4().hex[:8]  # this run's users, so runs never meet each other's rows


# --- the world, made in process -----------------------------------------------------------------


class World:
    """One parent with a home, a child and a saved card; sitters in Berlin available around the clock."""

    def __init__(self, sitters: int) -> None:
        from accounts.models import User
        from accounts.services.auth import tokens_for
        from bookings.tests.factories import bookable_sitter, family
        from payments.providers.simulated import SimulatedProvider
        from payments.services import customer_for, payment_methods_sync

        self.parent = User.objects.create_user(
            f"bench.parent.{RUN}@example.com", "bench-password-0123456789", role="parent", first_name="P"
        )
        self.child = family(self.parent)
        customer = customer_for(parent=self.parent)
        SimulatedProvider().card_add(customer_id=customer.provider_customer_id, last4="4242")
        payment_methods_sync(customer=customer)
        self.sitters = []
        for number in range(sitters):
            sitter = User.objects.create_user(
                f"bench.sitter.{RUN}.{number}@example.com", "bench-password-0123456789", role="sitter", first_name="S"
            )
            bookable_sitter(sitter)
            self.sitters.append(sitter)
        self.parent_token = tokens_for(self.parent)["access"]
        self.sitter_tokens = {sitter.pk: tokens_for(sitter)["access"] for sitter in self.sitters}

    def body(self, sitter: Any, start: datetime, hours: float = 1) -> dict[str, Any]:
        return {
            "sitter_id": str(sitter.pk),
            "start": start.isoformat(),
            "end": (start + timedelta(hours=hours)).isoformat(),
            "child_ids": [str(self.child.pk)],
        }


def slot(day: int, index: int) -> datetime:
    """The ``index``-th one-hour slot (00:00, 01:00 … wrapping to the next day) from ``day`` days ahead, in Berlin."""
    from zoneinfo import ZoneInfo

    from sitters.services.calendar import local_today

    zone = ZoneInfo("Europe/Berlin")
    first = datetime.combine(local_today(zone) + timedelta(days=day), dtime(0), tzinfo=zone)
    return first + timedelta(hours=index)


# --- load -------------------------------------------------------------------------------------------


def post(server: Server, path: str, token: str, body: Any = None) -> tuple[int, float, bytes]:
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex}
    started = time.perf_counter()
    status, answer = http_request(server.url(path), method="POST", headers=headers, body=body, timeout=60)
    return status, (time.perf_counter() - started) * 1000, answer


def in_threads(count: int, work: Callable[[int], Any]) -> list[Any]:
    """Run ``work(i)`` in ``count`` threads released together; each result or exception, in order."""
    results: list[Any] = [None] * count
    barrier = threading.Barrier(count)

    def run(index: int) -> None:
        from django.db import connection

        try:
            barrier.wait()
            results[index] = work(index)
        except BaseException as exc:
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    return results


def creates(server: Server, world: World, *, clients: int, total: int, contended: bool, day: int) -> dict[str, Any]:
    """``total`` creates by ``clients`` threads: each its own sitter and slots, or all one sitter and slot."""
    per_client = total // clients
    statuses: Counter[int] = Counter()
    latencies: list[float] = []
    lock = threading.Lock()

    def client(index: int) -> None:
        sitter = world.sitters[0 if contended else index]
        for number in range(per_client):
            start = slot(day, 9) if contended else slot(day, number)
            status, ms, _ = post(server, BOOKINGS_PATH, world.parent_token, world.body(sitter, start))
            with lock:
                statuses[status] += 1
                latencies.append(ms)

    started = time.perf_counter()
    outcomes = in_threads(clients, client)
    elapsed = time.perf_counter() - started
    errors = [repr(outcome) for outcome in outcomes if isinstance(outcome, BaseException)]
    if errors:
        raise BenchError(f"a create client failed: {errors[0]}")
    return {
        "clients": clients,
        "requests": sum(statuses.values()),
        "per_s": round(sum(statuses.values()) / elapsed, 1),
        "statuses": {str(code): count for code, count in sorted(statuses.items())},
        "latency_ms": summarize(latencies),
    }


def requested(world: World, sitter: Any, starts: list[datetime], hours: float = 1) -> list[Any]:
    from bookings.services import booking_create

    return [
        booking_create(
            parent=world.parent,
            sitter_id=sitter.pk,
            starts_at=start,
            ends_at=start + timedelta(hours=hours),
            child_ids=[world.child.pk],
        ).pk
        for start in starts
    ]


def accepts(server: Server, world: World, *, count: int, day: int) -> dict[str, Any]:
    """``count`` requests of one sitter, none overlapping, accepted one after the other over HTTP."""
    sitter = world.sitters[-1]
    ids = requested(world, sitter, [slot(day, 2 * n) for n in range(count)])
    token = world.sitter_tokens[sitter.pk]
    statuses: Counter[int] = Counter()
    latencies = []
    confirmed = 0
    for booking_id in ids:
        status, ms, answer = post(server, f"{BOOKINGS_PATH}/{booking_id}/accept", token)
        statuses[status] += 1
        latencies.append(ms)
        confirmed += status == 200 and json.loads(answer).get("status") == "confirmed"
    return {
        "requests": count,
        "confirmed": confirmed,
        "statuses": {str(code): n for code, n in sorted(statuses.items())},
        "latency_ms": summarize(latencies),
    }


def overlapping_accepts(
    world: World, sitter: Any, racers: int, day: int, accept: Callable[[Any], Any]
) -> dict[str, Any]:
    """``racers`` requests of ``sitter``, each overlapping all others, accepted at once by ``racers`` threads."""
    from bookings.models import Booking, BookingStatus
    from sitters.models import Hold

    base = slot(day, 8)
    ids = requested(world, sitter, [base + timedelta(minutes=n) for n in range(racers)], hours=2)
    outcomes = in_threads(racers, lambda index: accept(ids[index]))
    counts: Counter[str] = Counter()
    codes: Counter[str] = Counter()
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            counts["exception"] += 1
            codes[type(outcome).__name__] += 1
            continue
        status, code = outcome
        counts["accepted" if status == 200 else f"{status // 100}xx" if status >= 500 else str(status)] += 1
        if code:
            codes[code] += 1
    held = Booking.objects.filter(pk__in=ids, status__in=(BookingStatus.ACCEPTED, BookingStatus.CONFIRMED)).count()
    return {
        "racers": racers,
        "accepted": counts.pop("accepted", 0),
        "conflict_409": counts.pop("409", 0),
        "server_errors_5xx": counts.pop("5xx", 0),
        "other": dict(counts),
        "codes": dict(codes),
        "bookings_holding_the_sitter": held,
        "holds": Hold.objects.filter(reference__in=ids).count(),
    }


def query_counts(world: World, day: int) -> dict[str, int]:
    """Queries of one create and one accept through the whole Django stack, in process, outside any transaction."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    sitter = world.sitters[1]
    parent = APIClient(HTTP_HOST="127.0.0.1")
    parent.credentials(HTTP_AUTHORIZATION=f"Bearer {world.parent_token}")
    sitter_client = APIClient(HTTP_HOST="127.0.0.1")
    sitter_client.credentials(HTTP_AUTHORIZATION=f"Bearer {world.sitter_tokens[sitter.pk]}")
    counts = {}
    for round_number in range(2):  # the first warms what a fresh process loads once
        with CaptureQueriesContext(connection) as create:
            response = parent.post(
                BOOKINGS_PATH,
                world.body(sitter, slot(day, 2 * round_number)),
                format="json",
                HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
            )
        if response.status_code != 201:
            raise BenchError(f"create answered {response.status_code}: {response.content[:300]!r}")
        with CaptureQueriesContext(connection) as accept:
            answer = sitter_client.post(f"{BOOKINGS_PATH}/{response.json()['id']}/accept")
        if answer.status_code != 200:
            raise BenchError(f"accept answered {answer.status_code}: {answer.content[:300]!r}")
        counts = {"create_request": len(create), "accept_request": len(accept)}
    from bookings.services import booking_accept, booking_create

    with CaptureQueriesContext(connection) as create_service:
        booking = booking_create(
            parent=world.parent,
            sitter_id=sitter.pk,
            starts_at=slot(day, 10),
            ends_at=slot(day, 11),
            child_ids=[world.child.pk],
        )
    with CaptureQueriesContext(connection) as accept_service:
        booking_accept(booking_id=booking.pk, actor=sitter)
    return {**counts, "create_service": len(create_service), "accept_service": len(accept_service)}


# --- the run ----------------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> dict[str, Any]:
    env = app_env()
    prepare_app(env)
    # In process without the pool: the thread race needs one real connection per thread, not 8 shared.
    os.environ.update({**env, "DATABASE_POOL": "false"})
    import django

    django.setup()
    from django.db import connections

    from accounts.models import User
    from bookings.services import booking_accept
    from guardiannest.errors import ApplicationError

    log(f"making the world: a parent and {args.clients + 2} sitters")
    world = World(sitters=args.clients + 2)
    connections.close_all()
    figures: dict[str, Any] = {"benchmark": "bookings", "cores": cores(), "run": RUN}
    with Server("gunicorn-bookings", gunicorn_argv("guardiannest.wsgi:application", 2), env, HEALTH_PATH) as server:
        figures["server"] = {"gunicorn_workers": 2, "worker_class": "sync", "payment_provider": "simulated"}
        figures["background_cpu_busy"] = wait_for_quiet(args.quiet, args.max_wait)
        log("warm-up")
        creates(server, world, clients=2, total=10, contended=False, day=1)
        log(f"creates without contention: {args.creates} by {args.clients} clients")
        figures["create_uncontended"] = creates(
            server, world, clients=args.clients, total=args.creates, contended=False, day=2
        )
        log(f"creates with contention: {args.creates} by {args.clients} clients, one sitter, one slot")
        figures["create_contended"] = creates(
            server, world, clients=args.clients, total=args.creates, contended=True, day=13
        )
        log(f"accepts: {args.accepts}, one after the other")
        figures["accept"] = accepts(server, world, count=args.accepts, day=14)

        def accept_http(booking_id: Any) -> tuple[int, str | None]:
            sitter = world.sitters[-2]
            status, _, answer = post(server, f"{BOOKINGS_PATH}/{booking_id}/accept", world.sitter_tokens[sitter.pk])
            return status, json.loads(answer).get("code") if status != 200 else None

        log(f"{args.racers}-way overlapping accept over HTTP")
        figures["overlap_accept_http"] = overlapping_accepts(world, world.sitters[-2], args.racers, 30, accept_http)
        server.keep_log = bool(server.error_lines())
        figures["server_error_lines"] = server.error_lines()

    sitter = User.objects.get(pk=world.sitters[-2].pk)

    def accept_in_process(booking_id: Any) -> tuple[int, str | None]:
        try:
            booking_accept(booking_id=booking_id, actor=sitter)
        except ApplicationError as exc:
            return (409 if exc.refusal == "conflict" else 400), str(exc.code)
        return 200, None

    log(f"{args.racers}-way overlapping accept in process ({args.racers} threads and connections)")
    figures["overlap_accept_threads"] = overlapping_accepts(world, sitter, args.racers, 32, accept_in_process)
    log("queries per create and per accept")
    figures["queries"] = query_counts(world, day=34)
    race = figures["overlap_accept_threads"], figures["overlap_accept_http"]
    figures["goals"] = {
        "overlap_one_accepted_rest_409_no_5xx": all(
            r["accepted"] == 1 and r["conflict_409"] == args.racers - 1 and r["server_errors_5xx"] == 0 for r in race
        ),
    }
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=8, help="concurrent create clients (default 8)")
    parser.add_argument("--creates", type=int, default=400, help="creates per phase (default 400)")
    parser.add_argument("--accepts", type=int, default=100, help="accepts timed one after the other (default 100)")
    parser.add_argument("--racers", type=int, default=50, help="overlapping accepts at once (default 50)")
    parser.add_argument("--quiet", type=float, default=0.25, help="wait while others use more CPU (default 0.25)")
    parser.add_argument("--max-wait", type=float, default=30, help="seconds to wait for quiet (default 30)")
    args = parser.parse_args(argv)
    # Every booking falls within the sitters' availability horizon (60 days): a client's slots are hours of days 2-11.
    if not (
        1 <= args.clients <= 32 and args.clients <= args.creates <= args.clients * 240 and 1 <= args.accepts <= 150
    ):
        parser.error("keep --clients in 1..32, --creates in clients..(240 x clients) and --accepts in 1..150")
    if not 2 <= args.racers <= 90:
        parser.error("keep --racers in 2..90 (each is a PostgreSQL connection)")
    install_cleanup()
    try:
        figures = run(args)
    except BenchError as exc:
        log(f"FAILED: {exc}")
        return 1
    finally:
        stop_all()
    emit(figures)
    return 0 if figures["goals"]["overlap_one_accepted_rest_409_no_5xx"] else 3


if __name__ == "__main__":
    sys.exit(main())

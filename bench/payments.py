"""Payments: webhook events processed per second (with duplicates), and capture latency next to the bare SDK call.

Run: ``.venv/bin/python bench/payments.py`` — prints one JSON object.

Stripe is localstripe on loopback (its own process group, stopped on every
way out), as in the tests; the app is configured for it exactly as for Stripe
(``STRIPE_SECRET_KEY``, ``STRIPE_API_BASE``, ``STRIPE_WEBHOOK_SECRET``).

- ``webhooks``: signed ``payment_intent.amount_capturable_updated`` events
  (Stripe's scheme: HMAC-SHA256 over ``"{t}.{payload}"``) for authorised
  payments, with ``--duplicates`` of the posts repeating an event id already
  sent, POSTed to the real endpoint ``/api/v1/payments/webhooks/stripe`` under
  gunicorn (``-w 2``, sync) by ``--concurrency`` client threads with keep-alive.
  A new event re-reads its intent from localstripe and locks the payment row;
  a repeat finds its id under the unique constraint and does nothing.
- ``capture``: in this process, ``payments.services.payment_capture`` (row
  lock, the provider call, ledger, audit, receipt notification, notices
  queued) against the bare SDK call on another authorised intent of the same
  size, ``StripeClient.v1.payment_intents.capture`` (the client
  ``payments/stripe_client.py`` builds: only that module imports stripe),
  alternating one of each, in the same run.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import http.client
import json
import os
import random
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._app import app_env, prepare_app
from bench._harness import (
    HOST,
    BenchError,
    Server,
    cores,
    cpu_busy,
    emit,
    install_cleanup,
    log,
    python,
    ratio,
    summarize,
)

WEBHOOK_SECRET = "whsec_bench_payments"
STRIPE_KEY = "sk_test_bench_payments"
WEBHOOK_PATH = "/api/v1/payments/webhooks/stripe"
WSGI_APP = "guardiannest.wsgi:application"


def signed(event_id: str, intent_id: str) -> tuple[bytes, str]:
    created = int(time.time())
    event = {
        "id": event_id,
        "object": "event",
        "type": "payment_intent.amount_capturable_updated",
        "created": created,
        "data": {"object": {"id": intent_id, "object": "payment_intent"}},
    }
    payload = json.dumps(event).encode()
    signature = hmac.new(WEBHOOK_SECRET.encode(), f"{created}.".encode() + payload, hashlib.sha256).hexdigest()
    return payload, f"t={created},v1={signature}"


def django_setup(env: dict[str, str]) -> None:
    os.environ.update(env)
    import django

    django.setup()


def authorised_payments(count: int, localstripe: str) -> list[Any]:
    """``count`` payments authorised at localstripe for a new parent (a customer with a saved card)."""
    import requests

    from accounts.models import Role, User
    from payments.services import customer_for, payment_authorise

    tag = uuid.uuid4().hex[:10]
    parent = User.objects.create_user(f"pay-parent-{tag}@bench.example", None, role=Role.PARENT, first_name="P")
    sitter = User.objects.create_user(f"pay-sitter-{tag}@bench.example", None, role=Role.SITTER, first_name="S")
    customer = customer_for(parent=parent)
    auth = (STRIPE_KEY, "")
    card = {"type": "card", "card[number]": "4242424242424242", "card[exp_month]": 12, "card[exp_year]": 2099}
    method = requests.post(
        f"{localstripe}/v1/payment_methods", data={**card, "card[cvc]": "123"}, auth=auth, timeout=10
    )
    method.raise_for_status()
    attach = f"{localstripe}/v1/payment_methods/{method.json()['id']}/attach"
    requests.post(attach, data={"customer": customer.provider_customer_id}, auth=auth, timeout=10).raise_for_status()
    payments = []
    for n in range(count):
        payment = payment_authorise(payer=parent, payee=sitter, amount=5000, reference=f"bench-{tag}-{n}", actor=None)
        if payment.status != "authorised":
            raise BenchError(f"authorisation {n} ended {payment.status}")
        payments.append(payment)
    return payments


def measure_captures(count: int, localstripe: str) -> dict[str, Any]:
    from payments.services import payment_capture
    from payments.stripe_client import client

    log(f"authorising {2 * count} payments for the capture comparison")
    payments = authorised_payments(2 * count, localstripe)
    ours_ms: list[float] = []
    bare_ms: list[float] = []
    sdk = client()
    busy = cpu_busy()
    for n in range(count):
        ours, bare = payments[2 * n], payments[2 * n + 1]

        def service(payment: Any = ours) -> None:
            started = time.perf_counter()
            payment_capture(payment=payment, amount=4000, actor=None)
            ours_ms.append((time.perf_counter() - started) * 1000)

        def sdk_call(intent_id: str = str(bare.provider_intent_id)) -> None:
            started = time.perf_counter()
            sdk.v1.payment_intents.capture(intent_id, params={"amount_to_capture": 4000})
            bare_ms.append((time.perf_counter() - started) * 1000)

        for call in (service, sdk_call) if n % 2 == 0 else (sdk_call, service):
            call()
    ours_summary, bare_summary = summarize(ours_ms, (50, 90, 99), 2), summarize(bare_ms, (50, 90, 99), 2)
    return {
        "count": count,
        "background_cpu_busy": busy,
        "payment_capture_ms": ours_summary,
        "bare_sdk_capture_ms": bare_summary,
        "overhead_p50_ms": round(ours_summary["p50"] - bare_summary["p50"], 2),
        "ratio_p50": ratio(ours_summary["p50"], bare_summary["p50"]),
    }


def post_all(
    port: int, events: list[tuple[bytes, str]], concurrency: int
) -> tuple[float, dict[str, list[float]], dict[str, int]]:
    """POST every event from ``concurrency`` threads (keep-alive); answer wall seconds, latencies, outcomes."""
    queue = list(enumerate(events))
    lock = threading.Lock()
    latencies: dict[str, list[float]] = {"new": [], "duplicate": [], "error": []}
    outcomes = {"new": 0, "duplicate": 0, "error": 0}
    errors: list[str] = []

    def worker() -> None:
        connection = http.client.HTTPConnection(HOST, port, timeout=30)
        while True:
            with lock:
                if not queue:
                    break
                _, (payload, signature) = queue.pop()
            started = time.perf_counter()
            headers = {"Content-Type": "application/json", "Stripe-Signature": signature}
            connection.request("POST", WEBHOOK_PATH, body=payload, headers=headers)
            response = connection.getresponse()
            body = response.read()
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                if response.status != 200:
                    outcome = "error"
                    errors.append(f"{response.status} {body[:200]!r}")
                else:
                    outcome = "duplicate" if json.loads(body)["duplicate"] else "new"
                outcomes[outcome] += 1
                latencies[outcome].append(elapsed)
        connection.close()

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        log(f"webhook errors: {errors[:3]}")
    return time.perf_counter() - started, latencies, outcomes


def measure_webhooks(
    env: dict[str, str], payments: list[Any], duplicate_share: float, concurrency: int, workers: int
) -> dict[str, Any]:
    unique = [signed(f"evt_bench_{uuid.uuid4().hex}", str(p.provider_intent_id)) for p in payments]
    repeats = round(len(unique) * duplicate_share / (1 - duplicate_share))
    rng = random.Random(7)
    # A repeat comes after its original in the list, as Stripe's retries do (some land while it is in flight).
    events = list(unique)
    for _ in range(repeats):
        position = rng.randrange(len(events) + 1)
        original = rng.choice(events[:position] or unique[:1])
        events.insert(position, original)
    events.reverse()  # post_all pops from the end
    server = Server(
        name="gunicorn",
        argv=[python(), "-m", "gunicorn", "-w", str(workers), "-k", "sync", "-b", f"{HOST}:{{port}}", WSGI_APP],
        env=env,
        ready_path="/health/live",
    )
    with server:
        # Warm-up: the workers' first requests (imports, connections) outside the measured run.
        warm = [signed(f"evt_warm_{uuid.uuid4().hex}", "pi_unknown") for _ in range(4 * workers)]
        post_all(server.port, warm, concurrency)
        busy = cpu_busy()
        seconds, latencies, outcomes = post_all(server.port, events, concurrency)
        server_errors = server.error_lines()
    return {
        "server": f"gunicorn -w {workers} (sync), real endpoint {WEBHOOK_PATH}",
        "client": f"{concurrency} Python threads, keep-alive",
        "events_posted": len(events),
        "unique_events": len(unique),
        "duplicate_share": round(repeats / len(events), 3),
        "answered_new": outcomes["new"],
        "answered_duplicate": outcomes["duplicate"],
        "errors": outcomes["error"],
        "events_per_s": round(len(events) / seconds, 1),
        "latency_ms": summarize(latencies["new"] + latencies["duplicate"], (50, 90, 99), 2),
        "latency_new_ms": summarize(latencies["new"], (50, 90, 99), 2),
        "latency_duplicate_ms": summarize(latencies["duplicate"], (50, 90, 99), 2),
        "background_cpu_busy": busy,
        "server_error_lines": server_errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=400, help="unique webhook events (one per payment)")
    parser.add_argument("--duplicates", type=float, default=0.3, help="share of posts that repeat an event id")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--captures", type=int, default=100, help="captures of each kind (ours, bare SDK)")
    args = parser.parse_args()
    if not 0 <= args.duplicates < 1:
        raise SystemExit("--duplicates is a share: 0 <= d < 1")
    install_cleanup()
    env = app_env()
    localstripe = Server(
        name="localstripe",
        argv=[python(), "-m", "localstripe", "--port", "{port}", "--from-scratch"],
        env=env,
        ready_path="/js.stripe.com/v3/",
    )
    with localstripe:
        env.update(
            {
                "STRIPE_SECRET_KEY": STRIPE_KEY,
                "STRIPE_API_BASE": localstripe.base_url,
                "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
                "STRIPE_MAX_NETWORK_RETRIES": "0",
            }
        )
        prepare_app(env)
        django_setup(env)
        capture = measure_captures(args.captures, localstripe.base_url)
        log(f"authorising {args.events} payments for the webhook run")
        payments = authorised_payments(args.events, localstripe.base_url)
        from django.db import connections

        connections.close_all()
        webhooks = measure_webhooks(env, payments, args.duplicates, args.concurrency, args.workers)
        from guardiannest.celery import app

        purged = app.control.purge()  # the notices and receipts the captures queued: no worker runs here
        log(f"purged {purged} queued tasks")
    emit(
        {
            "benchmark": "payments",
            "cores": cores(),
            "stripe": "localstripe on loopback",
            "webhooks": webhooks,
            "capture": capture,
        }
    )


if __name__ == "__main__":
    main()

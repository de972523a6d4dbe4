"""Where the time of a chat message POST goes, in process, through Django's WSGI handler.

The same settings, database and Redis as bench/chat.py, and no HTTP server:
the WSGI application is called as gunicorn's sync worker calls it. The
recipient holds a place among open sockets (as a connected app would), so the
POST publishes to the sockets and sends no push. Figures in µs, ``wall``
(including PostgreSQL and Redis round trips) and ``cpu`` (this thread).

- ``requests``: whole POSTs with every middleware, with none, with the
  authentication snapshot off (``AUTH_SNAPSHOT_TTL=0``: the user query runs
  on every request), and the same-work floor view (bench/urls_bare.py
  ``FloorMessageApi``), interleaved;
- ``components``: each step of the POST timed alone (JWT validation, the
  throttles, the conversation look-up, the body's cleaning and the safety
  detector, the encryption of the body, the transaction with its lock,
  INSERT and UPDATE, the broadcast after commit, the presence check);
- ``cprofile_wall``: cumulative time of named functions over N POSTs.

    .venv/bin/python bench/profile_chat.py [--requests 600] [--rounds 30] [--profile-requests 300]
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere

from bench._app import app_env, prepare_app
from bench._harness import cores, emit, log, summarize, wait_for_quiet
from bench._inprocess import WsgiCaller, handler, time_calls

# (label, path fragment, function name): cumulative time per POST under cProfile.
NAMED = [
    ("whole request", "django/core/handlers/wsgi.py", "__call__"),
    ("DRF dispatch", "rest_framework/views.py", "dispatch"),
    ("JWT authentication (PyJWT + user query)", "guardiannest/api/authentication.py", "authenticate"),
    ("throttles", "rest_framework/views.py", "check_throttles"),
    ("conversation look-up (refused input only)", "messaging/selectors/chat.py", "conversation_get_for_user"),
    ("input validation (the message's fields, nh3 cleaning)", "messaging/api/chat.py", "_message_input"),
    ("input validation by the serializer (old path; refused input)", "rest_framework/serializers.py", "is_valid"),
    ("message_send (transaction, commit, after-commit work)", "messaging/services/chat.py", "message_send"),
    ("  safety detector", "messaging/safety.py", "detect"),
    ("  the send statement (number, checks, INSERT, UPDATE)", "messaging/services/chat.py", "_store"),
    ("  body encryption", "guardiannest/crypto/fields.py", "pre_save"),
    ("  model save (INSERT, UPDATE)", "django/db/models/base.py", "save"),
    ("  commit + on_commit callbacks", "django/db/backends/base/base.py", "commit"),
    ("    broadcast (recipient first; socket count)", "guardiannest/realtime/events.py", "broadcast_counting_sockets"),
    ("    broadcast (publish to both participants; old path)", "guardiannest/realtime/events.py", "broadcast"),
    ("    async_to_sync hops (old path)", "asgiref/sync.py", "__call__"),
    ("    push if offline (presence: counted above)", "messaging/services/chat.py", "message_push_if_offline"),
    ("SQL execution incl. wait (all queries)", "django/db/backends/utils.py", "_execute"),
    ("Redis commands (send + wait)", "redis/client.py", "execute_command"),
    ("response rendering (JSON)", "rest_framework/renderers.py", "render"),
]


def cumulative(raw: dict[Any, Any], n: int) -> dict[str, float]:
    result = {}
    for label, fragment, name in NAMED:
        matches = [
            cumtime
            for (filename, _line, function), (_cc, _calls, _tt, cumtime, _callers) in raw.items()
            if function == name and fragment in filename
        ]
        result[label] = round(max(matches, default=0.0) * 1e6 / n, 1)
    return result


def setup_chat() -> dict[str, Any]:
    from django.db import connection

    from accounts.models import User
    from accounts.services.auth import tokens_for
    from bench.floor import FLOOR_TABLE_SQL
    from guardiannest.realtime.presence import presence_join
    from messaging.services.conversations import conversation_start

    with connection.cursor() as cursor:
        cursor.execute(FLOOR_TABLE_SQL)
    parent = User.objects.filter(email="chat-parent@bench.example").first() or User.objects.create_user(
        "chat-parent@bench.example", None, role="parent", first_name="P", last_name="B"
    )
    sitter = User.objects.filter(email="chat-sitter-0@bench.example").first() or User.objects.create_user(
        "chat-sitter-0@bench.example", None, role="sitter", first_name="S", last_name="B"
    )
    conversation, _ = conversation_start(actor=parent, participant_id=sitter.pk)
    presence_join(user_id=sitter.pk)  # the recipient has a socket open: no push
    return {"parent": parent, "sitter": sitter, "conversation": conversation, "token": tokens_for(parent)["access"]}


def with_snapshots_off(call: Callable[[], None]) -> Callable[[], None]:
    """``call`` with ``AUTH_SNAPSHOT_TTL`` 0 (the setting is read per request): authentication asks the database."""
    from django.conf import settings

    def off() -> None:
        kept = settings.AUTH_SNAPSHOT_TTL
        settings.AUTH_SNAPSHOT_TTL = 0
        try:
            call()
        finally:
            settings.AUTH_SNAPSHOT_TTL = kept

    return off


def post(caller: WsgiCaller, path: str, token: str) -> Callable[[], None]:
    body = json.dumps({"body": "bench message: see you at six"}).encode()
    headers = {"Authorization": f"Bearer {token}"}

    def call() -> None:
        status, answer = caller(path, headers, method="POST", body=body)
        if status != 201:
            raise SystemExit(f"{path} answered {status}: {answer[:300]!r}")

    return call


def measure_requests(chat: dict[str, Any], n: int, rounds: int) -> dict[str, Any]:
    import random

    from bench._inprocess import Samples

    messages = f"/api/v1/conversations/{chat['conversation'].pk}/messages"
    floor = f"/bench/floor/{chat['conversation'].pk}/messages"
    scenarios = {
        "chat_post": post(handler(), messages, chat["token"]),
        "chat_post_no_middleware": post(handler([]), messages, chat["token"]),
        "chat_post_snapshot_off": with_snapshots_off(post(handler(), messages, chat["token"])),
        "floor_post": post(handler([], urlconf="bench.urls_bare"), floor, chat["token"]),
    }
    samples = {name: Samples() for name in scenarios}
    order = list(scenarios)
    shuffler = random.Random(7)
    for round_number in range(rounds):
        shuffler.shuffle(order)
        for name in order:
            samples[name].extend(time_calls(scenarios[name], max(1, n // rounds), warmup=5 if round_number else 30))
    return {name: sample.summary() for name, sample in samples.items()}


def measure_components(chat: dict[str, Any], n: int) -> dict[str, Any]:
    from django.db import connection, transaction

    from guardiannest.api.authentication import JWTAuthentication
    from guardiannest.crypto.fields import EncryptedTextField
    from guardiannest.prepared import prepared_cursor
    from guardiannest.realtime.events import broadcast, broadcast_counting_sockets
    from guardiannest.realtime.groups import user_group
    from guardiannest.realtime.presence import user_is_online
    from guardiannest.text import clean_text
    from messaging import safety
    from messaging.models import Message
    from messaging.selectors.chat import conversation_get_for_user
    from messaging.services.chat import _send_sql, message_event_data, message_send

    parent, sitter, conversation = chat["parent"], chat["sitter"], chat["conversation"]
    auth = JWTAuthentication()
    text = "bench message: see you at six"
    field = Message._meta.get_field("body")
    assert isinstance(field, EncryptedTextField)
    stored = Message.objects.filter(conversation=conversation).order_by("-seq").first()

    def send_statement(cursor_of: Callable[[], Any]) -> Callable[[], None]:
        """The send statement alone (a message stored under the next number), on the given cursor."""

        def run() -> None:
            message = Message(conversation=conversation, seq=0, sender=parent, body=text)
            fields = [field for field in Message._meta.concrete_fields if field.attname != "seq"]
            values = [field.get_db_prep_save(field.pre_save(message, True), connection) for field in fields]
            with cursor_of() as cursor:
                cursor.execute(
                    _send_sql(), [message.pk, message.created_at, conversation.pk, parent.pk, parent.pk, *values]
                )
                cursor.fetchone()

        return run

    def send_in_transaction() -> None:
        with transaction.atomic():
            message_send(conversation=conversation, sender=parent, body=text)

    operations: dict[str, Callable[[], Any]] = {
        "jwt_validate": lambda: auth.get_validated_token(chat["token"].encode()),
        "user_for_token (1 query)": lambda: auth.get_user(auth.get_validated_token(chat["token"].encode())),
        "conversation_get_for_user (1 query; the POST skips it)": lambda: conversation_get_for_user(
            conversation_id=conversation.pk, user=parent
        ),
        "clean_text (nh3)": lambda: clean_text(text, max_length=4000, multiline=True),
        "safety.detect": lambda: safety.detect(text),
        "encrypt body (AES-GCM)": lambda: field.encrypt(text, pk=stored.pk if stored is not None else None),
        "send statement, prepared (guardiannest.prepared)": send_statement(prepared_cursor),
        "send statement, client-side binding (Django's cursor: parsed and planned each time)": send_statement(
            connection.cursor
        ),
        "message_send (the send statement, broadcast, presence)": send_in_transaction,
        "broadcast to both participants (after commit)": lambda: (
            broadcast([user_group(parent.pk), user_group(sitter.pk)], "message.created", message_event_data(stored))
            if stored is not None
            else None
        ),
        "broadcast to the recipient, then the sender, counting the recipient's sockets (one script)": lambda: (
            broadcast_counting_sockets(
                [user_group(sitter.pk), user_group(parent.pk)],
                "message.created",
                message_event_data(stored),
                user_id=sitter.pk,
            )
            if stored is not None
            else None
        ),
        "user_is_online (alone; the POST counts it in the broadcast)": lambda: user_is_online(user_id=sitter.pk),
    }
    results = {}
    for name, operation in operations.items():
        timed = time_calls(operation, n, warmup=min(50, n))
        results[name] = {"wall_p50": summarize(timed.wall)["p50"], "cpu_p50": summarize(timed.cpu)["p50"]}
        log(f"{name}: p50 wall {results[name]['wall_p50']} µs, cpu {results[name]['cpu_p50']} µs")
    return results


def cprofile_posts(chat: dict[str, Any], n: int) -> dict[str, Any]:
    call = post(handler(), f"/api/v1/conversations/{chat['conversation'].pk}/messages", chat["token"])
    for _ in range(30):
        call()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(n):
        call()
    profiler.disable()
    raw: dict[Any, Any] = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    return {"requests": n, "components_cum_us_per_request": cumulative(raw, n)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--profile-requests", type=int, default=300)
    parser.add_argument("--quiet", type=float, default=0.25)
    parser.add_argument("--max-wait", type=float, default=60)
    parser.add_argument("--skip-setup", action="store_true")
    args = parser.parse_args()
    env = app_env("guardiannest.settings")
    env["THROTTLE_CHAT"] = "1000000000/min"
    if not args.skip_setup:
        prepare_app(env)
    background = wait_for_quiet(args.quiet, args.max_wait)
    os.environ.update(env)
    import django

    django.setup()
    from django.db import connections

    try:
        chat = setup_chat()
        requests = measure_requests(chat, args.requests, args.rounds)
        components = measure_components(chat, max(100, args.requests // 3))
        profile = cprofile_posts(chat, args.profile_requests)
    finally:
        connections.close_all()
    emit(
        {
            "benchmark": "profile_chat",
            "cores": cores(),
            "background_cpu_busy_at_start": background,
            "units": "microseconds",
            "requests": requests,
            "components": components,
            "cprofile_wall": profile,
        }
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The GuardianNest journey under load: search → book → accept → chat → check-in → location → SOS.

Run by ``bench/load/run.py`` (``make load``) as its own process, never imported by the app or by a
process that runs Django: importing locust monkey-patches the standard library with gevent, which
breaks Django's database connections (RECIPES.md). It talks HTTP to gunicorn and websockets to
uvicorn; everything it needs comes from the environment:

- ``LOAD_USERS_FILE``: JSON written by run.py, ``{"pairs": [{parent, parent_token, child_id, sitter,
  sitter_token, latitude, longitude}], "realtime_url": "http://127.0.0.1:PORT"}``. Tokens are issued by
  run.py, so no user signs in during the run (sign-in is measured by bench/login.py);
- ``--host``: gunicorn's base URL.

Parents and sitters are separate Locust users, paired by the order they start in (the n-th parent
books the n-th sitter, so two parents never contend for one sitter's time): run an even number of
users. The pair's moves are handed over through gevent queues in this one process (a hand-over is
coordination of the test, not a request); each side sees the other's work through the API.

One journey (steps named as Locust reports them, in order):

    parent  01 search sitters          GET  search/sitters (near home, free for the slot, verified)
    parent  02 book                    POST bookings (start in 10 minutes, one hour; Idempotency-Key)
    sitter  03 list requests           GET  bookings?status=requested (the new request is in it)
    sitter  04 accept                  POST bookings/{id}/accept (the simulated card: confirmed)
    parent  05 open conversation       POST conversations {booking_id} (201 the first time, then 200)
    parent  06 chat message            POST conversations/{id}/messages
    sitter  07 chat reply              POST conversations/{id}/messages
    sitter  08 check-in                POST bookings/{id}/check-in
    sitter  09 locations (batch of 5)  POST bookings/{id}/locations, three times
    parent  10 follow locations        GET  bookings/{id}/locations
    sitter  11 SOS                     POST emergencies {booking_id, ...} (the ladder starts on `critical`)
    parent  12 acknowledge SOS         POST emergencies/{id}/acknowledge (the ladder stops)
    sitter  13 resolve SOS             POST emergencies/{id}/resolve
    sitter  14 check-out               POST bookings/{id}/check-out (the hold goes: the next journey can book)

Each parent keeps one websocket open (``00 realtime ticket`` then ``00 ws connect``); what it
receives is timed from the moment the other party sent the request that caused it and reported as
``WS`` entries: ``ws message.created → parent``, ``ws location.updated → parent``, ``ws
emergency.raised → parent``. An event that has not arrived by the end of the journey is a failure
of its entry. A hand-over the partner does not make within 30 s is a failure too, reported as
``HANDOVER <kind> not handed over`` (the partner's own failure is reported where it happened).

Only the answers the API promises count as success (201 for a create, 200 for an action, 202 for
locations, 200 or 201 for opening a conversation); anything else is a failure. A 429 is a failure
too, reported under its own message (``throttled (429)``) so run.py can count it apart.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import random
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import gevent
import websocket
from gevent import GreenletExit
from gevent.queue import Empty, Queue
from locust import FastHttpUser, between, events, task

# Seconds a person takes between two steps; LOAD_THINK="0.1,0.3" shortens a journey (the quick test).
THINK = tuple(float(part) for part in os.environ.get("LOAD_THINK", "0.5,1.5").split(","))
HANDOVER_TIMEOUT = 30.0  # seconds one side waits for the other's move
BOOKING_LEAD = timedelta(minutes=10)  # check-in opens 30 minutes before the start
BOOKING_LENGTH = timedelta(hours=1)
WS_GRACE = 5.0  # seconds a socket event may lag behind the end of its journey

_PAIRS: list[dict[str, Any]] = []
_REALTIME_URL = ""
_parent_numbers = itertools.count()
_sitter_numbers = itertools.count()
# Hand-overs, per pair: what the sitter is told, what the parent is told.
_to_sitter: dict[int, Queue] = {}
_to_parent: dict[int, Queue] = {}
# Socket events the parents wait for: (kind, key) -> perf_counter when the cause was sent.
_expected: dict[tuple[str, str], float] = {}


@events.init.add_listener
def _load_users(environment: Any, **_: Any) -> None:
    global _REALTIME_URL
    with open(os.environ["LOAD_USERS_FILE"]) as handle:
        data = json.load(handle)
    _PAIRS.extend(data["pairs"])
    _REALTIME_URL = data["realtime_url"]
    for index in range(len(_PAIRS)):
        _to_sitter[index], _to_parent[index] = Queue(), Queue()


@events.quit.add_listener
def _last_csv_rows(**_: Any) -> None:
    """Locust rewrites its CSV files once a second and closes them at exit without a last write: one more
    interval, with the users stopped, so the files hold the final figures (run.py reads them)."""
    gevent.sleep(1.5)


def _now_iso(offset: timedelta = timedelta(0)) -> str:
    return (datetime.now(UTC) + offset).isoformat()


def _fire(
    environment: Any, name: str, started: float, *, error: str | None = None, length: int = 0, kind: str = "WS"
) -> None:
    """A Locust entry that is no HTTP request: a socket event (``WS``) or a hand-over never made (``HANDOVER``)."""
    environment.events.request.fire(
        request_type=kind,
        name=name,
        response_time=(time.perf_counter() - started) * 1000,
        response_length=length,
        exception=Exception(error) if error else None,
        context={},
    )


class JourneyUser(FastHttpUser):
    """What parents and sitters share: their pair, their token, checked requests and hand-overs."""

    abstract = True
    wait_time = between(*THINK)
    numbers: itertools.count[int]
    role = ""

    def on_start(self) -> None:
        self.index = next(self.numbers)
        if self.index >= len(_PAIRS):
            raise RuntimeError(f"{self.role} {self.index}: run.py seeded only {len(_PAIRS)} pairs")
        self.pair = _PAIRS[self.index]
        self.token = self.pair[f"{self.role}_token"]

    def call(
        self,
        method: str,
        path: str,
        name: str,
        *,
        expect: tuple[int, ...],
        body: Any = None,
        key: bool = False,
        check: Callable[[Any], str | None] | None = None,
    ) -> Any:
        """One API request, named ``name``; its JSON answer, or None (and a failure) on any other status.

        ``check`` looks at the answer and names what is wrong with it (a failure too), or answers None.
        """
        headers = {"Authorization": f"Bearer {self.token}"}
        if key:
            headers["Idempotency-Key"] = uuid.uuid4().hex
        with self.client.request(
            method, f"/api/v1/{path}", name=name, headers=headers, json=body, catch_response=True
        ) as response:
            if response.status_code in expect:
                try:
                    answer = response.json() if response.text else {}
                except ValueError:
                    response.failure("answer is not JSON")
                    return None
                problem = check(answer) if check else None
                if problem:
                    response.failure(problem)
                    return None
                response.success()
                return answer
            if response.status_code == 429:
                response.failure("throttled (429)")
            else:
                code = ""
                with contextlib.suppress(ValueError, AttributeError):
                    code = (response.json() or {}).get("code", "")
                response.failure(f"HTTP {response.status_code} {code}".strip())
            return None

    def think(self) -> None:
        gevent.sleep(random.uniform(*THINK))

    def wait_for(self, queue: Queue, kind: str, booking: str | None) -> dict[str, Any] | None:
        """The partner's next hand-over of ``kind`` for ``booking``; None when the partner gave up.

        With ``booking`` None (a sitter waiting for a new request) it waits as long as it takes;
        otherwise at most ``HANDOVER_TIMEOUT`` seconds, and a timeout is a failure of its own entry.
        Hand-overs of an earlier, abandoned journey are skipped.
        """
        started = time.perf_counter()
        deadline = time.monotonic() + HANDOVER_TIMEOUT
        while True:
            try:
                wait = None if booking is None else max(0.0, deadline - time.monotonic())
                message = queue.get(timeout=wait)
            except Empty:
                _fire(self.environment, f"{kind} not handed over", started, error="timed out", kind="HANDOVER")
                return None
            if message.get("booking") != booking and booking is not None:
                continue
            if message["kind"] == kind:
                return message
            if booking is not None and message["kind"] in ("abort", "done"):
                return None  # the partner ended this journey


class Parent(JourneyUser):
    role = "parent"
    numbers = _parent_numbers

    def on_start(self) -> None:
        super().on_start()
        self.socket: websocket.WebSocket | None = None
        self.reader: gevent.Greenlet | None = None
        self.connect()

    def on_stop(self) -> None:
        if self.reader is not None:
            self.reader.kill(block=False)
        if self.socket is not None:
            self.socket.close()

    # --- the socket -------------------------------------------------------------------------

    def connect(self) -> None:
        answer = self.call("POST", "realtime/ticket", "00 realtime ticket", expect=(201,))
        if answer is None:
            return
        url = _REALTIME_URL.replace("http://", "ws://") + f"/ws/v1?ticket={answer['ticket']}"
        started = time.perf_counter()
        try:
            # No Origin header, as the mobile apps (a browser's Origin must be allowed).
            self.socket = websocket.create_connection(url, timeout=10, suppress_origin=True)
        except Exception as exc:
            _fire(self.environment, "00 ws connect", started, error=f"{type(exc).__name__}: {exc}")
            return
        _fire(self.environment, "00 ws connect", started)
        self.socket.settimeout(None)
        self.reader = gevent.spawn(self.read)

    def read(self) -> None:
        socket, last_ping = self.socket, time.monotonic()
        assert socket is not None
        socket.settimeout(5)
        while True:
            try:
                frame = socket.recv()
            except websocket.WebSocketTimeoutException:
                frame = None
            except Exception:
                self.socket = None
                return
            if time.monotonic() - last_ping > 20:  # apps ping; the server closes a silent socket
                socket.send('{"type":"ping"}')
                last_ping = time.monotonic()
            if not frame:
                continue
            envelope = json.loads(frame)
            data = envelope.get("data") or {}
            kind = envelope.get("type")
            if kind == "message.created" and data.get("sender_id") != self.pair["sitter"]:
                continue  # the parent's own message: only the sitter's reply is timed
            key = data.get("conversation_id") if kind == "message.created" else data.get("booking_id")
            started = _expected.pop((kind, str(key)), None)
            if started is not None:
                _fire(self.environment, f"ws {kind} → parent", started, length=len(frame))

    def missed(self, keys: list[tuple[str, str]]) -> None:
        """Events of this journey that never reached the socket: failures of their entries."""
        gevent.sleep(WS_GRACE if any(k in _expected for k in keys) else 0)
        for kind, key in keys:
            started = _expected.pop((kind, key), None)
            if started is not None:
                _fire(self.environment, f"ws {kind} → parent", started, error="not received")

    # --- the journey --------------------------------------------------------------------------

    @task
    def journey(self) -> None:
        if self.socket is None:
            self.connect()
        pair, sitters = self.pair, _to_sitter[self.index]
        start = datetime.now(UTC) + BOOKING_LEAD
        end = start + BOOKING_LENGTH
        query = (
            f"search/sitters?latitude={pair['latitude']}&longitude={pair['longitude']}&radius_km=10"
            f"&start={start.isoformat().replace('+', '%2B')}&end={end.isoformat().replace('+', '%2B')}&verified=true"
        )
        if self.call("GET", query, "01 search sitters", expect=(200,)) is None:
            return
        self.think()
        body = {
            "sitter_id": pair["sitter"],
            "start": start.isoformat(),
            "end": end.isoformat(),
            "child_ids": [pair["child_id"]],
            "notes": "Bedtime at eight, please.",
        }
        booking = self.call("POST", "bookings", "02 book", expect=(201,), body=body, key=True)
        if booking is None:
            return
        booking_id = booking["id"]
        keys: list[tuple[str, str]] = []
        sitters.put({"kind": "requested", "booking": booking_id})
        try:
            if self.wait_for(_to_parent[self.index], "accepted", booking_id) is None:
                return
            self.think()
            conversation = self.call(
                "POST", "conversations", "05 open conversation", expect=(200, 201), body={"booking_id": booking_id}
            )
            if conversation is None:
                return
            self.think()
            message = {"body": "Hi! The spare key is under the blue pot."}
            conversation_path = f"conversations/{conversation['id']}/messages"
            if self.call("POST", conversation_path, "06 chat message", expect=(201,), body=message) is None:
                return
            keys += [("message.created", conversation["id"]), ("location.updated", booking_id)]
            keys.append(("emergency.raised", booking_id))
            sitters.put({"kind": "chat", "booking": booking_id, "conversation": conversation["id"]})
            if self.wait_for(_to_parent[self.index], "located", booking_id) is None:
                return
            self.call("GET", f"bookings/{booking_id}/locations", "10 follow locations", expect=(200,))
            raised = self.wait_for(_to_parent[self.index], "sos", booking_id)
            if raised is None:
                return
            self.think()
            path = f"emergencies/{raised['emergency']}/acknowledge"
            if self.call("POST", path, "12 acknowledge SOS", expect=(200,)) is None:
                return
            sitters.put({"kind": "acknowledged", "booking": booking_id})
            self.wait_for(_to_parent[self.index], "done", booking_id)
        except GreenletExit:  # the run is over: Locust stops its users mid-journey
            keys.clear()
            raise
        finally:
            sitters.put({"kind": "abort", "booking": booking_id})  # ignored once the sitter is done
            self.missed(keys)


class Sitter(JourneyUser):
    role = "sitter"
    numbers = _sitter_numbers

    @task
    def journey(self) -> None:
        parents, mine = _to_parent[self.index], _to_sitter[self.index]
        request = self.wait_for(mine, "requested", None)
        if request is None:
            return
        booking_id = request["booking"]
        held = in_progress = False
        try:
            self.think()

            def listed(answer: Any) -> str | None:
                ids = {row["id"] for row in answer.get("results", [])}
                return None if booking_id in ids else "the new request is not listed"

            path = "bookings?status=requested"
            if self.call("GET", path, "03 list requests", expect=(200,), check=listed) is None:
                return
            self.think()
            if self.call("POST", f"bookings/{booking_id}/accept", "04 accept", expect=(200,)) is None:
                return
            held = True
            parents.put({"kind": "accepted", "booking": booking_id})
            chat = self.wait_for(mine, "chat", booking_id)
            if chat is None:
                return
            self.think()
            reply = {"body": "Got it, see you soon!"}
            _expected[("message.created", chat["conversation"])] = time.perf_counter()
            path = f"conversations/{chat['conversation']}/messages"
            if self.call("POST", path, "07 chat reply", expect=(201,), body=reply) is None:
                return
            self.think()
            place = {"latitude": f"{self.pair['latitude']:.6f}", "longitude": f"{self.pair['longitude']:.6f}"}
            if self.call("POST", f"bookings/{booking_id}/check-in", "08 check-in", expect=(200,), body=place) is None:
                return
            in_progress = True
            for batch in range(3):
                self.think()
                fixes = [
                    {
                        "latitude": self.pair["latitude"] + random.uniform(-0.002, 0.002),
                        "longitude": self.pair["longitude"] + random.uniform(-0.002, 0.002),
                        "accuracy_m": 8.0,
                        "recorded_at": _now_iso(timedelta(seconds=fix - 5)),
                    }
                    for fix in range(5)
                ]
                if batch == 2:
                    _expected[("location.updated", booking_id)] = time.perf_counter()
                path = f"bookings/{booking_id}/locations"
                if self.call("POST", path, "09 locations (batch of 5)", expect=(202,), body=fixes) is None:
                    return
            parents.put({"kind": "located", "booking": booking_id})
            self.think()
            sos = {"booking_id": booking_id, "message": "Load test: all fine, please acknowledge."}
            sos |= {"latitude": self.pair["latitude"], "longitude": self.pair["longitude"]}
            _expected[("emergency.raised", booking_id)] = time.perf_counter()
            emergency = self.call("POST", "emergencies", "11 SOS", expect=(201,), body=sos)
            if emergency is None:
                return
            parents.put({"kind": "sos", "booking": booking_id, "emergency": emergency["id"]})
            acknowledged = self.wait_for(mine, "acknowledged", booking_id)
            self.think()
            notes = {"notes": "Load test alert, closed."}
            # Resolved even when the parent never acknowledged: no ladder is left climbing.
            self.call("POST", f"emergencies/{emergency['id']}/resolve", "13 resolve SOS", expect=(200,), body=notes)
            if acknowledged is None:
                return
        except GreenletExit:  # the run is over: no clean-up requests while Locust stops
            held = in_progress = False
            raise
        finally:
            self.release(booking_id, held=held, in_progress=in_progress)
            parents.put({"kind": "done", "booking": booking_id})

    def release(self, booking_id: str, *, held: bool, in_progress: bool) -> None:
        """End the journey so the next one can book the same hour: check out, or cancel a held booking."""
        if in_progress:
            self.think()
            place = {"latitude": f"{self.pair['latitude']:.6f}", "longitude": f"{self.pair['longitude']:.6f}"}
            self.call("POST", f"bookings/{booking_id}/check-out", "14 check-out", expect=(200,), body=place)
        elif held:
            body = {"reason": "Load test journey abandoned."}
            self.call("POST", f"bookings/{booking_id}/cancel", "recover: cancel", expect=(200,), body=body)

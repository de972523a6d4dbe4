"""`make run`'s path end to end: the embedded default on a fresh folder, nothing else running.

Migrates an empty SQLite database, seeds the demo data, starts ``manage.py serve``
(uvicorn, in-process worker and beat) on a free port, and uses it as a person would.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import datetime, timedelta
from datetime import time as dt_time
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
from websockets.sync.client import connect

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def call(
    base: str,
    path: str,
    body: dict | list | None = None,
    token: str | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict | str]:
    request = urllib.request.Request(base + path, data=json.dumps(body).encode() if body is not None else None)
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    if body is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            raw, status = response.read().decode(), response.status
    except urllib.error.HTTPError as error:
        raw, status = error.read().decode(), error.code
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw


def serve(env: dict[str, str], log: Path | None = None) -> Iterator[str]:
    """``manage.py serve`` on a free port with exactly ``env``; yields its base URL, stops it after.

    Its output goes to ``log`` when given (the caller reads the log lines), else nowhere.
    """
    port = free_port()
    with log.open("wb") if log else open(os.devnull, "wb") as output:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "serve", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if call(base, "/health/live")[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("manage.py serve did not answer within 30 s")
        yield base
    finally:
        process.terminate()
        process.wait(15)


def seeded(var: Path, *, twice: bool = False) -> dict[str, str]:
    """`make run`'s environment on a fresh ``var``, migrated and seeded (``twice``: seeding is safe to repeat)."""
    env = {"PATH": os.environ["PATH"], "VAR_DIR": str(var), "DJANGO_SETTINGS_MODULE": "guardiannest.settings"}
    for command in (["migrate", "--noinput", "-v", "0"], ["seed_demo"], *([["seed_demo"]] if twice else [])):
        result = subprocess.run(
            [sys.executable, "manage.py", *command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180
        )
        assert result.returncode == 0, result.stderr
    return env


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from serve(seeded(tmp_path_factory.mktemp("var"), twice=True))


def assert_problem_404(base: str, path: str) -> None:
    status, body = call(base, path, headers={"X-Request-ID": "probe-404", "Accept": "text/html"})
    assert status == 404 and isinstance(body, dict), body
    assert body["code"] == "not_found" and body["request_id"] == "probe-404"


def test_debug_is_off_and_an_unknown_path_answers_problem_json(server: str) -> None:
    """The embedded default is no debug server: no HTML page listing the routes, to anyone."""
    for path in ("/nope", "/api/v1/nope", "/admin-nope/x", "/static/nope.css", "/api/schema/nope"):
        assert_problem_404(server, path)


def test_even_with_debug_asked_for_an_unknown_path_answers_problem_json(tmp_path: Path) -> None:
    env = {"PATH": os.environ["PATH"], "VAR_DIR": str(tmp_path), "DEBUG": "true"}
    for base in serve({**env, "DJANGO_SETTINGS_MODULE": "guardiannest.settings"}):
        assert_problem_404(base, "/nope")
        assert_problem_404(base, "/api/v1/nope")


def test_health_docs_and_admin_answer(server: str) -> None:
    status, ready = call(server, "/health/ready")
    assert status == 200 and ready["checks"]["redis"] == {"status": "embedded"}
    status, docs = call(server, "/api/docs")
    assert status == 200 and "swagger-ui" in str(docs)
    assert call(server, "/api/docs?script")[0] == 200
    status, schema = call(server, "/api/schema?format=json")
    assert status == 200 and "/api/v1/auth/login" in schema["paths"]  # type: ignore[index]
    status, login_page = call(server, "/admin/login/")
    assert status == 200 and "otp_token" in str(login_page)
    assert call(server, "/static/admin/css/base.css")[0] == 200


def test_a_demo_parent_signs_in_and_the_socket_answers(server: str) -> None:
    status, tokens = call(
        server, "/api/v1/auth/login", {"email": "parent.anna@guardiannest.demo", "password": "guardian-demo-2026"}
    )
    assert status == 200, tokens
    access = tokens["access"]  # type: ignore[index]
    assert call(server, "/api/v1/auth/me", token=access)[1]["role"] == "parent"  # type: ignore[index]
    status, ticket = call(server, "/api/v1/realtime/ticket", {}, token=access)
    assert status == 201
    with connect(server.replace("http", "ws") + f"/ws/v1?ticket={ticket['ticket']}") as socket_:  # type: ignore[index]
        socket_.send(json.dumps({"type": "ping"}))
        assert json.loads(socket_.recv(timeout=5)) == {"type": "pong"}


_TOKENS: dict[tuple[str, str], str] = {}


def login(server: str, email: str) -> str:
    """An access token for ``email`` on ``server``, signed in once per server: the tests of a module share one
    server, whose login throttle (10 a minute from one address) their sign-ins would otherwise exhaust."""
    if (server, email) not in _TOKENS:
        status, tokens = call(server, "/api/v1/auth/login", {"email": email, "password": "guardian-demo-2026"})
        assert status == 200, tokens
        _TOKENS[server, email] = str(tokens["access"])  # type: ignore[index]
    return _TOKENS[server, email]


def test_the_main_flows_work_on_sqlite_without_redis(server: str) -> None:
    """The embedded default is SQLite and in-memory layers: every app's everyday calls must work there too."""
    parent = login(server, "parent.anna@guardiannest.demo")
    sitter = login(server, "sitter.chloe@guardiannest.demo")
    status, children = call(server, "/api/v1/parents/me/children", token=parent)
    assert status == 200 and children["results"]  # type: ignore[index]
    sitter_id = call(server, "/api/v1/auth/me", token=sitter)[1]["id"]  # type: ignore[index]
    status, conversation = call(server, "/api/v1/conversations", {"participant_id": sitter_id}, token=parent)
    assert status in {200, 201}, conversation
    conversation_id = conversation["id"]  # type: ignore[index]
    status, message = call(
        server, f"/api/v1/conversations/{conversation_id}/messages", {"body": "Hello!"}, token=parent
    )
    assert status == 201, message
    status, history = call(server, f"/api/v1/conversations/{conversation_id}/messages", token=sitter)
    assert status == 200 and history["results"][0]["body"] == "Hello!"  # type: ignore[index]
    assert call(server, "/api/v1/notifications/preferences", token=parent)[0] == 200
    assert call(server, "/api/v1/notifications", token=sitter)[0] == 200
    assert call(server, "/api/v1/security/sessions", token=parent)[0] == 200
    assert call(server, "/api/v1/security/events", token=parent)[0] == 200
    assert call(server, "/api/v1/auth/passkeys", token=parent)[0] == 200
    assert call(server, "/api/v1/security/export", {}, token=parent)[0] == 202
    assert_feedback_works(server, parent, sitter)


def assert_feedback_works(server: str, parent: str, sitter: str) -> None:
    """Feedback, votes and the demo survey on SQLite (row locks, EXISTS, JSON choices)."""
    status, sent = call(server, "/api/v1/feedback", {"kind": "bug", "message": "Map froze"}, token=parent)
    assert status == 201 and sent["status"] == "new", sent  # type: ignore[index]
    status, requests = call(server, "/api/v1/feature-requests", token=sitter)
    assert status == 200 and requests["results"], requests  # type: ignore[index]
    first = requests["results"][0]  # type: ignore[index]
    status, voted = call(server, f"/api/v1/feature-requests/{first['id']}/vote", {}, token=sitter)
    assert status == 200 and voted["voted"] is True, voted  # type: ignore[index]
    status, surveys = call(server, "/api/v1/surveys/active", token=parent)
    assert status == 200 and len(surveys["results"]) == 1, surveys  # type: ignore[index]
    survey = surveys["results"][0]  # type: ignore[index]
    # each question's kind names the field its answer goes in
    values = {"rating": 5, "text": "More sitters"}
    answers = [
        {"question_id": q["id"], q["kind"]: values.get(q["kind"]) or q["choices"][0]} for q in survey["questions"]
    ]
    url = f"/api/v1/surveys/{survey['id']}/responses"
    assert call(server, url, {"answers": answers}, token=parent)[0] == 201
    assert call(server, url, {"answers": answers}, token=parent)[0] == 409


def test_links_point_at_the_port_serve_listens_on(server: str) -> None:
    """``serve --port`` (no FRONTEND_URL, no PORT in the environment): the payout onboarding link opens there."""
    port = server.rsplit(":", 1)[1]
    sitter = login(server, "sitter.chloe@guardiannest.demo")

    status, onboarding = call(server, "/api/v1/payments/payouts/onboarding", {}, token=sitter)

    assert status == 200, onboarding
    link = onboarding["url"]  # type: ignore[index]
    assert link.startswith(f"http://localhost:{port}/api/v1/payments/payouts/simulated-onboarding?"), link


def test_a_loopback_client_cannot_pick_its_address_with_x_forwarded_for(tmp_path: Path) -> None:
    """uvicorn's proxy headers trust loopback by default; ours trust no one unless a proxy is configured.

    A server of its own: the shared one has spent this address's login budget on other tests.
    """
    for server in serve(seeded(tmp_path)):
        assert_lockout_holds_whatever_the_forwarded_for(server)


def assert_lockout_holds_whatever_the_forwarded_for(server: str) -> None:
    email = "sitter.julia@guardiannest.demo"
    wrong = [call(server, "/api/v1/auth/login", {"email": email, "password": "wrong-password-1"}) for _ in range(5)]
    assert [status for status, _ in wrong] == [401] * 4 + [429], wrong
    assert call(server, "/api/v1/auth/login", {"email": email, "password": "guardian-demo-2026"})[0] == 429

    status, _ = call(
        server,
        "/api/v1/auth/login",
        {"email": email, "password": "guardian-demo-2026"},
        headers={"X-Forwarded-For": "203.0.113.7"},
    )

    assert status == 429, "a spoofed X-Forwarded-For got past the lock"


def next_weekday_evening(weekday: int, start_hour: int, end_hour: int) -> tuple[str, str]:
    """``start``/``end`` on the next ``weekday`` (at least two days ahead), Berlin time, with the offset."""
    berlin = ZoneInfo("Europe/Berlin")
    day = datetime.now(berlin).date() + timedelta(days=2)
    day += timedelta(days=(weekday - day.weekday()) % 7)
    start = datetime.combine(day, dt_time(start_hour), tzinfo=berlin)
    return start.isoformat(), start.replace(hour=end_hour).isoformat()


def test_sitter_search_profile_and_holds_work_on_sqlite(server: str) -> None:
    """Search's SQLite path (latitude band + great-circle test), ETag/304, and holds refused under SQLite's lock."""
    parent = login(server, "parent.anna@guardiannest.demo")
    sitter = login(server, "sitter.chloe@guardiannest.demo")
    chloe = call(server, "/api/v1/auth/me", token=sitter)[1]["id"]  # type: ignore[index]
    where = "latitude=52.52&longitude=13.405&radius_km=10"
    status, page = call(server, f"/api/v1/search/sitters?{where}&verified=true", token=parent)
    assert status == 200, page
    found = page["results"]  # type: ignore[index]
    assert len(found) == 8 and all(0 <= item["distance_km"] <= 10 for item in found)
    assert [item["distance_km"] for item in found] == sorted(item["distance_km"] for item in found)
    assert "latitude" not in found[0] and found[0]["hourly_rate"]["currency"]

    # Chloe works Wednesday evenings: free until she blocks part of the evening herself.
    start, end = next_weekday_evening(2, 18, 20)
    free = f"/api/v1/search/sitters?{where}&start={quote(start)}&end={quote(end)}"
    assert chloe in {item["id"] for item in call(server, free, token=parent)[1]["results"]}  # type: ignore[index]
    blocked_start, blocked_end = next_weekday_evening(2, 19, 21)
    status, hold = call(
        server, "/api/v1/sitters/me/holds", {"starts_at": blocked_start, "ends_at": blocked_end}, token=sitter
    )
    assert status == 201, hold
    status, overlap = call(server, "/api/v1/sitters/me/holds", {"starts_at": start, "ends_at": end}, token=sitter)
    assert status == 409 and overlap["code"] == "sitter_unavailable"  # type: ignore[index]
    assert chloe not in {item["id"] for item in call(server, free, token=parent)[1]["results"]}  # type: ignore[index]

    request = urllib.request.Request(f"{server}/api/v1/sitters/{chloe}")
    request.add_header("Authorization", f"Bearer {parent}")
    with urllib.request.urlopen(request, timeout=10) as response:
        etag, profile = response.headers["ETag"], json.loads(response.read())
    assert profile["id"] == chloe and "latitude" not in profile and etag
    request.add_header("If-None-Match", etag)
    with pytest.raises(urllib.error.HTTPError) as not_modified:
        urllib.request.urlopen(request, timeout=10)
    assert not_modified.value.code == 304


def test_the_demo_parent_follows_a_booking_in_progress(server: str) -> None:
    """The demo (seeded twice) has one booking in progress now; its sitter sees the family for the booked time."""
    parent = login(server, "parent.anna@guardiannest.demo")
    status, page = call(server, "/api/v1/bookings?status=in_progress", token=parent)
    assert status == 200, page
    [live] = page["results"]  # type: ignore[index]
    now = datetime.now(ZoneInfo("UTC"))
    assert datetime.fromisoformat(live["start"]) <= now < datetime.fromisoformat(live["end"])
    assert live["payment_status"] == "authorised" and live["checked_in_at"]
    status, detail = call(server, f"/api/v1/bookings/{live['id']}", token=parent)
    assert status == 200 and detail["family"] is None  # type: ignore[index]

    sitter = login(server, "sitter.emma@guardiannest.demo")
    status, seen = call(server, f"/api/v1/bookings/{live['id']}", token=sitter)
    assert status == 200 and seen["family"]["address"].startswith("Torstrasse")  # type: ignore[index]

    # Live tracking on SQLite: the sitter's fix is stored once (a retried batch adds nothing), the parent reads it.
    fix = {"latitude": 52.5301, "longitude": 13.4012, "accuracy_m": 9, "recorded_at": now.isoformat()}
    path = f"/api/v1/bookings/{live['id']}/locations"
    assert call(server, path, [fix, fix], token=sitter) == (202, {"accepted": 1})
    assert call(server, path, fix, token=sitter) == (202, {"accepted": 0})
    status, trail = call(server, path, token=parent)
    assert status == 200 and [p["latitude"] for p in trail["results"]] == [52.5301]  # type: ignore[index]
    statuses = {b["status"] for b in call(server, "/api/v1/bookings?page_size=50", token=parent)[1]["results"]}  # type: ignore[index]
    ben = login(server, "parent.ben@guardiannest.demo")
    statuses |= {b["status"] for b in call(server, "/api/v1/bookings?page_size=50", token=ben)[1]["results"]}  # type: ignore[index]
    assert statuses == {
        "requested",
        "accepted",
        "confirmed",
        "in_progress",
        "completed",
        "declined",
        "expired",
        "cancelled",
        "disputed",
    }


def test_an_sos_goes_out_from_the_embedded_critical_worker(server: str) -> None:
    """The embedded default's own worker thread for the critical queue runs the ladder's first step and
    sends its messages: the alert's timeline shows them sent (written to var/outbox)."""
    parent = login(server, "parent.anna@guardiannest.demo")
    status, raised = call(server, "/api/v1/emergencies", {"latitude": 52.52, "longitude": 13.405}, token=parent)
    assert status == 201, raised
    assert call(server, "/api/v1/emergencies", {"latitude": 52.52, "longitude": 13.405}, token=parent)[0] == 200

    deadline, deliveries = time.monotonic() + 20, []
    while time.monotonic() < deadline:
        detail = call(server, f"/api/v1/emergencies/{raised['id']}", token=parent)[1]  # type: ignore[index]
        deliveries = [e for e in detail["timeline"] if e["type"] == "delivery"]  # type: ignore[index]
        if deliveries and all(e["status"] == "sent" for e in deliveries):
            break
        time.sleep(0.2)
    assert deliveries and {(e["audience"], e["channel"], e["status"]) for e in deliveries} == {
        ("contacts", "sms", "sent")
    }


def test_staff_read_the_analytics_on_sqlite(server: str) -> None:
    """The analytics' SQL (truncations, filtered aggregates, the SQLite percentile) runs on the embedded default."""
    from django_otp.oath import totp

    from accounts.demo import STAFF_TOTP_KEY_HEX

    status, half = call(
        server, "/api/v1/auth/login", {"email": "staff@guardiannest.demo", "password": "guardian-demo-2026"}
    )
    assert status == 200 and half["mfa_required"], half  # type: ignore[index]
    code = f"{totp(bytes.fromhex(STAFF_TOTP_KEY_HEX)):06d}"
    status, tokens = call(server, "/api/v1/auth/login/mfa", {"mfa_token": half["mfa_token"], "code": code})  # type: ignore[index]
    assert status == 200, tokens
    access = str(tokens["access"])  # type: ignore[index]

    status, bookings = call(server, "/api/v1/analytics/bookings?interval=week", token=access)
    assert status == 200, bookings
    assert sum(row["requested"] for row in bookings["series"]) >= 1  # type: ignore[index]  # the demo bookings
    assert len(bookings["by_weekday_hour"]) == 168  # type: ignore[index]
    for endpoint in ("revenue", "users", "retention"):
        status, body = call(server, f"/api/v1/analytics/{endpoint}", token=access)
        assert status == 200 and body["series"], body  # type: ignore[index]
    assert call(server, "/api/v1/analytics/users", token=login(server, "parent.anna@guardiannest.demo"))[0] == 403

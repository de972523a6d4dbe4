"""The journey under load: Locust against the production processes, per-step requests/s and latencies.

Run: ``.venv/bin/python bench/load/run.py`` (``make load``) — prints one JSON object (progress on stderr).

    options: --users 50 --spawn-rate 10 --run-time 60s --pairs 50 --quiet 0.25 --max-wait 60 --keep-csv DIR
             --template-db NAME (copy a migrated database instead of migrating: the quick test)

1. A fresh database (``LOAD_DB``, default ``guardiannest_load``; dropped first when it exists),
   migrated; ``--pairs`` families and sitters made through the services (a parent with a home, a child,
   an emergency contact and the simulated provider's test card; a verified sitter nearby, available
   around the clock, one per parent, so parents never contend for one sitter's time), and a token
   each (no one signs in during the run).
2. The processes as compose.yaml starts them, each in its own process group on loopback: gunicorn
   (``guardiannest.wsgi``, 2 sync workers), one uvicorn realtime process, a Celery worker on
   ``default`` and one on ``critical`` (bench/_sos_stack.py), Celery beat, and in this process a
   loopback stand-in for Twilio's Messages API (the SOS texts the emergency contacts).
3. ``locust --headless -u USERS -r RATE -t TIME --csv …`` with bench/load/locustfile.py, as its own
   process (importing locust patches the standard library with gevent; Django must not share a process
   with it). Half the users are parents, half sitters.
4. Figures per step from Locust's CSV: requests, requests/s, p50/p95/p99 (ms), failures, and the 429s
   among them (``throttled``); then every process started is stopped (and checked gone: no process
   carrying this run's marker in its environment is left), the broker emptied and the database dropped.

Settings are production's (``DEBUG=false``, JSON logs, connection pool, the default throttle rates:
user 600/min, chat 30/min, ticket 60/min) but for what a one-minute run compresses: each SOS is a new
alert (``EMERGENCY_DEDUPE_SECONDS=0``: a sitter raises one every ~20 s here, not once in a lifetime) and
the SMS budgets are out of reach (every SOS texts a contact). Redis: ``BENCH_REDIS_URL`` (cache, channel
layer) and ``BENCH_BROKER_URL`` (Celery), as for bench/sos.py.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))
# The load run's own database (it is dropped at the end): never another benchmark's.
os.environ["BENCH_DB"] = os.environ.get("LOAD_DB", "guardiannest_load")

from bench._app import BENCH_DB, prepare_app, redis_check
from bench._harness import (
    BenchError,
    Server,
    cores,
    emit,
    install_cleanup,
    leftover_groups,
    log,
    start_together,
    stop_all,
    tool,
    wait_for_quiet,
)
from bench._sos_stack import TwilioStandIn, bench_env, clear_broker, django_setup, worker
from bench.chat import realtime_argv
from bench.http_servers import HEALTH_PATH, gunicorn_argv

LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"
ZONE = "Europe/Berlin"
MARKER = "GN_LOAD_RUN"  # in the environment of every process a run starts, to find any left behind
# bench_env's settings that a production deployment would not have: back to the defaults (or to what the
# caller's environment says, e.g. THROTTLE_CHAT=5/min to see the journey meet a throttle).
NOT_PRODUCTION = (
    "THROTTLE_USER",
    "THROTTLE_ANON",
    "THROTTLE_LOGIN",
    "THROTTLE_CHAT",
    "REALTIME_SOCKETS_PER_USER",
    "REALTIME_CLIENT_RATE",
    "REALTIME_CLIENT_BURST",
    "REALTIME_SEND_QUEUE",
    "EMERGENCY_ESCALATION_SECONDS",
)


# --- the database ----------------------------------------------------------------------------


def drop_database() -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(BENCH_DB)))


def copy_database(template: str) -> None:
    """The load database as a copy of an already migrated one (the test's): no migrations to wait for."""
    import psycopg
    from psycopg import sql

    log(f"creating {BENCH_DB} from {template}")
    statement = sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(BENCH_DB), sql.Identifier(template))
    with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres", autocommit=True) as conn:
        for attempt in range(5):
            try:
                conn.execute(statement)
                return
            except psycopg.errors.ObjectInUse:  # a connection to the template still closing
                if attempt == 4:
                    raise
                time.sleep(1)


def seed(pairs: int) -> list[dict[str, Any]]:
    """``pairs`` families, each with its own verified sitter nearby; through the services, as real use would."""
    from datetime import date

    from django.db import transaction

    from accounts.models import Role, User
    from accounts.services import family
    from accounts.services.auth import tokens_for
    from payments.services import customer_for, payment_methods_sync
    from sitters.models import CheckStatus
    from sitters.services.calendar.availability import availability_set
    from sitters.services.profile import sitter_profile_for, sitter_profile_update
    from sitters.services.verification import verification_decide

    rows = []
    for n in range(pairs):
        # Homes on a grid around Berlin Mitte, ~0.5 km apart; each sitter ~0.3 km from their family.
        latitude, longitude = 52.50 + (n % 10) * 0.005, 13.38 + (n // 10) * 0.008
        with transaction.atomic():
            parent = User.objects.create_user(
                f"load.parent.{n}@load.example", None, role=Role.PARENT, first_name=f"Parent{n}", last_name="Load"
            )
            family.parent_profile_update(
                parent=parent,
                actor=parent,
                data={
                    "address": f"Loadstraße {n + 1}, 10115 Berlin",
                    "latitude": f"{latitude:.6f}",
                    "longitude": f"{longitude:.6f}",
                    "phone": f"+49309018{n:04d}",
                },
            )
            child = family.child_create(
                parent=parent, actor=parent, data={"first_name": f"Kid{n}", "birth_date": date(2019, 5, 1)}
            )
            family.emergency_contact_create(
                parent=parent,
                actor=parent,
                data={"name": f"Grandma {n}", "phone": f"+49309028{n:04d}", "relationship": "Grandmother"},
            )
            payment_methods_sync(customer=customer_for(parent=parent))  # the simulated provider's test card
            sitter = User.objects.create_user(
                f"load.sitter.{n}@load.example", None, role=Role.SITTER, first_name=f"Sitter{n}", last_name="Load"
            )
            profile = sitter_profile_update(
                profile=sitter_profile_for(user=sitter),
                actor=sitter,
                timezone=ZONE,
                bio="Load test sitter.",
                hourly_rate=2000 + 10 * n,
                years_experience=3,
                languages=["de", "en"],
                age_groups=["toddler", "preschool"],
                latitude=round(latitude + 0.003, 6),
                longitude=round(longitude, 6),
                service_radius_km=10,
            )
            availability_set(profile=profile, timezone=ZONE, windows=[(d, 0, 24 * 60) for d in range(7)], actor=sitter)
            verification_decide(sitter=sitter, actor=None, decision=CheckStatus.VERIFIED)
        rows.append(
            {
                "parent": str(parent.pk),
                "parent_token": tokens_for(parent)["access"],
                "child_id": str(child.pk),
                "sitter": str(sitter.pk),
                "sitter_token": tokens_for(sitter)["access"],
                "latitude": latitude,
                "longitude": longitude,
            }
        )
    return rows


# --- processes -------------------------------------------------------------------------------


class Beat(Server):
    """``celery beat``: ready once its log says the scheduler started (it serves no HTTP)."""

    def _wait_ready(self) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BenchError(f"beat exited with {self.proc.returncode}:\n{self.log_tail()}")
            if "beat: Starting" in self.log_tail():
                log("beat started")
                return
            time.sleep(0.25)
        raise BenchError(f"beat did not start within {self.startup_timeout:.0f}s:\n{self.log_tail()}")


class Locust(Server):
    """The locust process: in its own group like the servers (stopped with them on any way out)."""

    def _wait_ready(self) -> None:
        return

    def wait(self, timeout: float) -> int:
        assert self.proc is not None
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            raise BenchError(f"locust still running after {timeout:.0f}s:\n{self.log_tail()}") from exc


def marked_processes(marker: str) -> list[str]:
    """Processes whose environment carries this run's marker (what must be gone at the end)."""
    needle = f"{MARKER}={marker}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        with contextlib.suppress(OSError):
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                found.append(f"{entry.name} {command[:120]}")
    return found


# --- figures ---------------------------------------------------------------------------------


def _number(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


NOT_HTTP = ("WS", "HANDOVER")  # the locustfile's own entries, named with their kind in front


def figures(prefix: Path, seconds: float) -> dict[str, Any]:
    """Per step (Locust's name; ``WS …`` for socket events): requests, req/s, p50/p95/p99 ms, failures, 429s."""
    throttled: dict[str, int] = {}
    errors: dict[str, dict[str, int]] = {}
    with open(f"{prefix}_failures.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            name = f"{row['Method']} {row['Name']}" if row["Method"] in NOT_HTTP else row["Name"]
            count = int(row["Occurrences"])
            if "throttled (429)" in row["Error"]:
                throttled[name] = throttled.get(name, 0) + count
            errors.setdefault(name, {})[row["Error"][:200]] = count
    steps: dict[str, Any] = {}
    total: dict[str, Any] = {}
    with open(f"{prefix}_stats.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            name = f"{row['Type']} {row['Name']}" if row["Type"] in NOT_HTTP else row["Name"]
            if row["Name"] == "Aggregated":
                throttled[name] = sum(throttled.values())
            entry = {
                "requests": int(row["Request Count"]),
                "rps": round(int(row["Request Count"]) / seconds, 2),
                "p50_ms": _number(row["50%"]),
                "p95_ms": _number(row["95%"]),
                "p99_ms": _number(row["99%"]),
                "max_ms": round(float(row["Max Response Time"]), 1),
                "failures": int(row["Failure Count"]) - throttled.get(name, 0),
                "throttled": throttled.get(name, 0),
            }
            if row["Name"] == "Aggregated":
                total = entry
            else:
                if name in errors:
                    entry["errors"] = errors[name]
                steps[name] = entry
    journeys = steps.get("14 check-out", {}).get("requests", 0)
    return {"steps": dict(sorted(steps.items())), "total": total, "journeys_completed": journeys}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=50, help="Locust users, half parents and half sitters")
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--run-time", default="60s")
    parser.add_argument("--pairs", type=int, default=50, help="families and sitters seeded (at least users / 2)")
    parser.add_argument("--quiet", type=float, default=0.25)
    parser.add_argument("--max-wait", type=float, default=60)
    parser.add_argument("--keep-csv", help="copy Locust's CSV files to this folder")
    parser.add_argument("--template-db", help="copy this migrated database instead of migrating a new one")
    args = parser.parse_args()
    if args.users % 2 or args.users < 2:
        raise SystemExit("--users must be even: each parent books their own sitter")
    if args.pairs < args.users // 2:
        raise SystemExit("--pairs must be at least --users / 2")
    install_cleanup()
    run_id = uuid.uuid4().hex
    twilio = TwilioStandIn()
    work = Path(tempfile.mkdtemp(prefix="bench-load-"))
    env = bench_env(twilio, str(work / "var"))
    for name in NOT_PRODUCTION:  # the deployment's value when the caller's environment sets one
        if name in os.environ:
            env[name] = os.environ[name]
        else:
            env.pop(name, None)
    env[MARKER] = run_id
    started = time.monotonic()
    servers: list[Server] = []
    try:
        drop_database()
        if args.template_db:
            redis_check(env["REDIS_URL"])
            copy_database(args.template_db)
        else:
            prepare_app(env)
        django_setup(env)
        log(f"seeding {args.pairs} families and sitters")
        pairs = seed(args.pairs)
        clear_broker()  # the seeding's notifications (verification emails): not part of the load
        seeded = time.monotonic()
        web = Server("gunicorn", gunicorn_argv("guardiannest.wsgi:application", 2), env, HEALTH_PATH)
        realtime = Server("uvicorn", realtime_argv(), env, HEALTH_PATH)
        beat_argv = [sys.executable, "-m", "celery", "-A", "guardiannest", "beat", "-l", "info"]
        beat_argv += ["-s", str(work / "celerybeat-schedule")]
        beat = Beat("beat", beat_argv, env, ready_path="")
        servers = [web, realtime, worker("default", env), worker("critical", env), beat]
        start_together(servers)
        users_file = work / "users.json"
        users_file.write_text(json.dumps({"pairs": pairs, "realtime_url": realtime.base_url}))
        background = wait_for_quiet(args.quiet, args.max_wait)
        load_before = os.getloadavg()
        prefix = work / "load"
        locust_argv = [tool("locust"), "-f", str(LOCUSTFILE), "--headless", "-u", str(args.users)]
        locust_argv += ["-r", str(args.spawn_rate), "-t", args.run_time, "--csv", str(prefix), "--host", web.base_url]
        locust_argv += ["--only-summary", "--loglevel", "WARNING"]
        locust = Locust("locust", locust_argv, {**env, "LOAD_USERS_FILE": str(users_file)}, ready_path="")
        locust.start()
        code = locust.wait(timeout=_seconds(args.run_time) + 120)
        log(f"locust exited with {code}; its summary:\n{locust.log_tail(6000)}")
        locust.stop()
        load_after = os.getloadavg()
        if not Path(f"{prefix}_stats.csv").exists():
            raise BenchError(f"locust wrote no CSV:\n{locust.log_tail()}")
        result = figures(prefix, _seconds(args.run_time))
        if args.keep_csv:
            Path(args.keep_csv).mkdir(parents=True, exist_ok=True)
            for path in work.glob("load_*.csv"):
                shutil.copy(path, args.keep_csv)
        server_errors = {}
        for server in servers:
            lines = [line for line in server.error_lines() if "security_error" not in line]
            if lines:
                server_errors[server.name] = lines
        texts = len(twilio.texts())
        # A clean stop, all at once (a Celery worker's warm shutdown takes seconds); a log with errors is kept.
        with ThreadPoolExecutor(len(servers)) as pool:
            list(pool.map(lambda server: server.stop(keep_log=server.name in server_errors), servers))
    finally:
        stop_all()
        twilio.close()
        with contextlib.suppress(Exception):
            clear_broker()
        with contextlib.suppress(Exception):
            drop_database()
        shutil.rmtree(work, ignore_errors=True)
    left = marked_processes(run_id)
    emit(
        {
            "benchmark": "load",
            "cores": cores(),
            "background_cpu_busy_at_start": background,
            "loadavg_1_5_15_before": [round(v, 2) for v in load_before],
            "loadavg_1_5_15_after": [round(v, 2) for v in load_after],
            "locust": {"users": args.users, "spawn_rate": args.spawn_rate, "run_time": args.run_time},
            "stack": {"gunicorn_workers": 2, "uvicorn": 1, "celery_workers": ["default", "critical"], "beat": 1},
            "setup_seconds": round(seeded - started, 1),
            "units": "milliseconds; rps is requests per second over the whole run (ramp-up included)",
            **result,
            "sos_texts_at_twilio_stand_in": texts,
            "locust_exit_code": code,
            "server_errors": server_errors,
            "processes_left_behind": sorted(leftover_groups().values()) + left,
            "database_dropped": BENCH_DB,
        }
    )


def _seconds(duration: str) -> float:
    """Locust's ``-t`` (``60s``, ``2m``, ``1h30m``, or plain seconds) in seconds."""
    total, number = 0.0, ""
    for char in duration:
        if char.isdigit():
            number += char
        else:
            total += int(number or 0) * {"h": 3600, "m": 60, "s": 1}[char]
            number = ""
    return total + int(number or 0)


if __name__ == "__main__":
    main()

"""The load run (bench/load, ``make load``) in small: its journey, 2 users for 10 s, against the whole stack.

bench/load/run.py copies this worker's migrated test database, seeds one family and its sitter, starts
gunicorn, uvicorn, both Celery workers and beat, and runs Locust as its own process with a short think
time; every step of the journey must succeed (no failure, no 429), every socket event arrive, every
process it started be gone and its database be dropped.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import connections

ROOT = Path(__file__).resolve().parents[1]
STEPS = [
    "01 search sitters",
    "02 book",
    "03 list requests",
    "04 accept",
    "05 open conversation",
    "06 chat message",
    "07 chat reply",
    "08 check-in",
    "09 locations (batch of 5)",
    "10 follow locations",
    "11 SOS",
    "12 acknowledge SOS",
    "13 resolve SOS",
    "14 check-out",
    "WS ws message.created → parent",
    "WS ws location.updated → parent",
    "WS ws emergency.raised → parent",
]


def database_exists(name: str) -> bool:
    with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres", autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)  # no test transaction: the database can be copied while the test runs
def test_the_load_journey_runs_end_to_end_with_no_failure() -> None:
    # given this worker's migrated test database, copied by the run (a copy needs no open connection to it)
    template = connections["default"].settings_dict["NAME"]
    load_db = f"{template}_load"
    connections.close_all()
    env = {
        **os.environ,
        "LOAD_DB": load_db,
        "BENCH_REDIS_URL": settings.REDIS_URL,  # this worker's own Redis database
        "BENCH_BROKER_URL": settings.REDIS_URL,
        "LOAD_THINK": "0.05,0.2",
    }
    argv = [sys.executable, "bench/load/run.py", "--users", "2", "--spawn-rate", "2", "--run-time", "10s"]
    argv += ["--pairs", "1", "--template-db", template, "--max-wait", "0"]

    # when
    run = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=240, check=False)

    # then
    assert run.returncode == 0, run.stderr[-6000:]
    figures = json.loads(run.stdout)
    assert figures["total"]["failures"] == 0, figures["steps"]
    assert figures["total"]["throttled"] == 0, figures["steps"]
    assert figures["locust_exit_code"] == 0
    for step in STEPS:  # at least one whole journey, each step answered as the API promises
        assert figures["steps"].get(step, {}).get("requests", 0) >= 1, (step, figures["steps"])
    assert figures["sos_texts_at_twilio_stand_in"] >= 1  # the ladder texted the emergency contact
    assert figures["server_errors"] == {}
    assert figures["processes_left_behind"] == []
    assert not database_exists(load_db)

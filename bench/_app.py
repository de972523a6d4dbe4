"""Benchmarks' GuardianNest set-up: the bench database and Redis, the app's environment, migrations and the bench user.

The generic parts (output, numbers, servers and their clean-up) are :mod:`bench._harness`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping

from bench._harness import REPO, BenchError, log, python

# --- GuardianNest setup -------------------------------------------------------------------------

# BENCH_DB moves every benchmark to another database (two people benchmarking on one machine).
BENCH_DB = os.environ.get("BENCH_DB", "guardiannest_bench")
# Stock Redis has 16 databases, numbered 0-15 (`databases 16` in redis.conf). The tests use 9 and
# up (guardiannest/settings_test.py: 9, 10, 11 for `make test`); the benchmarks keep the top ones.
STOCK_REDIS_DATABASES = 16
BENCH_REDIS_DB = 15
SEARCH_REDIS_DB = 14  # bench/search.py flushes it: nothing else may use it


def bench_redis_url(db: int) -> str:
    """The local Redis, database ``db``: one a stock server has, or a BenchError before anything runs."""
    if not 0 <= db < STOCK_REDIS_DATABASES:
        raise BenchError(f"Redis database {db}: a stock Redis has databases 0-{STOCK_REDIS_DATABASES - 1} only")
    return f"redis://127.0.0.1:6379/{db}"


def redis_check(url: str) -> None:
    """Stop with a clear message when the server has fewer databases than ``url`` needs (CONFIG GET databases).

    Without it, the first command fails deep in a server process with "DB index is out of range".
    """
    import redis

    parts = urllib.parse.urlsplit(url)
    index = int(parts.path.lstrip("/") or 0)
    server = redis.Redis.from_url(urllib.parse.urlunsplit(parts._replace(path="/0")))
    try:
        databases = int(server.config_get("databases")["databases"])
    except redis.ResponseError:  # CONFIG renamed or disabled: selecting the database answers instead
        try:
            redis.Redis.from_url(url).ping()
        except redis.ResponseError as exc:
            raise BenchError(f"{url}: {exc} (a stock Redis has databases 0-{STOCK_REDIS_DATABASES - 1})") from exc
        return
    finally:
        server.close()
    if index >= databases:
        raise BenchError(f"{url}: this Redis has {databases} databases (0-{databases - 1}); see bench/README.md")


# BENCH_REDIS_URL moves every benchmark elsewhere, e.g. off a database a test run on the same Redis flushes.
BENCH_REDIS_URL = os.environ.get("BENCH_REDIS_URL") or bench_redis_url(BENCH_REDIS_DB)
BENCH_EMAIL = "bench.user@example.com"
BENCH_PASSWORD = "bench-password-0123456789"
# A rate no benchmark reaches: the throttles still count (their Redis round
# trips are part of the cost), they just never answer 429.
UNREACHABLE_RATE = "1000000000/min"


# The field-encryption ring every benchmark runs the app with (loaders that write encrypted columns seal with it).
BENCH_FIELD_ENCRYPTION_KEYS = "b1:YmVuY2gta2V5LW9uZS0zMi1ieXRlcy1sb25nLSEhISE="


def app_env(settings_module: str = "guardiannest.settings") -> dict[str, str]:
    """The environment every benchmark runs the app with: production-like, loopback only."""
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": settings_module,
            "DEBUG": "false",
            "SECRET_KEY": "bench-secret-key-not-for-production-0123456789abcdef",
            "JWT_SECRET": "bench-jwt-secret-not-for-production-0123456789abcdef",
            "JWT_EXPIRES_IN": "1h",
            "FIELD_ENCRYPTION_KEYS": BENCH_FIELD_ENCRYPTION_KEYS,
            "BLIND_INDEX_KEY": "bench-blind-index-key",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{BENCH_DB}",
            "DATABASE_POOL": "true",
            "REDIS_URL": BENCH_REDIS_URL,
            "CACHE_KEY_PREFIX": "gnbench",
            "SECURE_SSL_REDIRECT": "false",
            "LOG_LEVEL": "WARNING",
            "LOG_FORMAT": "json",
            "THROTTLE_USER": UNREACHABLE_RATE,
            "THROTTLE_ANON": UNREACHABLE_RATE,
            "THROTTLE_LOGIN": UNREACHABLE_RATE,
            "PYTHONUNBUFFERED": "1",
        }
    )
    for name in ("GN_TESTING", "DATABASE_URL_FILE", "REDIS_URL_FILE", "SENTRY_DSN", "CELERY_BROKER_URL"):
        env.pop(name, None)
    return env


def ensure_database() -> None:
    """Create the PostgreSQL database ``guardiannest_bench`` if it does not exist."""
    import psycopg
    from psycopg import sql

    with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (BENCH_DB,)).fetchone()
        if not exists:
            log(f"creating database {BENCH_DB}")
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(BENCH_DB)))


def manage(*args: str, env: Mapping[str, str], timeout: float = 600) -> None:
    """Run ``manage.py`` with the bench environment; its output goes to stderr."""
    result = subprocess.run(
        [python(), "manage.py", *args],
        cwd=REPO,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        stdout=sys.stderr,
        stderr=sys.stderr,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise BenchError(f"manage.py {' '.join(args[:1])} exited with {result.returncode}")


_ENSURE_USER = f"""
from accounts.models import User
user = User.objects.filter(email={BENCH_EMAIL!r}).first()
if user is None:
    User.objects.create_user({BENCH_EMAIL!r}, {BENCH_PASSWORD!r}, role='parent', first_name='B', last_name='B')
elif not user.check_password({BENCH_PASSWORD!r}):
    user.set_password({BENCH_PASSWORD!r})
    user.save(update_fields=['password'])
"""


def prepare_app(env: Mapping[str, str]) -> None:
    """Redis and the database, migrations and the bench user, ready for a server to use."""
    redis_check(env["REDIS_URL"])
    ensure_database()
    log(f"migrating {BENCH_DB}")
    manage("migrate", "--noinput", "-v", "0", env=env)
    manage("shell", "-c", _ENSURE_USER, env=env)
    log(f"bench user {BENCH_EMAIL} ready")

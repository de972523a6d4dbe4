"""Test overlay: the real settings, with what only tests need changed."""

import os

os.environ.setdefault("GN_TESTING", "1")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production-0123456789abcdef")
os.environ.setdefault("JWT_SECRET", "test-jwt-secret-not-for-production-0123456789abcdef")
os.environ.setdefault("FIELD_ENCRYPTION_KEYS", "t1:dGVzdC1rZXktb25lLTMyLWJ5dGVzLWxvbmctISEhISE=")
os.environ.setdefault("BLIND_INDEX_KEY", "test-blind-index-key")
os.environ.setdefault("METRICS_TOKEN", "test-metrics-token")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("DATABASE_POOL", "false")  # test databases must be droppable
os.environ.setdefault("LOG_FORMAT", "json")
# Each xdist worker gets its own key space in the shared Redis.
os.environ.setdefault("CACHE_KEY_PREFIX", f"gntest-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}")

from guardiannest.settings import *  # noqa: F403
from guardiannest.settings import CACHES, CHANNEL_LAYERS, DATABASES, INSTALLED_APPS, REDIS_URL, REST_FRAMEWORK

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", "django.contrib.auth.hashers.Argon2PasswordHasher"]
DATABASES["default"]["CONN_MAX_AGE"] = 0
# Generous limits: tests that exercise throttling set their own rates.
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {
    **REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
    "user": "100000/min",
    "anon": "100000/min",
    "login": "100000/min",
    "register": "100000/min",
    "otp": "100000/min",
    "reset": "100000/min",
    "sms": "100000/min",
    "chat": "100000/min",
    "feedback": "100000/min",
}


def _per_worker_redis(url: str) -> str:
    """Each xdist worker its own Redis database: cache.clear() flushes only its own.

    ``make test`` (base 9, ``-n 2``) takes 9-11: a stock Redis has 0-15, and the benchmarks use 14 and 15.
    """
    from urllib.parse import urlsplit, urlunsplit

    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    base = int(os.environ.get("TEST_REDIS_DB_BASE", "9"))
    index = base + (int(worker.removeprefix("gw")) + 1 if worker.startswith("gw") else 0)
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{index}"))


if REDIS_URL:
    REDIS_URL = _per_worker_redis(REDIS_URL)
    CACHES["default"]["LOCATION"] = REDIS_URL
    CHANNEL_LAYERS["default"]["CONFIG"]["hosts"] = [REDIS_URL]
    # Pub/sub channels are not per database: name them after it, so test runs sharing a Redis never cross.
    CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = f"gntest-db{REDIS_URL.rsplit('/', 1)[-1]}:asgi"
    CELERY_BROKER_URL = REDIS_URL

# Test-only models for guardiannest.crypto.
INSTALLED_APPS = [*INSTALLED_APPS, "tests.crypto_testapp"]

# The read replica (guardiannest.dbrouters) as a database of its own on the test server, so a test can show that
# analytics read it: analytics/tests/api/test_replica_api.py fills it with other rows and installs the router for
# itself. Everywhere else no router is installed and every read stays on default, as with DATABASE_REPLICA_URL
# unset. Only tests that ask for it (django_db(databases=[..., "replica"])) create it.
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    import copy

    DATABASES["replica"] = copy.deepcopy(DATABASES["default"])
    DATABASES["replica"]["NAME"] = f"{DATABASES['default']['NAME']}_replica"
    DATABASES["replica"]["TEST"] = {}
DATABASE_ROUTERS = []

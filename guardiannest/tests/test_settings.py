"""Settings come from the environment; production refuses to start without its secrets."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "k9#Qv2!xLr7@Tz4%Wm8^Hn3&Bc6*Jd1(Fs5)Gp0-Ye7+Ua2=Oi9",
    "JWT_SECRET": "j" * 40,
    "FIELD_ENCRYPTION_KEYS": "k1:" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVowMTIzNDU=",
    "BLIND_INDEX_KEY": "b" * 32,
    "ALLOWED_HOSTS": "api.example.com",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/guardiannest",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "TRUSTED_PROXY": "true",
    "CSRF_TRUSTED_ORIGINS": "https://app.example.com",
}


def run(env: dict[str, str], code: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Run Python with exactly these variables (plus PATH), in a fresh process."""
    clean = {"PATH": os.environ["PATH"], "VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "guardiannest.settings"}
    return subprocess.run(
        [sys.executable, "-c", code], env={**clean, **env}, cwd=ROOT, capture_output=True, text=True, timeout=60
    )


READ = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({name: str(getattr(s, name, None)) for name in %r}))"
)


def read(env: dict[str, str], names: list[str], tmp_path: Path) -> dict[str, str]:
    result = run(env, READ % (names,), tmp_path)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_nothing_set_runs_the_embedded_default(tmp_path: Path) -> None:
    values = read(
        {}, ["DATABASES", "CACHES", "CHANNEL_LAYERS", "CELERY_BROKER_URL", "EMAIL_BACKEND", "STORAGES"], tmp_path
    )
    assert "sqlite3" in values["DATABASES"] and str(tmp_path) in values["DATABASES"]
    assert "LocMemCache" in values["CACHES"]
    assert "EmbeddedChannelLayer" in values["CHANNEL_LAYERS"]
    assert values["CELERY_BROKER_URL"] == "memory://"
    assert "filebased" in values["EMAIL_BACKEND"]
    assert "FileSystemStorage" in values["STORAGES"]


def test_debug_is_off_unless_asked_for(tmp_path: Path) -> None:
    assert read({}, ["DEBUG", "DEV_DEFAULTS"], tmp_path) == {"DEBUG": "False", "DEV_DEFAULTS": "True"}
    assert read({"DEBUG": "true"}, ["DEBUG"], tmp_path) == {"DEBUG": "True"}
    # A deployment never gets the laptop defaults, whatever else it forgot.
    assert read(PRODUCTION, ["DEBUG", "DEV_DEFAULTS"], tmp_path) == {"DEBUG": "False", "DEV_DEFAULTS": "False"}
    # `make test`'s migrations check: SQLite with the test Redis exported is still no deployment.
    sqlite_check = {"DATABASE_URL": "sqlite://:memory:", "REDIS_URL": "redis://127.0.0.1:6379/0"}
    assert read(sqlite_check, ["DEV_DEFAULTS"], tmp_path) == {"DEV_DEFAULTS": "True"}


@pytest.mark.parametrize("missing", ["SECRET_KEY", "JWT_SECRET", "FIELD_ENCRYPTION_KEYS", "BLIND_INDEX_KEY"])
def test_production_refuses_to_start_without_a_secret_and_names_it(missing: str, tmp_path: Path) -> None:
    env = {key: value for key, value in PRODUCTION.items() if key != missing}
    result = run(env, "import django; django.setup()", tmp_path)
    assert result.returncode != 0
    assert f"The secret {missing} is not set" in result.stderr


def test_production_needs_allowed_hosts(tmp_path: Path) -> None:
    env = {key: value for key, value in PRODUCTION.items() if key != "ALLOWED_HOSTS"}
    result = run(env, "import django; django.setup()", tmp_path)
    assert "ALLOWED_HOSTS must be set" in result.stderr


def test_a_secret_may_come_from_a_file(tmp_path: Path) -> None:
    secret_file = tmp_path / "jwt"
    secret_file.write_text("from-a-docker-secret-0123456789abcdef\n")
    env = {key: value for key, value in PRODUCTION.items() if key != "JWT_SECRET"}
    values = read({**env, "JWT_SECRET_FILE": str(secret_file)}, ["JWT_SECRET"], tmp_path)
    assert values["JWT_SECRET"] == "from-a-docker-secret-0123456789abcdef"


def test_an_unreadable_secret_file_is_named(tmp_path: Path) -> None:
    result = run(
        {**PRODUCTION, "JWT_SECRET_FILE": str(tmp_path / "missing")}, "import django; django.setup()", tmp_path
    )
    assert "JWT_SECRET_FILE points at" in result.stderr


def test_database_and_redis_from_parts(tmp_path: Path) -> None:
    env = {
        **{key: value for key, value in PRODUCTION.items() if key not in {"DATABASE_URL", "REDIS_URL"}},
        "DB_HOST": "db.internal",
        "DB_PORT": "6432",
        "DB_USERNAME": "gn",
        "DB_PASSWORD": "pw",
        "DB_NAME": "gnprod",
        "REDIS_HOST": "cache.internal",
        "REDIS_PASSWORD": "rpw",
        "REDIS_DB": "2",
    }
    values = read(env, ["DATABASES", "REDIS_URL", "CELERY_BROKER_URL"], tmp_path)
    assert "'HOST': 'db.internal'" in values["DATABASES"] and "'PORT': 6432" in values["DATABASES"]
    assert "'pool'" in values["DATABASES"]
    assert values["REDIS_URL"] == "redis://:rpw@cache.internal:6379/2"
    assert values["CELERY_BROKER_URL"] == values["REDIS_URL"]


def test_production_security_settings(tmp_path: Path) -> None:
    names = [
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_PROXY_SSL_HEADER",
        "SESSION_ENGINE",
        "SIMPLE_JWT",
    ]
    values = read(PRODUCTION, names, tmp_path)
    assert values["SECURE_SSL_REDIRECT"] == "True"
    assert int(values["SECURE_HSTS_SECONDS"]) >= 31_536_000
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] == "True"
    assert values["SESSION_COOKIE_SECURE"] == values["CSRF_COOKIE_SECURE"] == "True"
    assert values["SECURE_PROXY_SSL_HEADER"] == "('HTTP_X_FORWARDED_PROTO', 'https')"
    assert values["SESSION_ENGINE"].endswith("cached_db")
    assert "'AUDIENCE': 'guardiannest-api'" in values["SIMPLE_JWT"]


def test_proxy_header_is_trusted_only_behind_a_configured_proxy(tmp_path: Path) -> None:
    env = {key: value for key, value in PRODUCTION.items() if key != "TRUSTED_PROXY"}
    assert read(env, ["SECURE_PROXY_SSL_HEADER"], tmp_path)["SECURE_PROXY_SSL_HEADER"] == "None"


def test_jwt_lifetime_reads_human_durations(tmp_path: Path) -> None:
    values = read({**PRODUCTION, "JWT_EXPIRES_IN": "5m"}, ["SIMPLE_JWT"], tmp_path)
    assert "'ACCESS_TOKEN_LIFETIME': datetime.timedelta(seconds=300)" in values["SIMPLE_JWT"]
    result = run({**PRODUCTION, "JWT_EXPIRES_IN": "soon"}, "import django; django.setup()", tmp_path)
    assert "Cannot read the duration 'soon'" in result.stderr


def test_csrf_origins_need_a_scheme(tmp_path: Path) -> None:
    result = run({**PRODUCTION, "CSRF_TRUSTED_ORIGINS": "app.example.com"}, "import django; django.setup()", tmp_path)
    assert "CSRF_TRUSTED_ORIGINS entries need a scheme" in result.stderr


def test_the_outbox_lanes_read_the_environment_and_refuse_a_lease_shorter_than_a_provider_call(
    tmp_path: Path,
) -> None:
    names = ["MESSAGING_RETRY_BACKOFF_SECONDS", "MESSAGING_CRITICAL_RETRY_BACKOFF_SECONDS"]
    names += ["MESSAGING_CRITICAL_SEND_LEASE_SECONDS", "MESSAGING_SEND_LEASE_SECONDS"]
    assert read({}, names, tmp_path) == {
        "MESSAGING_RETRY_BACKOFF_SECONDS": "(30, 120, 600, 3600)",
        "MESSAGING_CRITICAL_RETRY_BACKOFF_SECONDS": "(2, 5, 10, 30, 60)",
        "MESSAGING_CRITICAL_SEND_LEASE_SECONDS": "30",
        "MESSAGING_SEND_LEASE_SECONDS": "360",
    }
    env = {"MESSAGING_CRITICAL_RETRY_BACKOFF_SECONDS": "1, 4,9", "MESSAGING_CRITICAL_SEND_LEASE_SECONDS": "25"}
    assert read(env, names[1:3], tmp_path) == {
        "MESSAGING_CRITICAL_RETRY_BACKOFF_SECONDS": "(1, 4, 9)",
        "MESSAGING_CRITICAL_SEND_LEASE_SECONDS": "25",
    }
    setup = "import django; django.setup()"
    result = run({"MESSAGING_CRITICAL_SEND_LEASE_SECONDS": "5"}, setup, tmp_path)
    assert "MESSAGING_*SEND_LEASE_SECONDS: at least 20" in result.stderr
    result = run({"MESSAGING_RETRY_BACKOFF_SECONDS": "soon"}, setup, tmp_path)
    assert "MESSAGING_RETRY_BACKOFF_SECONDS: a comma-separated list of seconds" in result.stderr


def test_check_deploy_is_clean_with_production_settings(tmp_path: Path) -> None:
    clean = {"PATH": os.environ["PATH"], "VAR_DIR": str(tmp_path), **PRODUCTION}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=clean,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("env", "allowed"),
    [
        ({}, "''"),
        ({"FORWARDED_ALLOW_IPS": "*"}, "''"),
        ({"TRUSTED_PROXY": "true", "FORWARDED_ALLOW_IPS": "10.0.0.0/8"}, "'10.0.0.0/8'"),
    ],
)
def test_gunicorn_trusts_forwarded_headers_only_from_configured_proxies(
    env: dict[str, str], allowed: str, tmp_path: Path
) -> None:
    """gunicorn's own default trusts 127.0.0.1: ours trusts nobody unless TRUSTED_PROXY names the proxies."""
    code = "import runpy; print(repr(runpy.run_path('deploy/gunicorn.conf.py')['forwarded_allow_ips']))"
    result = run({**env, "LOG_FORMAT": "console"}, code, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == allowed


def test_a_read_replica_is_an_alias_and_a_router_only_when_configured(tmp_path: Path) -> None:
    names = ["DATABASES", "DATABASE_ROUTERS"]
    without = read(PRODUCTION, names, tmp_path)
    replica = "postgres://reader@replica.internal:5432/guardiannest"
    with_replica = read({**PRODUCTION, "DATABASE_REPLICA_URL": replica}, names, tmp_path)

    assert "'replica'" not in without["DATABASES"] and without["DATABASE_ROUTERS"] == "[]"
    assert "'HOST': 'replica.internal'" in with_replica["DATABASES"]
    assert "'USER': 'reader'" in with_replica["DATABASES"]
    assert with_replica["DATABASE_ROUTERS"] == "['guardiannest.dbrouters.ReplicaRouter']"


# The links the platform writes (receipts, payout onboarding, emails) follow where the embedded default serves.
LINKS = (
    "import django, json, uuid; django.setup(); from django.conf import settings as s; "
    "from payments.models import Payment, PaymentStatus; from payments.receipts import receipt_url; "
    "paid = Payment(pk=uuid.uuid4(), status=PaymentStatus.CAPTURED); "
    "print(json.dumps({'frontend': s.FRONTEND_URL, 'receipt': receipt_url(payment=paid), "
    "'return': s.STRIPE_CONNECT_RETURN_URL, 'refresh': s.STRIPE_CONNECT_REFRESH_URL}))"
)


def links(env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    result = run(env, LINKS, tmp_path)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_embedded_links_follow_the_served_port(tmp_path: Path) -> None:
    values = links({"PORT": "8123"}, tmp_path)

    assert values["frontend"] == "http://localhost:8123"
    assert values["receipt"].startswith("http://localhost:8123/api/v1/payments/")
    assert values["return"] == "http://localhost:8123/payouts/onboarding/done"
    assert values["refresh"] == "http://localhost:8123/payouts/onboarding/refresh"
    assert links({}, tmp_path)["frontend"] == "http://localhost:8000"
    assert links({"HOST": "192.168.1.20", "PORT": "9000"}, tmp_path)["frontend"] == "http://192.168.1.20:9000"


def test_a_set_frontend_url_wins_and_production_is_unchanged(tmp_path: Path) -> None:
    chosen = links({"PORT": "8123", "FRONTEND_URL": "https://app.example.com/"}, tmp_path)
    production = links({**PRODUCTION, "PORT": "8123", "HOST": "0.0.0.0"}, tmp_path)

    assert chosen["frontend"] == "https://app.example.com"
    assert chosen["receipt"].startswith("https://app.example.com/api/v1/payments/")
    assert chosen["return"] == "https://app.example.com/payouts/onboarding/done"
    assert production["frontend"] == "http://localhost:8000"

"""The deployment's shape, read first: where the project lives, which mode it runs in, how secrets are read.

``guardiannest.settings`` and each part of it (``guardiannest.config.domains``) import from here, so
every part reads a variable one way: ``env`` for plain values, :func:`secret` for secrets (``NAME`` or
the file named by ``NAME_FILE``), :func:`_duration` for lifetimes. The modes: ``DEBUG``, the laptop
conveniences of the embedded default (``DEV_DEFAULTS``), and ``EMBEDDED`` (no Redis: the in-process
twins take over); ``FRONTEND_URL`` is where the links the platform writes open.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from guardiannest.embedded import served_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))

env = environ.Env()

# Off unless asked for: a debug page lists every route and echoes settings to whoever reaches the port.
DEBUG: bool = env.bool("DEBUG", default=False)
TESTING: bool = env.bool("GN_TESTING", default=False)
# The laptop conveniences of the embedded default (``make run``: no server database configured, or DEBUG
# asked for): development secrets, localhost hosts, plain HTTP and static files straight from the apps.
# They never bring DEBUG's pages with them, and a deployment (PostgreSQL configured) never gets them.
# A deployment is a server database: SQLite (the embedded default, the migrations check) never is one.
_DATABASE_VARIABLES = ("DATABASE_URL", "DATABASE_URL_FILE", "DB_HOST")
DEV_DEFAULTS: bool = DEBUG or not any(
    os.environ.get(name) and not os.environ[name].startswith("sqlite:") for name in _DATABASE_VARIABLES
)


def secret(name: str, *, dev_default: str | None = None, required: bool = True) -> str:
    """Read a secret from ``NAME`` or from the file named by ``NAME_FILE``.

    With the development defaults (DEV_DEFAULTS) the ``dev_default`` stands in; otherwise a required secret
    that is missing stops start-up with a message naming the variable.
    """
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        try:
            return Path(file_name).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE points at {file_name!r}, which cannot be read: {exc}") from exc
    value = os.environ.get(name, "")
    if value:
        return value
    if DEV_DEFAULTS and dev_default is not None:
        return dev_default
    if required:
        raise ImproperlyConfigured(f"The secret {name} is not set (set {name} or {name}_FILE).")
    return ""


def _duration(value: str) -> timedelta:
    """Parse ``900``, ``900s``, ``15m``, ``2h`` or ``7d`` into a timedelta."""
    match = re.fullmatch(r"\s*(\d+)\s*([smhd]?)\s*", value)
    if not match:
        raise ImproperlyConfigured(f"Cannot read the duration {value!r} (use e.g. 900, 15m, 2h, 7d).")
    number, unit = int(match.group(1)), match.group(2) or "s"
    return timedelta(seconds=number * {"s": 1, "m": 60, "h": 3600, "d": 86400}[unit])


# --- Redis: whether there is one decides the mode ----------------------------------------------


def _redis_url() -> str:
    if os.environ.get("REDIS_URL") or os.environ.get("REDIS_URL_FILE"):
        return secret("REDIS_URL")
    host = os.environ.get("REDIS_HOST")
    if not host:
        return ""
    password = secret("REDIS_PASSWORD", required=False)
    auth = f":{password}@" if password else ""
    return f"redis://{auth}{host}:{env.int('REDIS_PORT', default=6379)}/{env.int('REDIS_DB', default=0)}"


REDIS_URL = _redis_url()
EMBEDDED = not REDIS_URL  # no Redis: the in-process twins take over

# --- links ---------------------------------------------------------------------------------------

# Links in emails open the app here; the token rides in the URL fragment, which
# browsers never send to a server, so it stays out of access logs and Referer headers.
# Unset, the embedded default links to where it is served (HOST/PORT, which `make run` exports and
# `manage.py serve` reads; a loopback or wildcard address becomes "localhost", the passkey RP ID); a
# deployment's default stays http://localhost:8000, so set it there. Set, it always wins.
FRONTEND_URL_SET: bool = bool(os.environ.get("FRONTEND_URL"))

FRONTEND_URL: str = env.str(
    "FRONTEND_URL",
    default=served_url(os.environ.get("HOST", "127.0.0.1"), os.environ.get("PORT", "8000"))
    if DEV_DEFAULTS
    else "http://localhost:8000",
).rstrip("/")

"""Login latency with and without MFA, under the production HTTP server.

Run: ``.venv/bin/python bench/login.py`` — prints one JSON object.

Each sign-in is measured end to end from a client on loopback against
gunicorn (2 sync workers): ``POST auth/login`` for a password-only account;
``POST auth/login`` then ``POST auth/login/mfa`` with a fresh TOTP code for an
account with MFA on. A TOTP code is accepted once per time step, so each MFA
sign-in uses its own account. Password hashing (Argon2id, Django's cost
parameters) dominates both.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import struct
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._app import app_env, manage, prepare_app
from bench._harness import Server, cores, emit, http_request, install_cleanup, log, python, summarize

PASSWORD = "bench-login-password-2026"
KEY_HEX = "3132333435363738393031323334353637383930"

_MAKE_USERS = """
from accounts.models import TOTPDevice, User
from django.contrib.auth.hashers import make_password
hashed = make_password({password!r})
for n in range({count}):
    for kind in ("plain", "mfa"):
        email = f"login-{{kind}}-{{n}}@bench.example"
        user = User.objects.filter(email=email).first() or User.objects.create_user(
            email, None, role="parent", first_name="B", last_name="B")
        user.password = hashed
        user.save(update_fields=["password"])
        TOTPDevice.objects.filter(user=user).delete()
        if kind == "mfa":
            TOTPDevice.objects.create(user=user, name="bench", key={key!r}, confirmed=True)
"""


def totp_now() -> str:
    """RFC 6238 with the defaults authenticator apps use (SHA-1, 30 s, 6 digits)."""
    counter = struct.pack(">Q", int(time.time()) // 30)
    digest = hmac.new(bytes.fromhex(KEY_HEX), counter, hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    code = (struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 1_000_000
    return f"{code:06d}"


def post(server: Server, path: str, body: dict) -> tuple[int, dict]:
    status, raw = http_request(server.url(path), method="POST", body=body, timeout=30)
    return status, json.loads(raw or b"{}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=40, help="sign-ins of each kind")
    args = parser.parse_args()
    install_cleanup()
    env = app_env()
    env["THROTTLE_OTP"] = "1000000/min"
    prepare_app(env)
    manage("shell", "-c", _MAKE_USERS.format(password=PASSWORD, count=args.count, key=KEY_HEX), env=env)

    plain_ms: list[float] = []
    mfa_ms: list[float] = []
    server = Server(
        name="gunicorn",
        argv=[python(), "-m", "gunicorn", "-w", "2", "-b", "127.0.0.1:{port}", "guardiannest.wsgi:application"],
        env=env,
        ready_path="/health/live",
    )
    with server:
        for n in range(args.count):
            started = time.perf_counter()
            status, body = post(
                server, "/api/v1/auth/login", {"email": f"login-plain-{n}@bench.example", "password": PASSWORD}
            )
            plain_ms.append((time.perf_counter() - started) * 1000)
            if status != 200 or "access" not in body:
                raise SystemExit(f"password login failed: {status} {body}")
        for n in range(args.count):
            started = time.perf_counter()
            status, body = post(
                server, "/api/v1/auth/login", {"email": f"login-mfa-{n}@bench.example", "password": PASSWORD}
            )
            if status != 200 or not body.get("mfa_required"):
                raise SystemExit(f"MFA login step 1 failed: {status} {body}")
            status, body = post(server, "/api/v1/auth/login/mfa", {"mfa_token": body["mfa_token"], "code": totp_now()})
            mfa_ms.append((time.perf_counter() - started) * 1000)
            if status != 200 or "access" not in body:
                raise SystemExit(f"MFA login step 2 failed: {status} {body}")
    log("done")
    plain, mfa = summarize(plain_ms), summarize(mfa_ms)
    emit(
        {
            "benchmark": "login",
            "cores": cores(),
            "server": "gunicorn -w 2 (sync)",
            "count": args.count,
            "login_password_ms": plain,
            "login_password_totp_ms": mfa,
            "mfa_overhead_p50_ms": round(mfa["p50"] - plain["p50"], 1) if mfa["p50"] and plain["p50"] else None,
        }
    )


if __name__ == "__main__":
    main()

"""Firebase Authentication: the only module that imports ``firebase_admin``.

The rest of the code sees :func:`verify_id_token`, which returns
:class:`FirebaseClaims` or raises :class:`FirebaseTokenRejected` (the token is
no good: 401 material) or :class:`FirebaseUnavailable` (we could not ask:
not configured, or Google did not answer).

Verification is the SDK's, with ``check_revoked=True``: signature against
Google's published certificates, ``alg`` RS256 with a ``kid``, audience = our
project, issuer ``https://securetoken.google.com/<project>``, ``exp``/``iat``,
then a look-up of the Firebase user (Identity Toolkit ``accounts:lookup``)
refusing a disabled user or a token issued before the user's ``validSince``.

Endpoints. The SDK (7.x) has no supported option for either URL outside the
emulator, and the emulator switch (FIREBASE_AUTH_EMULATOR_HOST) turns
signature checks off, so it is refused here. When FIREBASE_CERTS_URL or
FIREBASE_AUTH_API_BASE is set, the SDK's own URL attributes
(``_token_gen.ID_TOKEN_CERT_URI``, ``_user_mgt.UserManager.ID_TOOLKIT_URL``),
which it reads once while building an auth client, are set for the time it
takes to build ours and put back at once, so no other Firebase client in the
process is affected. Empty settings leave Google's endpoints alone.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import firebase_admin
import google.auth.exceptions
import jwt
import structlog
from django.conf import settings
from firebase_admin import _token_gen, _user_mgt, auth, credentials
from firebase_admin import exceptions as firebase_exceptions

logger = structlog.get_logger("accounts.firebase")

APP_NAME = "guardiannest-auth"
# Seconds: a sign-in waits at most this long on Google (the SDK's default is 120).
HTTP_TIMEOUT = 10
# Seconds of disagreement tolerated between Google's clock and ours on iat/exp/auth_time.
CLOCK_SKEW = 5
EMULATOR_HOST_ENV = "FIREBASE_AUTH_EMULATOR_HOST"
MAX_EMAIL_LENGTH = 254


@dataclass(frozen=True)
class FirebaseClaims:
    """What a verified Firebase ID token says about its holder."""

    uid: str
    email: str | None  # lower-cased; None when the Firebase account has none (phone, anonymous)
    email_verified: bool
    sign_in_provider: str  # "google.com", "apple.com", "password", "phone", "anonymous" …
    auth_time: int  # seconds since the epoch when the user last signed in to Firebase


class TokenProblem(StrEnum):
    INVALID = "invalid"  # malformed, bad signature, wrong alg/kid/audience/issuer, not yet valid
    EXPIRED = "expired"
    REVOKED = "revoked"  # issued before the Firebase user's refresh tokens were revoked
    DISABLED = "disabled"  # the Firebase user is disabled
    UNKNOWN_USER = "unknown_user"  # well signed, but Firebase no longer knows the user


class FirebaseTokenRejected(Exception):
    """The token does not prove who its holder is.

    ``email_hint`` is the email claim read *without* verification, for counting
    failures per account (lockout) and nothing else. ``uid`` is set only when
    the signature had verified (revoked, disabled, unknown user).
    """

    def __init__(self, problem: TokenProblem, *, email_hint: str | None, uid: str | None = None) -> None:
        super().__init__(problem.value)
        self.problem = problem
        self.email_hint = email_hint
        self.uid = uid


class FirebaseUnavailable(Exception):
    """Firebase sign-in is not configured here, or Google could not be reached."""


@dataclass(frozen=True)
class _Config:
    project_id: str
    credentials_path: str
    certs_url: str
    auth_api_base: str


_lock = threading.Lock()
_client: tuple[_Config, Any] | None = None


def is_configured() -> bool:
    return bool(settings.FIREBASE_PROJECT_ID)


def _config() -> _Config:
    return _Config(
        project_id=settings.FIREBASE_PROJECT_ID,
        credentials_path=settings.FIREBASE_CREDENTIALS,
        certs_url=settings.FIREBASE_CERTS_URL,
        auth_api_base=settings.FIREBASE_AUTH_API_BASE.rstrip("/"),
    )


@contextmanager
def _sdk_endpoints(config: _Config) -> Iterator[None]:
    """Point the SDK at our endpoints while one auth client is built (see the module docstring)."""
    saved = (_token_gen.ID_TOKEN_CERT_URI, _user_mgt.UserManager.ID_TOOLKIT_URL)
    try:
        if config.certs_url:
            _token_gen.ID_TOKEN_CERT_URI = config.certs_url
        if config.auth_api_base:
            _user_mgt.UserManager.ID_TOOLKIT_URL = config.auth_api_base
        yield
    finally:
        _token_gen.ID_TOKEN_CERT_URI, _user_mgt.UserManager.ID_TOOLKIT_URL = saved


def firebase_app_fresh(*, name: str, project_id: str, credentials_path: str, timeout: float) -> Any:
    """A firebase-admin app under ``name``, replacing one made with older settings.

    Each of our Firebase uses (sign-in here, push in messaging) keeps its own
    named app, so changing one's settings never disturbs the other.
    """
    credential = credentials.Certificate(credentials_path) if credentials_path else credentials.ApplicationDefault()
    with suppress(ValueError):  # no app of that name yet
        firebase_admin.delete_app(firebase_admin.get_app(name))
    return firebase_admin.initialize_app(credential, {"projectId": project_id, "httpTimeout": timeout}, name=name)


def _build(config: _Config) -> Any:
    app = firebase_app_fresh(
        name=APP_NAME, project_id=config.project_id, credentials_path=config.credentials_path, timeout=HTTP_TIMEOUT
    )
    with _sdk_endpoints(config):
        return auth.Client(app)


def _auth_client() -> Any:
    """The one auth client, built on first use and again only when the settings change."""
    global _client
    if not is_configured():
        raise FirebaseUnavailable("FIREBASE_PROJECT_ID is not set.")
    if os.environ.get(EMULATOR_HOST_ENV):
        # The SDK skips every signature check against the emulator: never accept that here.
        logger.error("firebase_emulator_refused", variable=EMULATOR_HOST_ENV)
        raise FirebaseUnavailable(f"{EMULATOR_HOST_ENV} is set; Firebase sign-in refuses to run unverified.")
    config = _config()
    with _lock:
        if _client is None or _client[0] != config:
            try:
                _client = (config, _build(config))
            except (ValueError, OSError, google.auth.exceptions.GoogleAuthError) as exc:
                logger.error("firebase_init_failed", error=type(exc).__name__)
                raise FirebaseUnavailable("Firebase could not be initialised.") from exc
        return _client[1]


def _unverified_claims(id_token: str) -> dict[str, Any]:
    try:
        claims = jwt.decode(id_token, options={"verify_signature": False})
    except (jwt.PyJWTError, ValueError, TypeError):
        return {}
    return claims if isinstance(claims, dict) else {}


def _email(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_EMAIL_LENGTH:
        return None
    return value.strip().lower()


def _reject(problem: TokenProblem, id_token: str, *, signed: bool = False) -> FirebaseTokenRejected:
    claims = _unverified_claims(id_token)
    sub = claims.get("sub")
    uid = sub if signed and isinstance(sub, str) else None
    return FirebaseTokenRejected(problem, email_hint=_email(claims.get("email")), uid=uid)


def unverified_email(id_token: str) -> str | None:
    """The email claim of a token not yet verified: only to find whose lockout count to check."""
    return _email(_unverified_claims(id_token).get("email"))


def _claims_from(verified: dict[str, Any], id_token: str) -> FirebaseClaims:
    firebase = verified.get("firebase")
    firebase = firebase if isinstance(firebase, dict) else {}
    auth_time = verified.get("auth_time")
    # Firebase documents auth_time as required and in the past; the SDK does not check it.
    if not isinstance(auth_time, int) or isinstance(auth_time, bool) or auth_time > time.time() + CLOCK_SKEW:
        raise _reject(TokenProblem.INVALID, id_token)
    provider = firebase.get("sign_in_provider")
    return FirebaseClaims(
        uid=str(verified["uid"]),
        email=_email(verified.get("email")),
        email_verified=verified.get("email_verified") is True,
        sign_in_provider=provider if isinstance(provider, str) else "",
        auth_time=auth_time,
    )


def verify_id_token(id_token: str) -> FirebaseClaims:
    """Verify a Firebase ID token, revocation and disabled users included.

    Raises FirebaseTokenRejected or FirebaseUnavailable; nothing else escapes.
    """
    client = _auth_client()
    try:
        verified = client.verify_id_token(id_token, check_revoked=True, clock_skew_seconds=CLOCK_SKEW)
    except auth.ExpiredIdTokenError as exc:
        raise _reject(TokenProblem.EXPIRED, id_token) from exc
    except auth.RevokedIdTokenError as exc:
        raise _reject(TokenProblem.REVOKED, id_token, signed=True) from exc
    except auth.InvalidIdTokenError as exc:
        raise _reject(TokenProblem.INVALID, id_token) from exc
    except auth.UserDisabledError as exc:
        raise _reject(TokenProblem.DISABLED, id_token, signed=True) from exc
    except auth.UserNotFoundError as exc:
        raise _reject(TokenProblem.UNKNOWN_USER, id_token, signed=True) from exc
    except ValueError as exc:  # an empty or non-string token, a malformed uid
        raise _reject(TokenProblem.INVALID, id_token) from exc
    except (firebase_exceptions.FirebaseError, google.auth.exceptions.GoogleAuthError) as exc:
        # Certificates or the user look-up did not come back: our problem, not the caller's.
        logger.warning("firebase_unreachable", error=type(exc).__name__)
        raise FirebaseUnavailable("Firebase could not be reached.") from exc
    return _claims_from(verified, id_token)

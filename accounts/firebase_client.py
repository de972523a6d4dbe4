"""Firebase, through firebase-admin: the only module that imports the SDK.

Two uses, each with its own named app of the project ``FIREBASE_PROJECT_ID``
and the service account ``FIREBASE_CREDENTIALS``, built on first use and again
only when those settings change:

* Sign-in (accounts): :func:`verify_id_token` returns :class:`FirebaseClaims`
  or raises :class:`FirebaseTokenRejected` (the token is no good: a failed
  sign-in) or :class:`FirebaseUnavailable` (we could not ask: not configured,
  or Google did not answer).
* Push (messaging/providers/push.py): :func:`fcm_send` sends one
  :class:`FcmPush` and returns FCM's message name, or raises
  :class:`FcmFailure` saying whether the token is gone and whether to retry.

Nobody else sees an SDK type or exception.

Verification is the SDK's, with ``check_revoked=True``: signature against
Google's published certificates, ``alg`` RS256 with a ``kid``, audience = our
project, issuer ``https://securetoken.google.com/<project>``, ``exp``/``iat``,
then a look-up of the Firebase user (Identity Toolkit ``accounts:lookup``)
refusing a disabled user or a token issued before the user's ``validSince``.

Endpoints. Only the SDK's public API is used: ``initialize_app`` with the
credentials and ``httpTimeout``, ``auth.Client``, ``messaging.send``. The SDK
(7.x) offers no option for Google's URLs, so they are Google's; it reaches
them through ``requests``, which honours the usual proxy and CA-bundle
variables (that is how the tests reach their stand-ins:
accounts/tests/front_door.py). Its emulator switch
(FIREBASE_AUTH_EMULATOR_HOST) turns signature checks off, so it is refused.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

import firebase_admin
import google.auth.exceptions
import jwt
import structlog
from django.conf import settings
from firebase_admin import auth, credentials, messaging
from firebase_admin import exceptions as firebase_exceptions

logger = structlog.get_logger("accounts.firebase")
T = TypeVar("T")

AUTH_APP = "guardiannest-auth"
PUSH_APP = "guardiannest-push"
# Seconds a sign-in, or one push, waits on Google (the SDK's default is 120); a push is retried later instead.
HTTP_TIMEOUT = 10
# Seconds of disagreement tolerated between Google's clock and ours on iat/exp/auth_time.
CLOCK_SKEW = 5
EMULATOR_HOST_ENV = "FIREBASE_AUTH_EMULATOR_HOST"
MAX_EMAIL_LENGTH = 254
_GONE_CODES = {"UNREGISTERED", "registration-token-not-registered"}


# --- our apps ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Config:
    project_id: str
    credentials_path: str


_lock = threading.Lock()
_built: dict[str, tuple[_Config, Any]] = {}


def is_configured() -> bool:
    return bool(settings.FIREBASE_PROJECT_ID)


def _config() -> _Config:
    return _Config(project_id=settings.FIREBASE_PROJECT_ID, credentials_path=settings.FIREBASE_CREDENTIALS)


def _app_fresh(name: str, config: _Config) -> firebase_admin.App:
    """A firebase-admin app under ``name``, replacing one made with older settings.

    Sign-in and push keep an app each, so rebuilding one never disturbs the other.
    """
    path = config.credentials_path
    credential = credentials.Certificate(path) if path else credentials.ApplicationDefault()
    with suppress(ValueError):  # no app of that name yet
        firebase_admin.delete_app(firebase_admin.get_app(name))
    options = {"projectId": config.project_id, "httpTimeout": HTTP_TIMEOUT}
    return firebase_admin.initialize_app(credential, options, name=name)


def _cached(name: str, build: Callable[[firebase_admin.App], T]) -> T:
    """What ``build`` makes of our app ``name``: made on first use and again only when the settings change.

    Raises what building raises (ValueError, OSError, GoogleAuthError); each caller says what that means.
    """
    config = _config()
    with _lock:
        held = _built.get(name)
        if held is None or held[0] != config:
            held = _built[name] = (config, build(_app_fresh(name, config)))
        built: T = held[1]
        return built


_INIT_ERRORS = (ValueError, OSError, google.auth.exceptions.GoogleAuthError)


# --- sign-in: ID tokens -------------------------------------------------------------------------


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


def _auth_client() -> Any:
    if not is_configured():
        raise FirebaseUnavailable("FIREBASE_PROJECT_ID is not set.")
    if os.environ.get(EMULATOR_HOST_ENV):
        # The SDK skips every signature check against the emulator: never accept that here.
        logger.error("firebase_emulator_refused", variable=EMULATOR_HOST_ENV)
        raise FirebaseUnavailable(f"{EMULATOR_HOST_ENV} is set; Firebase sign-in refuses to run unverified.")
    try:
        return _cached(AUTH_APP, auth.Client)
    except _INIT_ERRORS as exc:
        logger.error("firebase_init_failed", error=type(exc).__name__)
        raise FirebaseUnavailable("Firebase could not be initialised.") from exc


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


# --- push: Firebase Cloud Messaging (HTTP v1) ---------------------------------------------------


@dataclass(frozen=True)
class FcmPush:
    """One notification to one registration token, in each platform's terms (messaging decides them).

    ``collapse_id`` is the Android collapse key and tag, the APNs
    ``apns-collapse-id`` and the web tag; ``buttons`` are ``(action id, title)``
    pairs, drawn by the web push's Notifications API (apps get them in ``data``).
    """

    token: str
    title: str
    body: str
    collapse_id: str
    android_click_action: str
    data: Mapping[str, str] = field(default_factory=dict)
    image: str | None = None
    apns_category: str | None = None
    buttons: tuple[tuple[str, str], ...] = ()
    # Delivered at once, waking a dozing device: Android "high", APNs priority 10, web push Urgency high.
    high_priority: bool = False


class FcmFailure(Exception):
    """FCM did not take the message: ``token_gone`` (remove the token) or ``retryable`` or neither (permanent).

    ``code`` is FCM's error code (``UNREGISTERED``, ``QUOTA_EXCEEDED`` …) when it gave one.
    """

    def __init__(self, message: str, *, code: str = "", token_gone: bool = False, retryable: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.token_gone = token_gone
        self.retryable = retryable


def _fcm_message(push: FcmPush) -> messaging.Message:
    image = push.image or None
    fcm = messaging.Message(
        notification=messaging.Notification(title=push.title, body=push.body, image=image),
        data=dict(push.data),
        android=messaging.AndroidConfig(
            collapse_key=push.collapse_id,
            priority="high" if push.high_priority else None,
            notification=messaging.AndroidNotification(
                image=image, click_action=push.android_click_action, tag=push.collapse_id
            ),
        ),
        apns=messaging.APNSConfig(
            headers={"apns-collapse-id": push.collapse_id, **({"apns-priority": "10"} if push.high_priority else {})},
            payload=messaging.APNSPayload(
                aps=messaging.Aps(
                    category=push.apns_category,
                    # the app's notification service extension may fetch the image
                    mutable_content=True if image else None,
                    sound="default",
                )
            ),
            fcm_options=messaging.APNSFCMOptions(image=image) if image else None,
        ),
        webpush=messaging.WebpushConfig(
            headers={"Urgency": "high"} if push.high_priority else None,
            notification=messaging.WebpushNotification(
                title=push.title,
                body=push.body,
                image=image,
                tag=push.collapse_id,
                actions=[messaging.WebpushNotificationAction(action, title) for action, title in push.buttons] or None,
            ),
        ),
    )
    # The apps register FCM registration tokens (API.md), which the v1 API takes as ``token``.
    # SDK 7.x steers new code to installation ids (``fid``) and warns on the constructor
    # argument; the attribute is what the encoder sends, so it is set here, warning-free.
    fcm.token = push.token
    return fcm


def _error_body(exc: firebase_exceptions.FirebaseError) -> dict[str, Any]:
    response = exc.http_response
    if response is None:
        return {}
    with suppress(ValueError, AttributeError):
        body = response.json()
        if isinstance(body, dict) and isinstance(body.get("error"), dict):
            return body["error"]
    return {}


def _fcm_code(error: dict[str, Any]) -> str:
    for detail in error.get("details") or []:
        if isinstance(detail, dict) and detail.get("errorCode"):
            return str(detail["errorCode"])
    return str(error.get("status") or "")


def _names_the_token(error: dict[str, Any], message: str) -> bool:
    """An INVALID_ARGUMENT about the registration token (not about our payload)."""
    if "registration token" in message.lower():
        return True
    for detail in error.get("details") or []:
        for violation in (detail.get("fieldViolations") or []) if isinstance(detail, dict) else []:
            if isinstance(violation, dict) and violation.get("field") == "message.token":
                return True
    return False


def _fcm_failure(exc: firebase_exceptions.FirebaseError) -> FcmFailure:
    """FCM's answer, sorted: ``UNREGISTERED`` and an INVALID_ARGUMENT about the token mean the token is gone;
    429, 5xx, timeouts and no connection are worth a retry; any other refusal is permanent."""
    error = _error_body(exc)
    code = _fcm_code(error) or str(exc.code)
    message = str(error.get("message") or exc)
    status = exc.http_response.status_code if exc.http_response is not None else 0
    if (
        isinstance(exc, messaging.UnregisteredError)
        or code in _GONE_CODES
        or "registration-token-not-registered" in message
    ):
        return FcmFailure("the registration token is not registered", code=code, token_gone=True)
    if isinstance(exc, firebase_exceptions.InvalidArgumentError) and _names_the_token(error, message):
        return FcmFailure("the registration token is not valid", code=code, token_gone=True)
    retryable = (
        isinstance(
            exc,
            firebase_exceptions.ResourceExhaustedError
            | firebase_exceptions.UnavailableError
            | firebase_exceptions.InternalError
            | firebase_exceptions.DeadlineExceededError
            | firebase_exceptions.UnknownError,
        )
        or status == 429
        or status >= 500
    )
    return FcmFailure(f"FCM {status or exc.code}", code=code, retryable=retryable)


def fcm_send(push: FcmPush) -> str:
    """Send ``push`` through FCM; FCM's message name (``projects/<p>/messages/<id>``). Raises only FcmFailure."""
    try:
        message = _fcm_message(push)
    except (ValueError, TypeError) as exc:
        raise FcmFailure(f"not a valid push message: {exc}") from exc
    try:
        app = _cached(PUSH_APP, lambda built: built)
    except _INIT_ERRORS as exc:
        logger.error("fcm_init_failed", error=type(exc).__name__)
        raise FcmFailure("FCM could not be initialised", retryable=True) from exc
    try:
        return str(messaging.send(message, app=app))
    except firebase_exceptions.FirebaseError as exc:
        raise _fcm_failure(exc) from exc
    except google.auth.exceptions.GoogleAuthError as exc:
        # The OAuth token for the service account could not be had.
        retryable = isinstance(exc, google.auth.exceptions.TransportError) or bool(getattr(exc, "retryable", False))
        logger.warning("fcm_auth_failed", error=type(exc).__name__, retryable=retryable)
        raise FcmFailure(type(exc).__name__, retryable=retryable) from exc
    except ValueError as exc:  # the SDK validates the message as it encodes it
        raise FcmFailure(f"not a valid push message: {exc}") from exc

"""Push through Firebase Cloud Messaging (HTTP v1): the only module that imports ``firebase_admin.messaging``.

``FcmPushProvider.send_push`` sends one message to one registration token and
answers FCM's message name (``projects/<p>/messages/<id>``). A rich push
carries its image and action buttons in each platform's own terms:

* Android: the notification image, a ``click_action`` (the intent the app
  opens; ``data["click_action"]`` or :data:`ANDROID_CLICK_ACTION`), and the
  buttons as JSON in ``data["actions"]``, since FCM's Android notification has
  none of its own: the app draws them.
* APNs: ``fcm_options.image``, ``mutable-content: 1`` so the app's
  notification service extension may fetch the image, and a ``category``
  naming the set of buttons the app registered (``data["category"]``, else
  made from the action ids, ``accept_decline`` …).
* Web push: the image and the actions (``{action, title}``) of the
  Notifications API.

FCM keeps no idempotency keys. The delivery key travels in
``data["delivery_key"]`` (the app drops a repeat) and, hashed, as the Android
``tag`` and collapse key, the APNs ``apns-collapse-id`` and the web ``tag``, so
a resent delivery replaces its first notification on the device instead of
showing twice.

Errors: ``UNREGISTERED`` (404), and ``INVALID_ARGUMENT`` (400) about the
registration token, raise :class:`AddressGone`: the caller removes the token.
Any other 4xx is a :class:`PermanentFailure`; 429, 5xx, a timeout or no
connection a :class:`TemporaryFailure`.

Endpoint. The SDK (7.x) reads ``_MessagingService.FCM_URL``, a class attribute,
once, when it builds an app's messaging service, and offers no option for it.
When FIREBASE_FCM_API_BASE is set (tests), the attribute is set for the time it
takes to build our app's service and put back at once, as
``accounts/firebase_client.py`` does for sign-in; later sends use the public
``messaging.send(message, app=...)``. Empty leaves Google's endpoint alone.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

import firebase_admin
import google.auth.exceptions
import structlog
from django.conf import settings
from firebase_admin import exceptions as firebase_exceptions
from firebase_admin import messaging

from accounts.firebase_client import firebase_app_fresh
from messaging.providers.base import (
    AddressGone,
    DeliveryError,
    DeliveryResult,
    PermanentFailure,
    PushMessage,
    TemporaryFailure,
)

logger = structlog.get_logger("messaging.push")

PROVIDER = "fcm"
APP_NAME = "guardiannest-push"
FCM_SEND_PATH = "/v1/projects/{0}/messages:send"
# Seconds one send may wait on Google; the delivery task retries later rather than hang a worker.
HTTP_TIMEOUT = 10
ANDROID_CLICK_ACTION = "GUARDIANNEST_OPEN_NOTIFICATION"
DELIVERY_KEY = "delivery_key"
# FCM's data keys are its own under these prefixes and names.
_RESERVED_DATA = ("google.", "gcm.")
_RESERVED_DATA_KEYS = {"from", "notification", "message_type"}
_GONE_CODES = {"UNREGISTERED", "registration-token-not-registered"}


@dataclass(frozen=True)
class _Config:
    project_id: str
    credentials_path: str
    api_base: str


_lock = threading.Lock()
_app: tuple[_Config, firebase_admin.App] | None = None


def _config() -> _Config:
    return _Config(
        project_id=settings.FIREBASE_PROJECT_ID,
        credentials_path=settings.FIREBASE_CREDENTIALS,
        api_base=settings.FIREBASE_FCM_API_BASE.rstrip("/"),
    )


@contextmanager
def _sdk_endpoint(config: _Config) -> Iterator[None]:
    """Point the SDK at our FCM endpoint while one messaging service is built (see the module docstring)."""
    service_class: Any = messaging._MessagingService
    saved = service_class.FCM_URL
    try:
        if config.api_base:
            service_class.FCM_URL = config.api_base + FCM_SEND_PATH
        yield
    finally:
        service_class.FCM_URL = saved


def _build(config: _Config) -> firebase_admin.App:
    app: firebase_admin.App = firebase_app_fresh(
        name=APP_NAME, project_id=config.project_id, credentials_path=config.credentials_path, timeout=HTTP_TIMEOUT
    )
    with _sdk_endpoint(config):
        messaging._get_messaging_service(app)  # built now, with the endpoint, and kept by the app
    return app


def _firebase_app() -> firebase_admin.App:
    """Our Firebase app, built on first use and again only when the settings change."""
    global _app
    config = _config()
    with _lock:
        if _app is None or _app[0] != config:
            try:
                _app = (config, _build(config))
            except (ValueError, OSError, google.auth.exceptions.GoogleAuthError) as exc:
                logger.error("fcm_init_failed", error=type(exc).__name__)
                raise TemporaryFailure("FCM could not be initialised") from exc
        return _app[1]


def _collapse_id(idempotency_key: str) -> str:
    """32 hex characters: within APNs' 64-byte collapse id, the same for every resend of a delivery."""
    return hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]


def _category(message: PushMessage) -> str | None:
    if message.data.get("category"):
        return message.data["category"]
    return "_".join(action.id for action in message.actions) or None


def _data(message: PushMessage, idempotency_key: str) -> dict[str, str]:
    data = {
        key: value
        for key, value in message.data.items()
        if key not in _RESERVED_DATA_KEYS and not key.startswith(_RESERVED_DATA)
    }
    data[DELIVERY_KEY] = idempotency_key
    if message.actions:
        data["actions"] = json.dumps([{"id": action.id, "title": action.title} for action in message.actions])
    return data


def fcm_message(message: PushMessage, *, idempotency_key: str) -> messaging.Message:
    """The FCM message for ``message``: the notification, and each platform's rich parts."""
    image = message.image_url or None
    collapse = _collapse_id(idempotency_key)
    fcm = messaging.Message(
        notification=messaging.Notification(title=message.title, body=message.body, image=image),
        data=_data(message, idempotency_key),
        android=messaging.AndroidConfig(
            collapse_key=collapse,
            notification=messaging.AndroidNotification(
                image=image,
                click_action=message.data.get("click_action") or ANDROID_CLICK_ACTION,
                tag=collapse,
            ),
        ),
        apns=messaging.APNSConfig(
            headers={"apns-collapse-id": collapse},
            payload=messaging.APNSPayload(
                aps=messaging.Aps(
                    category=_category(message),
                    mutable_content=True if image else None,
                    sound="default",
                )
            ),
            fcm_options=messaging.APNSFCMOptions(image=image) if image else None,
        ),
        webpush=messaging.WebpushConfig(
            notification=messaging.WebpushNotification(
                title=message.title,
                body=message.body,
                image=image,
                tag=collapse,
                actions=[messaging.WebpushNotificationAction(action.id, action.title) for action in message.actions]
                or None,
            ),
        ),
    )
    # The apps register FCM registration tokens (API.md), which the v1 API takes as ``token``.
    # SDK 7.x steers new code to installation ids (``fid``) and warns on the constructor
    # argument; the attribute is what the encoder sends, so it is set here, warning-free.
    fcm.token = message.token
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


def _failure(exc: firebase_exceptions.FirebaseError) -> DeliveryError:
    error = _error_body(exc)
    code = _fcm_code(error) or str(exc.code)
    message = str(error.get("message") or exc)
    status = exc.http_response.status_code if exc.http_response is not None else 0
    if (
        isinstance(exc, messaging.UnregisteredError)
        or code in _GONE_CODES
        or "registration-token-not-registered" in message
    ):
        return AddressGone("the registration token is not registered", provider_code=code)
    if isinstance(exc, firebase_exceptions.InvalidArgumentError) and _names_the_token(error, message):
        return AddressGone("the registration token is not valid", provider_code=code)
    if (
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
    ):
        return TemporaryFailure(f"FCM {status or exc.code}", provider_code=code)
    return PermanentFailure(f"FCM {status or exc.code}", provider_code=code)


class FcmPushProvider:
    """Sends through the Firebase project of FIREBASE_PROJECT_ID with the FIREBASE_CREDENTIALS service account."""

    name = PROVIDER

    def send_push(self, message: PushMessage, *, idempotency_key: str) -> DeliveryResult:
        try:
            fcm = fcm_message(message, idempotency_key=idempotency_key)
        except (ValueError, TypeError) as exc:
            raise PermanentFailure(f"not a valid push message: {exc}") from exc
        app = _firebase_app()
        try:
            name = messaging.send(fcm, app=app)
        except firebase_exceptions.FirebaseError as exc:
            failure = _failure(exc)
            logger.warning(
                "push_refused", failure=type(failure).__name__, code=failure.provider_code, key=idempotency_key
            )
            raise failure from exc
        except google.auth.exceptions.GoogleAuthError as exc:
            # The OAuth token for the service account could not be had.
            retryable = isinstance(exc, google.auth.exceptions.TransportError) or bool(getattr(exc, "retryable", False))
            logger.warning("push_auth_failed", error=type(exc).__name__, retryable=retryable)
            if retryable:
                raise TemporaryFailure(type(exc).__name__) from exc
            raise PermanentFailure(type(exc).__name__) from exc
        except ValueError as exc:  # the SDK validates the message as it encodes it
            raise PermanentFailure(f"not a valid push message: {exc}") from exc
        return DeliveryResult(provider=PROVIDER, provider_id=str(name), status="sent")

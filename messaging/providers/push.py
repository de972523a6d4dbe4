"""Push through Firebase Cloud Messaging (HTTP v1), sent by ``accounts.firebase_client`` (the SDK's one module).

``FcmPushProvider.send_push`` sends one message to one registration token and
answers FCM's message name (``projects/<p>/messages/<id>``). This module
decides what a rich push looks like on each platform; the client speaks FCM:

* Android: the notification image, a ``click_action`` (the intent the app
  opens; ``data["click_action"]`` or :data:`ANDROID_CLICK_ACTION`), and the
  buttons as JSON in ``data["actions"]``, since FCM's Android notification has
  none of its own: the app draws them.
* APNs: the image (``fcm_options.image``, with ``mutable-content: 1`` so the
  app's notification service extension may fetch it), and a ``category``
  naming the set of buttons the app registered (``data["category"]``, else
  made from the action ids, ``accept_decline`` …).
* Web push: the image and the actions (``{action, title}``) of the
  Notifications API.

FCM keeps no idempotency keys. The delivery key travels in
``data["delivery_key"]`` (the app drops a repeat) and, hashed, as the Android
``tag`` and collapse key, the APNs ``apns-collapse-id`` and the web ``tag``, so
a resent delivery replaces its first notification on the device instead of
showing twice. FCM has no way to ask whether it already took a message (its
answer is the only receipt), so a push whose worker died between FCM's answer
and the outbox recording it is sent again: at least once at that boundary,
shown once on the device.

Errors: a token FCM does not know (``UNREGISTERED``, or ``INVALID_ARGUMENT``
about the token) raises :class:`AddressGone`: the caller removes the token.
429, 5xx, a timeout or no connection is a :class:`TemporaryFailure`; any other
refusal a :class:`PermanentFailure`.
"""

from __future__ import annotations

import hashlib
import json

import structlog

from accounts.firebase_client import FcmFailure, FcmPush, fcm_send
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
ANDROID_CLICK_ACTION = "GUARDIANNEST_OPEN_NOTIFICATION"
DELIVERY_KEY = "delivery_key"
# FCM's data keys are its own under these prefixes and names.
_RESERVED_DATA = ("google.", "gcm.")
_RESERVED_DATA_KEYS = {"from", "notification", "message_type"}


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


def fcm_push(message: PushMessage, *, idempotency_key: str) -> FcmPush:
    """What FCM is asked to show for ``message``: the notification, and each platform's rich parts."""
    return FcmPush(
        token=message.token,
        title=message.title,
        body=message.body,
        collapse_id=_collapse_id(idempotency_key),
        android_click_action=message.data.get("click_action") or ANDROID_CLICK_ACTION,
        data=_data(message, idempotency_key),
        image=message.image_url or None,
        apns_category=_category(message),
        buttons=tuple((action.id, action.title) for action in message.actions),
        high_priority=message.priority == "high",
    )


def _delivery_error(failure: FcmFailure) -> DeliveryError:
    if failure.token_gone:
        return AddressGone(str(failure), provider_code=failure.code)
    if failure.retryable:
        return TemporaryFailure(str(failure), provider_code=failure.code)
    return PermanentFailure(str(failure), provider_code=failure.code)


class FcmPushProvider:
    """Sends through the Firebase project of FIREBASE_PROJECT_ID with the FIREBASE_CREDENTIALS service account."""

    name = PROVIDER

    def send_push(self, message: PushMessage, *, idempotency_key: str) -> DeliveryResult:
        try:
            name = fcm_send(fcm_push(message, idempotency_key=idempotency_key))
        except FcmFailure as exc:
            failure = _delivery_error(exc)
            logger.warning(
                "push_refused", failure=type(failure).__name__, code=failure.provider_code, key=idempotency_key
            )
            raise failure from exc
        return DeliveryResult(provider=PROVIDER, provider_id=name, status="sent")

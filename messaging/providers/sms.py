"""SMS through Twilio's Programmable Messaging API: the only module that imports ``twilio``.

``TwilioSmsProvider.send_sms`` creates one Message (``POST
/2010-04-01/Accounts/{sid}/Messages.json``) and answers the message SID, to
match Twilio's delivery reports against later, with status ``queued``: Twilio
confirms delivery through the status callback, not in this answer. Errors are
sorted for the delivery task: a network failure, a 5xx or a 429 is a
:class:`TemporaryFailure`; any other 4xx (21211 invalid ``To``, 21614 not a
mobile number, 21610 the person replied STOP, …) a :class:`PermanentFailure`,
never retried.

Endpoint and idempotency. The SDK builds every URL on ``https://api.twilio.com``
and sends through its pluggable HTTP client, the documented hook for proxies
and custom transports (``Client(http_client=...)``). Ours is the SDK's own
``TwilioHttpClient`` with two additions: with ``TWILIO_API_BASE`` set (tests),
the scheme and host of each URL are swapped for it; and the delivery's
idempotency key rides in the ``I-Twilio-Idempotency-Token`` header, which
``messages.create`` has no argument for. The key is handed to the HTTP client
through a context variable, so one shared client serves concurrent sends.
Twilio documents that header on the webhooks it sends us; its Messages API
does not promise to drop a repeat by it, so the header is a trace for support
and two other things keep an SMS to one send: the outbox's claim on each row
(one worker at a time), and :meth:`TwilioSmsProvider.find_sms`, asked before a
row whose last attempt has no recorded outcome is sent again (its worker died
after Twilio took the message, or Twilio's answer was lost).

The look-up reads the Messages list (``GET …/Messages.json``, the SDK's
``messages.list``) filtered by ``To`` and ``From``, newest first, and keeps the
messages created since the unanswered attempt began whose text is ours. It does
not filter by ``DateSent``: Twilio's ``date_sent`` stays empty until the carrier
has the message (a queued message, the very case of an SOS burst) and that
filter is documented by the day. The Message resource carries neither our
idempotency token nor the status callback URL, so number, sender, text and time
are what identify a message; the caller also skips any message SID another
outbox row already recorded. Where that is not enough (message body redaction
switched on for the account), the look-up finds nothing and the row is sent
again: at least once, the former behaviour.

Status callbacks are checked here too (:func:`twilio_signature_valid`), with
Twilio's ``RequestValidator``, so the API module needs no Twilio import.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
import structlog
from django.conf import settings
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from messaging.providers.base import DeliveryResult, PermanentFailure, SmsMessage, TemporaryFailure

logger = structlog.get_logger("messaging.sms")

PROVIDER = "twilio"
TWILIO_API_HOST = "api.twilio.com"
IDEMPOTENCY_HEADER = "I-Twilio-Idempotency-Token"
# Seconds one send may wait on Twilio; the delivery task retries later rather than hang a worker.
HTTP_TIMEOUT = 10.0
# The look-up reads this many of the newest messages to the number (one page).
LOOKUP_LIMIT = 100
# Twilio's date_created is to the second, and its clock is not ours.
LOOKUP_CLOCK_SKEW = timedelta(seconds=30)
# Message statuses (Twilio's): taken but not final, and final failures.
_DELIVERED = frozenset({"delivered", "read"})
_FAILED = frozenset({"failed", "undelivered"})
_NEVER_SENT = frozenset({"canceled"})

_idempotency_token: ContextVar[str] = ContextVar("twilio_idempotency_token", default="")


class GuardianNestTwilioHttpClient(TwilioHttpClient):
    """Twilio's HTTP client, sending to ``api_base`` when set and adding the idempotency token."""

    def __init__(self, *, api_base: str = "", timeout: float = HTTP_TIMEOUT) -> None:
        super().__init__(timeout=timeout)
        self.api_base = api_base.rstrip("/")

    def _rebased(self, url: str) -> str:
        if not self.api_base:
            return url
        parts = urlsplit(url)
        if parts.hostname != TWILIO_API_HOST:
            return url  # another Twilio product, or a region/edge host: left to Twilio
        base = urlsplit(self.api_base)
        return urlunsplit((base.scheme, base.netloc, base.path + parts.path, parts.query, parts.fragment))

    def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        token = _idempotency_token.get()
        if token:
            headers = {**(headers or {}), IDEMPOTENCY_HEADER: token}
        return super().request(
            method,
            self._rebased(url),
            params=params,
            data=data,
            headers=headers,
            auth=auth,
            timeout=timeout,
            allow_redirects=allow_redirects,
        )


@dataclass(frozen=True)
class _Config:
    account_sid: str
    auth_token: str
    api_base: str


_lock = threading.Lock()
_client: tuple[_Config, Client] | None = None


def _config() -> _Config:
    return _Config(
        account_sid=settings.TWILIO_ACCOUNT_SID,
        auth_token=settings.TWILIO_AUTH_TOKEN,
        api_base=settings.TWILIO_API_BASE,
    )


def _twilio() -> Client:
    """One client (and its connection pool) per process, rebuilt only when the settings change."""
    global _client
    config = _config()
    with _lock:
        if _client is None or _client[0] != config:
            http_client = GuardianNestTwilioHttpClient(api_base=config.api_base)
            _client = (config, Client(config.account_sid, config.auth_token, http_client=http_client))
        return _client[1]


@contextmanager
def _idempotency(token: str) -> Iterator[None]:
    reset = _idempotency_token.set(token)
    try:
        yield
    finally:
        _idempotency_token.reset(reset)


def _failure(exc: TwilioRestException | TwilioServiceException) -> TemporaryFailure | PermanentFailure:
    """Twilio answered with an error: 429 and 5xx are worth retrying, any other answer is final.

    After a 5xx (or an answer that is no HTTP status) the message may exist all
    the same: the retry looks it up first. A 429 refused it.
    """
    try:
        status = int(exc.status or 0)
    except (TypeError, ValueError):
        status = 0  # not an HTTP status we can read: treated as worth another try
    code = str(exc.code or status)
    reason = f"Twilio {status} ({code})"
    if status == 429:
        return TemporaryFailure(reason, provider_code=code)
    if status >= 500 or status < 400:
        return TemporaryFailure(reason, provider_code=code, maybe_sent=True)
    return PermanentFailure(reason, provider_code=code)


def _same_text(theirs: str | None, ours: str) -> bool:
    return " ".join((theirs or "").split()) == " ".join(ours.split())


def _found(sent: Any) -> DeliveryResult:
    status = str(sent.status or "")
    if status in _DELIVERED:
        return DeliveryResult(provider=PROVIDER, provider_id=str(sent.sid), status="delivered")
    if status in _FAILED:
        error = f"Twilio {status} ({sent.error_code or 'no code'})"
        return DeliveryResult(provider=PROVIDER, provider_id=str(sent.sid), status="failed", error=error)
    return DeliveryResult(provider=PROVIDER, provider_id=str(sent.sid), status="queued")


class TwilioSmsProvider:
    """Sends through the Twilio account of TWILIO_ACCOUNT_SID from TWILIO_FROM_NUMBER."""

    name = PROVIDER

    def send_sms(self, message: SmsMessage, *, idempotency_key: str) -> DeliveryResult:
        """Create the Message; the status callback defaults to TWILIO_STATUS_CALLBACK_URL."""
        status_callback = message.status_callback or settings.TWILIO_STATUS_CALLBACK_URL
        arguments: dict[str, Any] = {"to": message.to, "from_": settings.TWILIO_FROM_NUMBER, "body": message.body}
        if status_callback:
            arguments["status_callback"] = status_callback
        try:
            with _idempotency(idempotency_key):
                sent = _twilio().messages.create(**arguments)
        except (TwilioRestException, TwilioServiceException) as exc:
            failure = _failure(exc)
            logger.warning("sms_refused", status=exc.status, code=failure.provider_code, key=idempotency_key)
            raise failure from exc
        except (requests.RequestException, TwilioException, ValueError) as exc:
            # No answer, or one that is not Twilio's JSON: whether it was sent is unknown,
            # and the retry carries the same idempotency token.
            logger.warning("sms_unreachable", error=type(exc).__name__, key=idempotency_key)
            not_sent = isinstance(exc, requests.ConnectTimeout)  # never reached Twilio
            raise TemporaryFailure(type(exc).__name__, maybe_sent=not not_sent) from exc
        return DeliveryResult(provider=PROVIDER, provider_id=str(sent.sid or ""), status="queued")

    def find_sms(self, message: SmsMessage, *, idempotency_key: str, since: datetime) -> list[DeliveryResult]:
        """Messages Twilio took since ``since`` (less the clock skew) to ``message.to`` from our number, with its text.

        Oldest first. Canceled messages are left out (Twilio will not send
        them). Raises :class:`TemporaryFailure` when Twilio cannot be asked.
        """
        earliest = since - LOOKUP_CLOCK_SKEW
        try:
            listed = _twilio().messages.list(
                to=message.to, from_=settings.TWILIO_FROM_NUMBER, limit=LOOKUP_LIMIT, page_size=LOOKUP_LIMIT
            )
        except (
            TwilioRestException,
            TwilioServiceException,
            TwilioException,
            requests.RequestException,
            ValueError,
        ) as exc:
            logger.warning("sms_lookup_failed", error=type(exc).__name__, key=idempotency_key)
            raise TemporaryFailure(f"look-up: {type(exc).__name__}", maybe_sent=True) from exc
        matches = [
            sent
            for sent in listed
            if sent.sid
            and sent.date_created is not None
            and sent.date_created >= earliest
            and str(sent.status or "") not in _NEVER_SENT
            and _same_text(sent.body, message.body)
        ]
        matches.reverse()  # Twilio lists newest first; the sort keeps that order within a second
        matches.sort(key=lambda sent: sent.date_created)
        logger.info("sms_looked_up", listed=len(listed), matches=len(matches), key=idempotency_key)
        return [_found(sent) for sent in matches]


def twilio_signature_valid(*, url: str, params: Any, signature: str) -> bool:
    """Whether ``signature`` (the X-Twilio-Signature header) is Twilio's, with our auth token, over the request.

    ``url`` must be the public URL Twilio called, as configured, not the one
    this server sees behind its proxy; ``params`` are the form fields of the
    POST (a QueryDict: repeated fields count). Twilio's own validator does the
    HMAC-SHA1 and compares in constant time. False whenever Twilio is not
    configured here: nothing can be verified without the token.
    """
    token = settings.TWILIO_AUTH_TOKEN
    if not token or not url or not signature:
        return False
    return bool(RequestValidator(token).validate(url, params, signature))

"""Sending outbox rows: claim, call the provider, record; retry with a cap; re-drive the lost.

The rules that make delivery dependable:

- A worker *claims* a row with one conditional UPDATE (queued → sending, only
  when it is due); an update count other than 1 means another worker has it
  or it is done, and the task returns. So a task delivered twice, or a task
  and its re-drive, send once.
- The provider is called outside any transaction, with the row's
  ``delivery_key`` as idempotency key, and the outcome is written with an
  update conditional on our own claim (``claimed_at``), so a late worker
  cannot overwrite a newer attempt.
- A temporary failure goes back to queued with capped exponential backoff
  (30 s, 2 min, 10 min, then hourly) and fails for good after
  :data:`MAX_ATTEMPTS`; a permanent one fails at once and is never retried; an
  address that is gone (an unregistered push token) is removed.
- Short waits are enqueued with a countdown. Longer ones are left to the
  re-drive job: an ETA near the broker's visibility timeout is delivered twice.
- :func:`delivery_redrive` (beat, every minute) re-enqueues queued rows whose
  task never came and rows stuck in ``sending`` past the task time limit, whose
  worker died mid-send.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, cast

import structlog
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from messaging.kinds import QUEUE_CRITICAL, get_kind
from messaging.models.notifications import Delivery
from messaging.providers import registry
from messaging.providers.base import (
    AddressGone,
    DeliveryResult,
    EmailMessage,
    PermanentFailure,
    PushAction,
    PushMessage,
    SmsMessage,
    TemporaryFailure,
)

logger = structlog.get_logger(__name__)

BACKOFF_SECONDS = (30, 120, 600, 3600)  # after the 1st, 2nd, 3rd failure; then the last, as a cap
MAX_ATTEMPTS = 8
ETA_LIMIT_SECONDS = 15 * 60  # longer waits are picked up by the re-drive job instead of a broker ETA
REDRIVE_GRACE = timedelta(minutes=2)  # a due row its task has not claimed by then was lost
CLOCK_SKEW = timedelta(seconds=5)  # between the beat, the web process and the workers
REDRIVE_BATCH = 1000
ERROR_MAX = 255


def backoff_seconds(attempts: int) -> int:
    """The wait after the ``attempts``-th failed attempt, with up to 10 % jitter so retries spread out."""
    base = BACKOFF_SECONDS[min(max(attempts, 1), len(BACKOFF_SECONDS)) - 1]
    return base + random.randint(0, base // 10)  # noqa: S311 - spreading load, not a secret


def lost_after() -> timedelta:
    """A row still ``sending`` this long after its claim lost its worker (hard time limit passed)."""
    return timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)


def _queue_of(kind_name: str) -> str:
    try:
        return get_kind(kind_name).queue
    except KeyError:
        return "default"


def delivery_enqueue(*, deliveries: Iterable[tuple[str, str]], countdown: int | None = None) -> None:
    """Send ``(delivery id, kind)`` pairs to the workers; emergency kinds to the ``critical`` queue.

    Call it after commit (``transaction.on_commit``): a worker must find the row.
    A failed publish is only logged: the row stays queued and the re-drive job
    enqueues it again.
    """
    from messaging.tasks import deliver, deliver_critical

    for delivery_id, kind in deliveries:
        task = deliver_critical if _queue_of(kind) == QUEUE_CRITICAL else deliver
        try:
            if countdown is None:
                task.apply_async(args=(delivery_id,))
            else:
                task.apply_async(args=(delivery_id,), countdown=countdown)
        except Exception:
            logger.exception("delivery_enqueue_failed", delivery_id=delivery_id)


def _message(delivery: Delivery) -> EmailMessage | SmsMessage | PushMessage:
    payload = cast(dict[str, Any], delivery.payload or {})  # the stubs type the encrypted JSON column as text
    if delivery.channel == "email":
        return EmailMessage(
            to=delivery.address,
            subject=payload["subject"],
            text=payload["text"],
            html=payload.get("html", ""),
            headers=dict(payload.get("headers") or {}),
        )
    if delivery.channel == "sms":
        return SmsMessage(to=delivery.address, body=payload["body"])
    return PushMessage(
        token=delivery.address,
        title=payload["title"],
        body=payload["body"],
        data={str(k): str(v) for k, v in (payload.get("data") or {}).items()},
        image_url=payload.get("image_url", ""),
        actions=tuple(PushAction(id=a["id"], title=a["title"]) for a in payload.get("actions") or ()),
        platform=payload.get("platform", "android"),
        priority=payload.get("priority", "normal"),
    )


def _call_provider(delivery: Delivery) -> DeliveryResult:
    message = _message(delivery)
    if isinstance(message, EmailMessage):
        return registry.email_provider().send_email(message, idempotency_key=delivery.delivery_key)
    if isinstance(message, SmsMessage):
        return registry.sms_provider().send_sms(message, idempotency_key=delivery.delivery_key)
    return registry.push_provider().send_push(message, idempotency_key=delivery.delivery_key)


def _record(delivery_id: Any, claim: datetime, **values: Any) -> bool:
    """Write an outcome, only if the row is still ours (sending, under our claim)."""
    values.setdefault("updated_at", timezone.now())
    ours = Delivery.objects.filter(pk=delivery_id, status=Delivery.Status.SENDING, claimed_at=claim)
    return ours.update(**values) == 1


def _remove_address(delivery: Delivery) -> None:
    """Tell the devices subdomain a push token is gone (when it offers the service)."""
    if delivery.channel != "push":
        return
    try:
        from messaging.services import devices
    except ImportError:
        return
    remove = getattr(devices, "device_remove_token", None)
    if remove is not None:
        try:
            remove(token=delivery.address)
        except Exception:
            logger.exception("device_remove_token_failed", delivery_id=str(delivery.pk))


def delivery_send(*, delivery_id: Any) -> str:
    """Send one outbox row if it is due and nobody else has it; answer the status it ends in.

    Idempotent: a row already sent, failed, skipped, claimed by another worker
    or deleted (an erased account) is left alone and its status returned.
    """
    now = timezone.now()
    claimed = Delivery.objects.filter(
        pk=delivery_id, status=Delivery.Status.QUEUED, next_attempt_at__lte=now + CLOCK_SKEW
    ).update(status=Delivery.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1, updated_at=now)
    delivery = Delivery.objects.filter(pk=delivery_id).first()
    if delivery is None:
        return "gone"
    if claimed != 1:
        return str(delivery.status) if delivery.status != Delivery.Status.QUEUED else "not_due"

    log = logger.bind(delivery_id=str(delivery.pk), kind=delivery.kind, channel=delivery.channel)
    try:
        result = _call_provider(delivery)
    except AddressGone as exc:
        _record(delivery.pk, now, status=Delivery.Status.FAILED, last_error=f"address gone: {exc.reason}"[:ERROR_MAX])
        _remove_address(delivery)
        log.info("delivery_address_gone", code=exc.provider_code)
        return Delivery.Status.FAILED
    except PermanentFailure as exc:
        _record(delivery.pk, now, status=Delivery.Status.FAILED, last_error=f"permanent: {exc.reason}"[:ERROR_MAX])
        log.warning("delivery_failed_permanently", code=exc.provider_code)
        return Delivery.Status.FAILED
    except TemporaryFailure as exc:
        return _retry_later(delivery, now, f"temporary: {exc.reason}")
    except Exception as exc:  # a bug or a time limit: retried like a temporary failure, within the cap
        log.exception("delivery_error")
        return _retry_later(delivery, now, f"error: {type(exc).__name__}")

    final = Delivery.Status.DELIVERED if result.status == "delivered" else Delivery.Status.SENT
    _record(
        delivery.pk,
        now,
        status=final,
        provider=result.provider[:32],
        provider_id=result.provider_id[:255],
        last_error="",
        sent_at=timezone.now(),
    )
    log.info("delivery_sent", provider=result.provider)
    return final


def _retry_later(delivery: Delivery, claim: datetime, error: str) -> str:
    if delivery.attempts >= MAX_ATTEMPTS:
        _record(delivery.pk, claim, status=Delivery.Status.FAILED, last_error=f"gave up: {error}"[:ERROR_MAX])
        logger.warning("delivery_gave_up", delivery_id=str(delivery.pk), attempts=delivery.attempts)
        return Delivery.Status.FAILED
    wait = backoff_seconds(delivery.attempts)
    requeued = _record(
        delivery.pk,
        claim,
        status=Delivery.Status.QUEUED,
        claimed_at=None,
        next_attempt_at=timezone.now() + timedelta(seconds=wait),
        last_error=error[:ERROR_MAX],
    )
    if requeued and wait <= ETA_LIMIT_SECONDS:
        pair = [(str(delivery.pk), delivery.kind)]
        transaction.on_commit(lambda: delivery_enqueue(deliveries=pair, countdown=wait))
    return Delivery.Status.QUEUED


def delivery_redrive(*, now: datetime | None = None, batch: int = REDRIVE_BATCH) -> int:
    """Re-enqueue what a lost task left behind; answer how many rows were enqueued.

    Rows stuck in ``sending`` past the task time limit go back to queued (or
    fail, when they used their last attempt). Queued rows due for longer than
    the grace period are enqueued again, and their ``next_attempt_at`` moved to
    now so the next run does not enqueue them again while they wait in a long
    queue. A row enqueued twice is still sent once: the claim decides.
    """
    now = now or timezone.now()
    cutoff = now - lost_after()
    stuck = Delivery.objects.filter(status=Delivery.Status.SENDING, claimed_at__lt=cutoff)
    stuck_ids = list(stuck.order_by("claimed_at").values_list("pk", flat=True)[:batch])
    if stuck_ids:
        lost = Delivery.objects.filter(pk__in=stuck_ids, status=Delivery.Status.SENDING, claimed_at__lt=cutoff)
        lost.filter(attempts__gte=MAX_ATTEMPTS).update(
            status=Delivery.Status.FAILED, last_error="gave up: worker lost", updated_at=now
        )
        lost.update(
            status=Delivery.Status.QUEUED,
            claimed_at=None,
            next_attempt_at=now - REDRIVE_GRACE,
            last_error="worker lost mid-send",
            updated_at=now,
        )
        logger.warning("deliveries_lost_mid_send", count=len(stuck_ids))

    due = Delivery.objects.filter(status=Delivery.Status.QUEUED, next_attempt_at__lte=now - REDRIVE_GRACE)
    rows = list(due.order_by("next_attempt_at").values_list("pk", "kind")[:batch])
    if not rows:
        return 0
    Delivery.objects.filter(pk__in=[pk for pk, _ in rows], status=Delivery.Status.QUEUED).update(
        next_attempt_at=now, updated_at=now
    )
    pairs = [(str(pk), kind) for pk, kind in rows]
    transaction.on_commit(lambda: delivery_enqueue(deliveries=pairs))
    logger.info("deliveries_redriven", count=len(pairs))
    return len(pairs)


def delivery_status_update(*, provider: str, provider_id: str, delivered: bool, error: str = "") -> int:
    """A provider's status callback (Twilio): sent → delivered, or failed with the provider's reason.

    Keyed by the provider's message id; rows in any other state are left alone,
    so a callback that repeats or arrives late changes nothing.
    """
    rows = Delivery.objects.filter(provider=provider, provider_id=provider_id, status=Delivery.Status.SENT)
    if delivered:
        return rows.update(status=Delivery.Status.DELIVERED, updated_at=timezone.now())
    return rows.update(
        status=Delivery.Status.FAILED, last_error=f"provider: {error}"[:ERROR_MAX], updated_at=timezone.now()
    )


def delivery_retry_failed(*, delivery_ids: Iterable[Any], actor: Any) -> int:
    """Staff give failed rows another round (after fixing an address or a provider outage).

    Rows whose address is gone stay failed: the token was removed. One audit
    event for the batch; the rows are enqueued after commit.
    """
    from guardiannest.audit.services import audit_record

    now = timezone.now()
    with transaction.atomic():
        rows = list(
            Delivery.objects.select_for_update()
            .filter(pk__in=list(delivery_ids), status=Delivery.Status.FAILED)
            .exclude(last_error__startswith="address gone")
            .values_list("pk", "kind")
        )
        if not rows:
            return 0
        Delivery.objects.filter(pk__in=[pk for pk, _ in rows]).update(
            status=Delivery.Status.QUEUED, attempts=0, next_attempt_at=now, last_error="", updated_at=now
        )
        audit_record(
            action="delivery.retried",
            actor=actor,
            target_type="messaging.delivery",
            target_id=str(rows[0][0]) if len(rows) == 1 else "",
            data={"count": len(rows)},
        )
        pairs = [(str(pk), kind) for pk, kind in rows]
        transaction.on_commit(lambda: delivery_enqueue(deliveries=pairs))
    return len(rows)

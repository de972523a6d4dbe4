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
- Two lanes (:class:`Lane`, from settings): kinds delivered from the critical
  queue (emergencies) wait less and try longer than the others. A temporary
  failure goes back to queued with the lane's capped backoff (30 s, 2 min,
  10 min, then hourly; critical 2 s, 5 s, 10 s, 30 s, then every minute) and
  fails for good after the lane's attempts; a permanent one fails at once and
  is never retried; an address that is gone (an unregistered push token) is
  removed.
- Short waits are enqueued with a countdown. Longer ones are left to the
  re-drive job: an ETA near the broker's visibility timeout is delivered twice.
- :func:`delivery_redrive` (beat: every minute, and the critical lane every
  ``MESSAGING_CRITICAL_REDRIVE_SECONDS``) re-enqueues queued rows whose task
  never came and rows still ``sending`` past their lane's lease, whose worker
  died mid-send.
- Exactly once where the provider can be asked. Every claim stamps
  ``maybe_sent_since`` (when not already set) and only a known outcome clears
  it, so a row claimed with the stamp already set is one an earlier attempt may
  have handed to the provider without anyone recording it (a worker killed
  between Twilio's answer and our update, an answer lost in the network, a 5xx
  after Twilio created the message). Before sending such a row again the
  provider is asked (SMS: Twilio's Messages list); a message it already took is
  recorded, with its id, instead of being sent twice. The lease outlasts one
  provider call, so an attempt the re-drive gave up on is no longer talking to
  the provider when the look-up runs. Email and push cannot be asked: a repeat
  there carries the same Message-ID or collapse id (messaging/providers).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, cast

import structlog
from django.db import models, transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from messaging.kinds import QUEUE_CRITICAL
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
from messaging.services.lanes import (  # noqa: F401  (the lanes are part of this module's interface)
    LANE_CRITICAL,
    LANE_DEFAULT,
    Lane,
    _critical_kinds,
    _queue_of,
    backoff_seconds,
    lane,
    lane_of,
    lost_after,
)

logger = structlog.get_logger(__name__)

ETA_LIMIT_SECONDS = 15 * 60  # longer waits are picked up by the re-drive job instead of a broker ETA
CLOCK_SKEW = timedelta(seconds=5)  # between the beat, the web process and the workers
REDRIVE_BATCH = 1000
ERROR_MAX = 255


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


def _call_provider(delivery: Delivery, message: EmailMessage | SmsMessage | PushMessage) -> DeliveryResult:
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


def _look_up(delivery: Delivery, message: EmailMessage | SmsMessage | PushMessage) -> DeliveryResult | None:
    """What the provider holds of an earlier attempt at ``delivery``, when the provider can be asked.

    A message whose id another row already recorded is someone else's (two
    rows with the same text to the same number). Raises TemporaryFailure when
    the provider cannot be asked now.
    """
    if not isinstance(message, SmsMessage) or delivery.maybe_sent_since is None:
        return None  # email and push cannot be asked (messaging/providers/base.py)
    found = registry.sms_provider().find_sms(
        message, idempotency_key=delivery.delivery_key, since=delivery.maybe_sent_since
    )
    if not found:
        return None
    taken = set(
        Delivery.objects.filter(
            provider__in={r.provider[:32] for r in found}, provider_id__in=[r.provider_id for r in found]
        )
        .exclude(pk=delivery.pk)
        .values_list("provider", "provider_id")
    )
    return next((r for r in found if (r.provider[:32], r.provider_id) not in taken), None)


def _still_ours(delivery_id: Any, claim: datetime, now: datetime) -> bool:
    """Renew our claim after a look-up (it took a network call): False when the re-drive gave the row away."""
    return _record(delivery_id, claim, claimed_at=now, maybe_sent_since=now)


def delivery_send(*, delivery_id: Any) -> str:
    """Send one outbox row if it is due and nobody else has it; answer the status it ends in.

    Idempotent: a row already sent, failed, skipped, claimed by another worker
    or deleted (an erased account) is left alone and its status returned. A row
    an earlier attempt may have handed to the provider is looked up there first.
    """
    now = timezone.now()
    claimed = Delivery.objects.filter(
        pk=delivery_id, status=Delivery.Status.QUEUED, next_attempt_at__lte=now + CLOCK_SKEW
    ).update(
        status=Delivery.Status.SENDING,
        claimed_at=now,
        attempts=F("attempts") + 1,
        maybe_sent_since=Coalesce(F("maybe_sent_since"), Value(now, output_field=models.DateTimeField())),
        updated_at=now,
    )
    delivery = Delivery.objects.filter(pk=delivery_id).first()
    if delivery is None:
        return "gone"
    if claimed != 1:
        return str(delivery.status) if delivery.status != Delivery.Status.QUEUED else "not_due"

    log = logger.bind(delivery_id=str(delivery.pk), kind=delivery.kind, channel=delivery.channel)
    claim = now
    try:
        message = _message(delivery)
        # Claimed with the stamp already set: an earlier attempt may have handed it over. Only SMS can be asked.
        unsure = delivery.maybe_sent_since is not None and delivery.maybe_sent_since < now
        if unsure and isinstance(message, SmsMessage):
            found = _look_up(delivery, message)
            if found is not None:
                log.warning("delivery_found_at_provider", provider=found.provider, since=str(delivery.maybe_sent_since))
                return _record_result(delivery, claim, found)
            # Nothing there: the earlier attempts sent nothing. Renew the claim (the look-up took a network
            # call) and narrow the window to this attempt; a re-drive that took the row meanwhile wins.
            claim = timezone.now()
            if not _still_ours(delivery.pk, now, claim):
                log.warning("delivery_claim_lost_during_lookup")
                return "not_ours"
        result = _call_provider(delivery, message)
    except AddressGone as exc:
        _record(delivery.pk, claim, status=Delivery.Status.FAILED, last_error=f"address gone: {exc.reason}"[:ERROR_MAX])
        _remove_address(delivery)
        log.info("delivery_address_gone", code=exc.provider_code)
        return Delivery.Status.FAILED
    except PermanentFailure as exc:
        _record(delivery.pk, claim, status=Delivery.Status.FAILED, last_error=f"permanent: {exc.reason}"[:ERROR_MAX])
        log.warning("delivery_failed_permanently", code=exc.provider_code)
        return Delivery.Status.FAILED
    except TemporaryFailure as exc:
        return _retry_later(delivery, claim, f"temporary: {exc.reason}", maybe_sent=exc.maybe_sent)
    except Exception as exc:  # a bug or a time limit: retried like a temporary failure, within the cap
        log.exception("delivery_error")
        return _retry_later(delivery, claim, f"error: {type(exc).__name__}", maybe_sent=True)

    final = _record_result(delivery, claim, result)
    log.info("delivery_sent", provider=result.provider)
    return final


def _record_result(delivery: Delivery, claim: datetime, result: DeliveryResult) -> str:
    """The provider took the message (now, or in an attempt the look-up found): record its id and status."""
    if result.status == "failed":
        final = Delivery.Status.FAILED
    elif result.status == "delivered":
        final = Delivery.Status.DELIVERED
    else:
        final = Delivery.Status.SENT
    _record(
        delivery.pk,
        claim,
        status=final,
        provider=result.provider[:32],
        provider_id=result.provider_id[:255],
        last_error=f"provider: {result.error}"[:ERROR_MAX] if result.error else "",
        maybe_sent_since=None,
        sent_at=timezone.now(),
    )
    return final


def _retry_later(delivery: Delivery, claim: datetime, error: str, *, maybe_sent: bool = False) -> str:
    """Back to queued after the lane's backoff, or failed after its last attempt.

    ``maybe_sent``: the provider may hold the message, so the stamp stays and
    the next attempt looks it up first; otherwise nothing left and it is cleared.
    """
    rules = lane_of(delivery.kind)
    if delivery.attempts >= rules.max_attempts:
        _record(delivery.pk, claim, status=Delivery.Status.FAILED, last_error=f"gave up: {error}"[:ERROR_MAX])
        logger.warning("delivery_gave_up", delivery_id=str(delivery.pk), attempts=delivery.attempts)
        return Delivery.Status.FAILED
    wait = backoff_seconds(delivery.attempts, backoff=rules.backoff)
    unsure: dict[str, Any] = {} if maybe_sent else {"maybe_sent_since": None}
    requeued = _record(
        delivery.pk,
        claim,
        status=Delivery.Status.QUEUED,
        claimed_at=None,
        next_attempt_at=timezone.now() + timedelta(seconds=wait),
        last_error=error[:ERROR_MAX],
        **unsure,
    )
    if requeued and wait <= ETA_LIMIT_SECONDS:
        pair = [(str(delivery.pk), delivery.kind)]
        transaction.on_commit(lambda: delivery_enqueue(deliveries=pair, countdown=wait))
    return Delivery.Status.QUEUED


def delivery_redrive(*, now: datetime | None = None, batch: int = REDRIVE_BATCH, lane_name: str | None = None) -> int:
    """Re-enqueue what a lost task left behind; answer how many rows were enqueued.

    Each lane (both, or ``lane_name`` alone) by its own settings. Rows still
    ``sending`` past the lane's lease go back to queued (or fail, when they
    used their last attempt), keeping their ``maybe_sent_since``: the next
    attempt asks the provider before sending. Queued rows due for longer than
    the lane's grace are enqueued again, and their ``next_attempt_at`` moved to
    now so the next run does not enqueue them again while they wait in a long
    queue. A row enqueued twice is still sent once: the claim decides.
    """
    now = now or timezone.now()
    critical = Q(kind__in=_critical_kinds())
    lanes = [lane(lane_name)] if lane_name else [lane(LANE_DEFAULT), lane(LANE_CRITICAL)]
    pairs: list[tuple[str, str]] = []
    for rules in lanes:
        in_lane = critical if rules.name == LANE_CRITICAL else ~critical
        _recover_lost(rules, in_lane, now, batch)
        due = Delivery.objects.filter(in_lane, status=Delivery.Status.QUEUED, next_attempt_at__lte=now - rules.grace)
        rows = list(due.order_by("next_attempt_at").values_list("pk", "kind")[:batch])
        if not rows:
            continue
        Delivery.objects.filter(pk__in=[pk for pk, _ in rows], status=Delivery.Status.QUEUED).update(
            next_attempt_at=now, updated_at=now
        )
        pairs += [(str(pk), kind) for pk, kind in rows]
    if not pairs:
        return 0
    transaction.on_commit(lambda: delivery_enqueue(deliveries=pairs))
    logger.info("deliveries_redriven", count=len(pairs), lane=lane_name or "all")
    return len(pairs)


def _recover_lost(rules: Lane, in_lane: Q, now: datetime, batch: int) -> None:
    """Rows of a lane still sending past its lease lost their worker: queued again, or failed on their last attempt."""
    cutoff = now - rules.lease
    stuck = Delivery.objects.filter(in_lane, status=Delivery.Status.SENDING, claimed_at__lt=cutoff)
    stuck_ids = list(stuck.order_by("claimed_at").values_list("pk", flat=True)[:batch])
    if not stuck_ids:
        return
    lost = Delivery.objects.filter(pk__in=stuck_ids, status=Delivery.Status.SENDING, claimed_at__lt=cutoff)
    lost.filter(attempts__gte=rules.max_attempts).update(
        status=Delivery.Status.FAILED, last_error="gave up: worker lost", updated_at=now
    )
    lost.update(
        status=Delivery.Status.QUEUED,
        claimed_at=None,
        next_attempt_at=now - rules.grace,
        last_error="worker lost mid-send",
        updated_at=now,
    )
    logger.warning("deliveries_lost_mid_send", count=len(stuck_ids), lane=rules.name)


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

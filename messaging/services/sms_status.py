"""Twilio's delivery reports for SMS we sent, applied to the outbox.

Twilio posts each change of a message's status to the status callback URL
(the signature has been checked by then). Only the final answers matter to
the outbox: ``delivered``, or ``undelivered``/``failed`` with Twilio's error
code; ``queued``, ``sending``, ``sent`` … say nothing new. The notification
core owns the rule for what a report may change (``delivery_status_update``:
only a row still ``sent``, so repeats and late reports change nothing); this
module only translates Twilio's words. It is imported lazily so the callback
answers even where the outbox does not exist yet.
"""

from __future__ import annotations

import structlog

logger = structlog.get_logger("messaging.sms_status")

PROVIDER = "twilio"
DELIVERED = {"delivered", "read"}
NOT_DELIVERED = {"undelivered", "failed", "canceled"}


def sms_status_record(*, message_sid: str, message_status: str, error_code: str = "") -> int:
    """Apply one report; answer how many outbox rows it changed (0 for news that is not final)."""
    status = message_status.strip().lower()
    if not message_sid or status not in DELIVERED | NOT_DELIVERED:
        return 0
    try:
        from messaging.services.delivery import delivery_status_update
    except ImportError:  # no outbox in this build: nothing to update
        return 0
    changed = delivery_status_update(
        provider=PROVIDER,
        provider_id=message_sid,
        delivered=status in DELIVERED,
        error=f"{status} {error_code}".strip(),
    )
    logger.info("sms_status_recorded", status=status, error_code=error_code, changed=changed)
    return changed

"""Embedded twins: with no provider configured, messages are written to ``var/outbox``.

One JSON file per message, named by its idempotency key, so a re-sent
delivery overwrites its own file instead of adding a second message. Each file
appears whole (written beside it, then renamed into place): a reader, such as
a test waiting for a text while a worker sends it, never sees half a message.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

import structlog
from django.conf import settings

from messaging.providers.base import DeliveryResult, PushMessage, SmsMessage

logger = structlog.get_logger(__name__)

_SAFE = re.compile(r"[^A-Za-z0-9._-]")


def _path(kind: str, idempotency_key: str) -> Path:
    return Path(settings.OUTBOX_DIR) / kind / f"{_SAFE.sub('_', idempotency_key)[:120]}.json"


def _write(kind: str, idempotency_key: str, payload: dict[str, Any]) -> Path:
    path = _path(kind, idempotency_key)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Not *.json until complete: readers list the folder by that suffix.
    handle, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem[:40]}.", suffix=".partial")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(json.dumps(payload, indent=2, default=str))
        os.replace(partial, path)  # atomic on one file system: the old file or the new one, never a mix
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    return path


class OutboxSmsProvider:
    name = "outbox"

    def send_sms(self, message: SmsMessage, *, idempotency_key: str) -> DeliveryResult:
        path = _write("sms", idempotency_key, asdict(message))
        logger.info("sms_written_to_outbox", path=str(path))
        return DeliveryResult(provider=self.name, provider_id=path.stem)

    def find_sms(self, message: SmsMessage, *, idempotency_key: str, since: datetime) -> list[DeliveryResult]:
        """The message's own file, when an earlier attempt wrote it."""
        path = _path("sms", idempotency_key)
        return [DeliveryResult(provider=self.name, provider_id=path.stem)] if path.exists() else []


class OutboxPushProvider:
    name = "outbox"

    def send_push(self, message: PushMessage, *, idempotency_key: str) -> DeliveryResult:
        payload = asdict(message)
        payload["token"] = message.token[:8] + "…"  # a device token is a credential
        path = _write("push", idempotency_key, payload)
        logger.info("push_written_to_outbox", path=str(path))
        return DeliveryResult(provider=self.name, provider_id=path.stem)

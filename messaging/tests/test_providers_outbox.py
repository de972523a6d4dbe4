"""The embedded outbox: one whole JSON file per message, whatever reads the folder meanwhile."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from django.utils import timezone

from messaging.providers.base import SmsMessage
from messaging.providers.outbox import OutboxSmsProvider


def test_a_reader_never_sees_half_a_message(settings, tmp_path: Path) -> None:
    """A worker writes texts while a reader (a test waiting for one) lists and reads the folder: every read is whole."""
    settings.OUTBOX_DIR = str(tmp_path)
    provider = OutboxSmsProvider()
    body = "x" * 400_000  # large enough that a plain write is caught half done
    stop = threading.Event()
    reads: list[int] = []
    broken: list[str] = []

    def reader() -> None:
        while not stop.is_set():
            for path in sorted((tmp_path / "sms").glob("*.json")):
                try:
                    reads.append(len(json.loads(path.read_text())["body"]))
                except FileNotFoundError:
                    continue
                except ValueError as exc:
                    broken.append(str(exc))

    (tmp_path / "sms").mkdir()
    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for number in range(60):
            provider.send_sms(SmsMessage(to="+14155550100", body=body), idempotency_key=f"sms-{number % 3}")
    finally:
        stop.set()
        thread.join()

    assert broken == []
    assert reads and set(reads) == {len(body)}
    assert sorted(path.name for path in (tmp_path / "sms").iterdir()) == ["sms-0.json", "sms-1.json", "sms-2.json"]
    found = provider.find_sms(SmsMessage(to="+14155550100", body=body), idempotency_key="sms-1", since=timezone.now())
    assert [result.provider_id for result in found] == ["sms-1"]

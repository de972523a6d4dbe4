"""Fixtures for the notification tests: a real SMTP server on loopback, the broker's queues, the outbox."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from kombu import Exchange, Queue

from guardiannest.celery import app


class ScriptedSmtpHandler:
    """Answers DATA with the scripted replies in turn (then 250), and keeps what it accepted."""

    def __init__(self) -> None:
        self.replies: list[str] = []
        self.accepted: list[Any] = []
        self.attempts = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.attempts += 1
        reply = self.replies.pop(0) if self.replies else "250 2.0.0 Message accepted"
        if reply.startswith("250"):
            self.accepted.append(envelope)
        return reply


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[ScriptedSmtpHandler]:
    """An SMTP server on loopback, and Django's SMTP backend pointed at it (as in production)."""
    handler = ScriptedSmtpHandler()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    try:
        yield handler
    finally:
        controller.stop()


@pytest.fixture
def outbox_dir(settings: Any, tmp_path: Path) -> Path:
    """Where the embedded SMS and push twins write, one JSON file per message."""
    settings.OUTBOX_DIR = tmp_path
    return tmp_path


def outbox_files(outbox: Path, channel: str) -> list[dict[str, Any]]:
    return [json.loads(path.read_text()) for path in sorted((outbox / channel).glob("*.json"))]


class Broker:
    """Reads what was published to the real Redis broker, as a worker would receive it."""

    def purge(self) -> None:
        with app.connection_for_write() as conn:
            for name in ("default", "critical"):
                Queue(name, Exchange(name), routing_key=name, channel=conn.default_channel).purge()

    def messages(self, queue: str) -> list[dict[str, Any]]:
        """Drain ``queue``: each message's task name, args and ETA."""
        found = []
        with app.connection_for_write() as conn:
            bound = Queue(queue, Exchange(queue), routing_key=queue, channel=conn.default_channel)
            while (message := bound.get(no_ack=True)) is not None:
                args, _kwargs, _embed = message.decode()
                found.append({"task": message.headers["task"], "args": args, "eta": message.headers.get("eta")})
        return found


@pytest.fixture
def broker() -> Iterator[Broker]:
    broker = Broker()
    broker.purge()
    yield broker
    broker.purge()


def verify_phone(user: Any, phone: str = "+14155550100") -> None:
    """The account's phone, proven by an SMS code (the devices subdomain's record of it)."""
    from datetime import timedelta

    from django.utils import timezone

    from messaging.models import PhoneVerification

    user.phone = phone
    user.save()
    now = timezone.now()
    PhoneVerification.objects.create(
        user=user, phone=phone, code_hash="-", created_at=now, expires_at=now + timedelta(minutes=10), verified_at=now
    )

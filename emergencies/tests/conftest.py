"""A booked family with emergency contacts (personas from the root conftest), and the broker's queues."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from accounts.models import User
from bookings.tests.factories import World, bookable_sitter, family
from emergencies.tests.factories import Family, contacts_for
from messaging.tests.notifications_helpers import Broker


@pytest.fixture
def booked(parent: User, sitter: User) -> Family:
    bookable_sitter(sitter)
    world = World(parent=parent, sitter=sitter, child=family(parent))
    return Family(world=world, booking=world.book(), contacts=contacts_for(parent))


@pytest.fixture
def broker() -> Iterator[Broker]:
    broker = Broker()
    broker.purge()
    yield broker
    broker.purge()


@pytest.fixture
def outbox_dir(settings: Any, tmp_path: Path) -> Path:
    """Where the embedded SMS and push twins write, one JSON file per message."""
    settings.OUTBOX_DIR = tmp_path
    return tmp_path


# Twilio and FCM on loopback (messaging's stand-ins): the timeline shows what the providers answered.
from messaging.tests.chat_helpers import socket_for  # noqa: E402, F401
from messaging.tests.providers_helpers import _google, _twilio, fcm, twilio  # noqa: E402, F401

"""The bookable world every bookings test starts from (personas from the root conftest)."""

from __future__ import annotations

import pytest

from accounts.models import User
from bookings.tests.factories import World, bookable_sitter, family


@pytest.fixture
def world(parent: User, sitter: User) -> World:
    bookable_sitter(sitter)
    return World(parent=parent, sitter=sitter, child=family(parent))

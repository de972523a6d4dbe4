"""The parent personas with a verified email, for tests that change how an account signs in.

Adding a passkey, a Firebase link or an authenticator needs a verified email
(``accounts.services.step_up``); a conftest imports these to override the root
personas for its directory.
"""

from __future__ import annotations

from typing import Any

import pytest

from accounts.models import User
from accounts.tests.factories import ParentFactory


@pytest.fixture
def parent(db: Any) -> User:
    return ParentFactory(email="parent@example.com", verified=True)


@pytest.fixture
def other_parent(db: Any) -> User:
    return ParentFactory(email="other.parent@example.com", verified=True)

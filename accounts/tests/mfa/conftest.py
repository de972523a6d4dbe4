from __future__ import annotations

from typing import Any

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.factories import ParentFactory
from accounts.tests.mfa.factories import TOTPDeviceFactory, wait_for_fresh_step
from conftest import client_for
from guardiannest.client import Client


@pytest.fixture
def device(parent: User) -> TOTPDevice:
    """The parent persona's confirmed authenticator, with a few seconds left in the current step."""
    created: TOTPDevice = TOTPDeviceFactory(user=parent)
    wait_for_fresh_step(created)
    return created


@pytest.fixture
def mfa_parent_api(parent: User, device: TOTPDevice) -> APIClient:
    return client_for(parent)


@pytest.fixture
def caller() -> Client:
    """Who calls, as the services receive it from a view: an address and a browser."""
    return Client(ip="127.0.0.1", user_agent="pytest")


@pytest.fixture
def parent(db: Any) -> User:
    """The parent persona with a verified email: only such an account may change how it signs in."""
    return ParentFactory(email="parent@example.com", verified=True)


@pytest.fixture
def other_parent(db: Any) -> User:
    return ParentFactory(email="other.parent@example.com", verified=True)

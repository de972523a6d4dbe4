from __future__ import annotations

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests import verified_personas
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


# Here the personas have a verified email: the tests change how they sign in.
parent = verified_personas.parent
other_parent = verified_personas.other_parent

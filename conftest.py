"""Personas shared by every app's tests: a parent, a sitter, staff, and a second family."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import User
from accounts.services.auth import tokens_for
from accounts.tests.factories import ParentFactory, SitterFactory, StaffFactory

T = TypeVar("T")

# Test files that each run for tens of seconds (servers, browsers, thousands of generated cases): collected
# first, so that `make test` (xdist, --dist loadfile --no-loadscope-reorder) starts them at once instead
# of leaving one worker alone with them at the end. Order only; the slowest first (`--durations`, CI log).
SLOW_FILES_FIRST = (
    "tests/test_schemathesis_live.py",
    "emergencies/tests/test_chaos.py",
    "tests/test_make_run.py",
    "guardiannest/tests/test_migrations_reversible.py",
    "tests/browser/test_emergency_live.py",
    "guardiannest/tests/test_settings.py",
    "tests/test_load_journey.py",
    "tests/test_redis_down.py",
    "guardiannest/realtime/tests/test_processes.py",
    "tests/browser/test_back_office.py",
    "payments/tests/services/test_ledger_property.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Move the slow files to the front; every other file, and each file's own tests, keep their order."""
    rank = {path: index for index, path in enumerate(SLOW_FILES_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.partition("::")[0], len(rank)))


@pytest.fixture(autouse=True)
def _clean_cache() -> None:
    """Each test starts with an empty cache (each xdist worker has its own Redis database)."""
    cache.clear()


@pytest.fixture
def api() -> APIClient:
    return APIClient()


def client_for(user: User) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens_for(user)['access']}")
    return client


@pytest.fixture
def parent(db: Any) -> User:
    return ParentFactory(email="parent@example.com")


@pytest.fixture
def other_parent(db: Any) -> User:
    """A second family, to prove isolation."""
    return ParentFactory(email="other.parent@example.com")


@pytest.fixture
def sitter(db: Any) -> User:
    return SitterFactory(email="sitter@example.com")


@pytest.fixture
def other_sitter(db: Any) -> User:
    return SitterFactory(email="other.sitter@example.com")


@pytest.fixture
def staff(db: Any) -> User:
    return StaffFactory(email="staff@example.com")


@pytest.fixture
def parent_api(parent: User) -> APIClient:
    return client_for(parent)


@pytest.fixture
def sitter_api(sitter: User) -> APIClient:
    return client_for(sitter)


@pytest.fixture
def staff_api(staff: User) -> APIClient:
    return client_for(staff)


def race(times: int, attempt: Callable[[], T], *, timeout: float = 30) -> list[T | BaseException]:
    """Run ``attempt`` in ``times`` threads released together; return each result or exception.

    Each thread closes its own database connection, so tests using this need
    ``django_db(transaction=True)``.
    """
    results: list[T | BaseException] = []
    barrier = threading.Barrier(times)

    def run() -> None:
        try:
            barrier.wait()
            results.append(attempt())
        except BaseException as exc:
            results.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    return results


@pytest.fixture
def staff_client(db: Any) -> Client:
    """A browser signed in to the admin as the demo staff member, password and TOTP code."""
    from django.core.management import call_command
    from django_otp.oath import totp

    from accounts.demo import DEMO_PASSWORD, STAFF_TOTP_KEY_HEX
    from accounts.models import TOTPDevice

    call_command("seed_demo")
    client = Client()
    device = TOTPDevice.objects.get(user__email="staff@guardiannest.demo")
    response = client.post(
        "/admin/login/?next=/admin/",
        {
            "username": "staff@guardiannest.demo",
            "password": DEMO_PASSWORD,
            "otp_device": device.persistent_id,
            "otp_token": f"{totp(bytes.fromhex(STAFF_TOTP_KEY_HEX)):06d}",
        },
    )
    assert response.status_code == 302
    return client

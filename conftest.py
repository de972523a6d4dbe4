"""Personas shared by every app's tests: a parent, a sitter, staff, and a second family."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts.models import User
from accounts.services import tokens_for
from accounts.tests.factories import ParentFactory, SitterFactory, StaffFactory


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

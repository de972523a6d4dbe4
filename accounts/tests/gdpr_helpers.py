"""Shared steps of the GDPR tests: a temporary media root, signing in for real, playing the Celery worker."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.factories import PASSWORD

EXPORT = "/api/v1/security/export"
DELETE_ACCOUNT = "/api/v1/security/delete-account"
BUILD_TASK = "accounts.data_export_build"


@pytest.fixture
def private_media(settings: Any, tmp_path: Path) -> Path:
    """Export files go to a temporary media root, never to var/media."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


def sign_in(user: User, *, email: str | None = None, agent: str = "phone") -> tuple[APIClient, dict[str, str]]:
    """A client signed in through the login endpoint (so there is a real session and refresh token)."""
    client = APIClient(HTTP_USER_AGENT=agent)
    response = client.post("/api/v1/auth/login", {"email": email or user.email, "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    tokens = response.json()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    return client, tokens


def queued(callbacks: list[Callable[[], Any]], task_name: str) -> list[tuple[Any, ...]]:
    """The arguments of each ``<task>.delay`` registered to run on commit, for one task."""
    found = []
    for callback in callbacks:
        task = getattr(getattr(callback, "func", None), "__self__", None)
        if isinstance(callback, partial) and getattr(task, "name", None) == task_name:
            found.append(callback.args)
    return found

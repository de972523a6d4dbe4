"""What the accounts tests share: queued tasks, links in emails, devices signed in for real."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.factories import PASSWORD

_LINK = re.compile(r"(?P<link>https?://\S+?#token=(?P<token>[A-Za-z0-9._-]+))")


def queued(callbacks: list[Callable[[], Any]], task_name: str) -> list[tuple[Any, ...]]:
    """The arguments of each ``<task>.delay`` registered to run on commit, for one task."""
    found = []
    for callback in callbacks:
        task = getattr(getattr(callback, "func", None), "__self__", None)
        if isinstance(callback, partial) and getattr(task, "name", None) == task_name:
            found.append(callback.args)
    return found


def run_queued(callbacks: list[Callable[[], Any]]) -> None:
    """Play the worker: run every task queued on commit, in process, as Celery would."""
    for callback in callbacks:
        task = getattr(getattr(callback, "func", None), "__self__", None)
        if isinstance(callback, partial) and hasattr(task, "apply"):
            task.apply(args=callback.args).get()  # type: ignore[union-attr]


def link_in(message: EmailMultiAlternatives, path: str) -> tuple[str, str]:
    """(link, token) of the one link to ``FRONTEND_URL/path`` that both bodies carry."""
    html = message.alternatives[0][0]
    text_links = [m for m in _LINK.finditer(message.body) if m["link"].startswith(f"{settings.FRONTEND_URL}/{path}#")]
    assert len({m["link"] for m in text_links}) == 1, message.body
    link, token = text_links[0]["link"], text_links[0]["token"]
    assert link in str(html)
    return link, token


def sign_in(user: User, agent: str = "phone", password: str = PASSWORD) -> tuple[APIClient, dict[str, str]]:
    """A device: a client carrying the access token of a fresh password sign-in, and its tokens."""
    client = APIClient(HTTP_USER_AGENT=agent)
    response = client.post("/api/v1/auth/login", {"email": user.email, "password": password}, format="json")
    assert response.status_code == 200, response.content
    tokens = response.json()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    return client, tokens


def refresh_works(refresh: str) -> bool:
    return APIClient().post("/api/v1/auth/token/refresh", {"refresh": refresh}, format="json").status_code == 200

"""Small readers for payments tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from payments.tasks import payment_event_deliver_task


def notices_sent(callbacks: list[Callable[[], Any]]) -> list[tuple[str, str]]:
    """The (payment id, event) notices among the on-commit callbacks a test captured."""
    return [
        callback.args  # type: ignore[attr-defined]
        for callback in callbacks
        if getattr(callback, "func", None) == payment_event_deliver_task.delay
    ]

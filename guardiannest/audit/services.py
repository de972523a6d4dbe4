"""PLACEHOLDER until the audit module lands: same signature."""

from __future__ import annotations

from typing import Any


def audit_record(*, action: str, actor: Any = None, target: Any = None, data: dict[str, Any] | None = None, **kwargs: Any) -> None:
    return None

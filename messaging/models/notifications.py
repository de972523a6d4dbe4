"""Tables of the notifications subdomain."""

from __future__ import annotations

__all__: list[str] = []

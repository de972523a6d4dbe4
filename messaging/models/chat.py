"""Tables of the chat subdomain."""

from __future__ import annotations

__all__: list[str] = []

"""Tables of the firebase subdomain."""

from __future__ import annotations

__all__: list[str] = []

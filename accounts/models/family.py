"""Tables of the family subdomain."""

from __future__ import annotations

__all__: list[str] = []

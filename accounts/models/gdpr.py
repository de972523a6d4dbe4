"""Tables of the gdpr subdomain."""

from __future__ import annotations

__all__: list[str] = []

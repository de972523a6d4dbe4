"""Tables of the mfa subdomain."""

from __future__ import annotations

__all__: list[str] = []

"""Channel group names of the platform itself; each app builds its own the same way."""

from __future__ import annotations

from uuid import UUID

STAFF_EMERGENCIES = "staff.emergencies"


def user_group(user_id: UUID | str) -> str:
    """Every socket of one user, so each of their devices gets every event."""
    return f"user.{user_id}"


def session_group(session_id: UUID | str) -> str:
    """The sockets opened under one signed-in session: they close when it ends."""
    return f"session.{session_id}"

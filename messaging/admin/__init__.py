"""Messaging in the back office: read-only pages for chat (:mod:`.chat`), notifications (:mod:`.notifications`)
and the ways a user is reached (:mod:`.devices`).

Importing the package registers both with the admin site (Django imports ``messaging.admin``).
"""

from messaging.admin import chat, devices, notifications

__all__ = ["chat", "devices", "notifications"]

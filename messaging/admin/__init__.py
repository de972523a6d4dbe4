"""Messaging in the back office: read-only pages for chat (:mod:`.chat`) and notifications (:mod:`.notifications`).

Importing the package registers both with the admin site (Django imports ``messaging.admin``).
"""

from messaging.admin import chat, notifications

__all__ = ["chat", "notifications"]

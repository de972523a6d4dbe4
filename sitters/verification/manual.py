"""The staff-driven provider: nothing to call, the check waits in the admin queue for a person."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sitters.models import VerificationCheck


class ManualProvider:
    """Staff look at the ID document (and run the background check by hand) and decide in the admin or the API."""

    name = "manual"

    def start(self, check: VerificationCheck) -> None:
        # Deliberately nothing: the pending check is the queue entry (VerificationCheck admin, oldest first).
        return None

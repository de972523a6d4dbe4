"""The interface every verification provider speaks.

Contract for an automated provider (Checkr, Stripe Identity …):

1. ``start(check)`` runs after the transaction that opened the check has
   committed (the row exists for whoever reads it). It must be quick and
   must not raise for a provider outage: enqueue a Celery task that creates
   the provider-side session/report and stores its id with
   :func:`sitters.services.verification.verification_check_reference_set`.
   Only the provider's own module imports its SDK.
2. When the provider decides (a verified webhook, a poll), call
   :func:`sitters.services.verification.verification_provider_report` with
   the provider's ``name``, that reference and ``verified``/``rejected`` (and
   a reason the sitter may read). It is idempotent: a repeated or late event
   for a decided check changes nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from sitters.models import VerificationCheck


@runtime_checkable
class VerificationProvider(Protocol):
    """Runs one kind of check. ``name`` is stored on each check (``VerificationCheck.provider``)."""

    name: str

    def start(self, check: VerificationCheck) -> None:
        """Kick off ``check`` (already committed, ``pending``). Never decides synchronously."""
        ...

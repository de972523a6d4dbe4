"""The interface every verification provider speaks.

Contract for an automated provider (Checkr, Stripe Identity …):

1. ``start(check)`` runs in a Celery worker (task
   ``sitters.verification_check_start``), after the transaction that opened
   the check has committed, never in the sitter's request. It may call the
   provider's API: it creates the provider-side session/report and stores its
   id with :func:`sitters.services.verification.verification_check_reference_set`.
   A check with a stored reference is not started again, but a worker can die
   after the provider accepted the request and before the reference is
   stored, and the redelivered task (or the redrive beat job) starts again:
   so ``start`` must send ``str(check.pk)`` as the provider's idempotency key
   (Stripe's ``Idempotency-Key``, a Checkr report's own id lookup), and a
   second start must find the first session rather than open (and bill) a
   second. For an
   outage it raises :class:`ProviderUnavailable`, which the task retries
   with back-off; anything else fails the task and leaves the check pending
   for staff. Only the provider's own module imports its SDK.
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


class ProviderUnavailable(Exception):
    """The provider cannot be reached just now: the start task tries again later."""


@runtime_checkable
class VerificationProvider(Protocol):
    """Runs one kind of check. ``name`` is stored on each check (``VerificationCheck.provider``)."""

    name: str

    def start(self, check: VerificationCheck) -> None:
        """Kick off ``check`` (committed, ``pending``, no reference yet) in a worker. Never decides here."""
        ...

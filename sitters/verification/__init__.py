"""Who runs a sitter's identity and background checks: a small provider interface and its registry.

A check is opened by :func:`sitters.services.verification.verification_submit`,
which has a Celery task ask the provider configured for the check's kind to
``start`` it after commit. The staff-driven :class:`ManualProvider` is the
default for both kinds; an automated provider (Stripe Identity for identity, Checkr for
background, later) plugs in here and reports its decision through
:func:`sitters.services.verification.verification_provider_report`, the same
transition staff use, so the rules, the audit trail and the notification are
the same whoever decides.
"""

from sitters.verification.base import ProviderUnavailable, VerificationProvider
from sitters.verification.manual import ManualProvider
from sitters.verification.registry import provider_for, provider_named, verification_providers

__all__ = [
    "ManualProvider",
    "ProviderUnavailable",
    "VerificationProvider",
    "provider_for",
    "provider_named",
    "verification_providers",
]

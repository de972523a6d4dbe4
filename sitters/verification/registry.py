"""Providers by name, and which one runs each kind of check (settings, defaulting to the manual provider).

Settings (names, not import paths, so a typo fails loudly at the first check
instead of importing arbitrary code): ``SITTER_IDENTITY_PROVIDER`` and
``SITTER_BACKGROUND_PROVIDER``, both ``"manual"`` unless set. An automated
provider registers itself here from its app's ``ready()``::

    verification_providers.register("stripe_identity", StripeIdentityProvider())
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from guardiannest.registries import Registry
from sitters.models import CheckKind
from sitters.verification.base import VerificationProvider
from sitters.verification.manual import ManualProvider

verification_providers: Registry[VerificationProvider] = Registry("verification_providers")
verification_providers.register(ManualProvider.name, ManualProvider())

SETTING_FOR_KIND: dict[str, str] = {
    CheckKind.IDENTITY: "SITTER_IDENTITY_PROVIDER",
    CheckKind.BACKGROUND: "SITTER_BACKGROUND_PROVIDER",
}


def provider_named(name: str) -> VerificationProvider:
    """The registered provider called ``name``; ImproperlyConfigured for a name nobody registered."""
    provider = verification_providers.get(name)
    if provider is None:
        raise ImproperlyConfigured(f"No verification provider is registered as {name!r}.")
    return provider


def provider_for(kind: str) -> VerificationProvider:
    """The provider that runs checks of ``kind`` (``identity`` or ``background``)."""
    setting = SETTING_FOR_KIND[kind]
    return provider_named(str(getattr(settings, setting, ManualProvider.name) or ManualProvider.name))

"""Tables of the passkeys subdomain: WebAuthn credentials a user signs in with."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

__all__: list[str] = ["Passkey"]


class Passkey(models.Model):
    """One WebAuthn credential (a passkey) registered by a user.

    Only public material is stored: the credential id the authenticator chose,
    its COSE public key and the signature counter, so a copy of this table
    cannot sign anyone in. ``credential_id`` (base64url) is unique across all
    users: it is how a sign-in finds its owner. ``user_handle`` is the opaque
    WebAuthn ``user.id`` the authenticator stores with a discoverable
    credential; one user keeps one handle across their passkeys so a device
    replaces rather than duplicates its entry. Revoking deletes the row.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="passkeys")
    name = models.CharField(max_length=64, help_text="The label the user gave it, e.g. 'Work laptop'.")
    # A credential id is at most 1023 bytes, 1364 characters in base64url.
    credential_id = models.CharField(max_length=1400, unique=True, editable=False)
    public_key = models.BinaryField(editable=False, help_text="COSE-encoded credential public key.")
    sign_count = models.PositiveBigIntegerField(default=0, editable=False)
    user_handle = models.CharField(max_length=128, editable=False, help_text="base64url WebAuthn user.id")
    transports = models.JSONField(default=list, blank=True, editable=False)
    aaguid = models.CharField(max_length=36, blank=True, editable=False, help_text="Authenticator model.")
    backed_up = models.BooleanField(default=False, editable=False, help_text="Synced to a cloud keychain.")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "created_at"], name="accounts_passkey_user_created")]
        constraints = [
            models.CheckConstraint(condition=~models.Q(credential_id=""), name="accounts_passkey_credential_id_set"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.user_id})"

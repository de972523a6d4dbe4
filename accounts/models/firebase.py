"""Tables of the firebase subdomain: which Firebase account signs in which local user."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

__all__ = ["FirebaseIdentity"]


class FirebaseIdentity(models.Model):
    """A Firebase Authentication account (its uid) linked to one local user.

    Sign-in finds the user through this link and never through the token's
    email: an email claim proves at most that someone controls a mailbox now,
    while the uid is the Firebase account itself. One uid links to one user;
    a user may link several (Google on one phone, Apple on another).

    ``trusted`` says the link is known to belong to the account's owner: the
    account was created from a token whose email Firebase had verified, or the
    signed-in owner linked it. An untrusted link (the account was created from
    a token with an unverified email) stops working once the email's owner
    proves themselves another way (sets a password by reset), which defeats
    pre-registering someone else's address through an unverifying provider.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="firebase_identities")
    uid = models.CharField(max_length=128, unique=True, help_text="The Firebase user id (the token's sub).")
    provider = models.CharField(
        max_length=64, blank=True, help_text="firebase.sign_in_provider when linked: google.com, apple.com, password …"
    )
    trusted = models.BooleanField(
        default=False, help_text="Linked from a verified email or by the signed-in owner; see the model's docstring."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "Firebase identity"
        verbose_name_plural = "Firebase identities"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.provider or 'firebase'} → {self.user_id}"

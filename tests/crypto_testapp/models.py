"""Test-only models for guardiannest.crypto (installed by settings_test only)."""

import uuid

from django.db import models

from guardiannest.crypto.blind_index import BlindIndexField
from guardiannest.crypto.fields import EncryptedCharField, EncryptedJSONField, EncryptedTextField


class Secret(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    note = EncryptedTextField(null=True, blank=True)
    data = EncryptedJSONField(null=True, blank=True)
    code = EncryptedCharField(max_length=8, null=True, blank=True)
    note_index = BlindIndexField(source="note", purpose="crypto_testapp.secret.note", null=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return str(self.id)

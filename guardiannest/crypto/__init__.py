"""Field-level encryption: AES-256-GCM model fields bound to their row, and blind indexes.

- :mod:`guardiannest.crypto.fields`: ``EncryptedTextField``, ``EncryptedCharField``, ``EncryptedJSONField``,
  ``EncryptedFloatField``, ``EncryptedDecimalField``.
- :mod:`guardiannest.crypto.blind_index`: ``blind_index()`` and ``BlindIndexField`` for equality look-ups.
- :mod:`guardiannest.crypto.aead`: the token format, ``encrypt``/``decrypt``, ``DecryptionError``.
- :mod:`guardiannest.crypto.keys`: the key ring parsed from ``FIELD_ENCRYPTION_KEYS``.
- ``manage.py rotate_field_keys`` re-encrypts rows sealed with an older key.
"""

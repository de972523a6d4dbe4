from django.apps import AppConfig


class CryptoConfig(AppConfig):
    """Installed so ``rotate_field_keys`` is found and the key ring is checked at start-up."""

    name = "guardiannest.crypto"
    label = "crypto"
    verbose_name = "Field encryption"

    def ready(self) -> None:
        from django.core import checks

        from guardiannest.crypto.keys import check_keys

        checks.register(check_keys, checks.Tags.security)

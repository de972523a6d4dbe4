from django.apps import AppConfig


class CryptoTestAppConfig(AppConfig):
    """Models that exist only in the test database, to exercise guardiannest.crypto."""

    name = "tests.crypto_testapp"
    label = "crypto_testapp"
    default_auto_field = "django.db.models.BigAutoField"

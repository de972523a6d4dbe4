from __future__ import annotations

import uuid
from decimal import Decimal

from django.db import models
from django.db.models.functions import Now
from django.test.utils import isolate_apps

from guardiannest.crypto.blind_index import BlindIndexField
from guardiannest.crypto.fields import (
    EncryptedDecimalField,
    EncryptedFloatField,
    EncryptedJSONField,
    EncryptedTextField,
)


def ids(model: type[models.Model]) -> list[str]:
    return [message.id for message in model.check() if message.id and message.id.startswith("crypto.")]


@isolate_apps("tests.crypto_testapp")
def test_integer_primary_key_is_an_error() -> None:
    class IntegerPk(models.Model):  # noqa: DJ008
        note = EncryptedTextField()

        class Meta:
            app_label = "crypto_testapp"

    errors = IntegerPk._meta.get_field("note").check()

    assert [e.id for e in errors] == ["crypto.E001"]
    assert "UUIDField" in errors[0].msg


@isolate_apps("tests.crypto_testapp")
def test_uuid_primary_key_without_default_is_an_error() -> None:
    class NoDefault(models.Model):  # noqa: DJ008
        id = models.UUIDField(primary_key=True)
        note = EncryptedTextField()

        class Meta:
            app_label = "crypto_testapp"

    assert ids(NoDefault) == ["crypto.E001"]


@isolate_apps("tests.crypto_testapp")
def test_uuid_primary_key_with_default_passes() -> None:
    class Good(models.Model):  # noqa: DJ008
        id = models.UUIDField(primary_key=True, default=uuid.uuid4)
        note = EncryptedTextField()
        data = EncryptedJSONField(null=True)
        note_index = BlindIndexField(source="note", purpose="good.note")

        class Meta:
            app_label = "crypto_testapp"

    assert Good.check() == []


@isolate_apps("tests.crypto_testapp")
def test_unique_and_db_default_are_errors() -> None:
    class Bad(models.Model):  # noqa: DJ008
        id = models.UUIDField(primary_key=True, default=uuid.uuid4)
        unique_note = EncryptedTextField(unique=True)
        defaulted = EncryptedTextField(db_default=Now())

        class Meta:
            app_label = "crypto_testapp"

    assert [e.id for e in Bad._meta.get_field("unique_note").check()] == ["crypto.E002"]
    assert [e.id for e in Bad._meta.get_field("defaulted").check()] == ["crypto.E003"]


@isolate_apps("tests.crypto_testapp")
def test_blind_index_source_and_purpose_are_checked() -> None:
    class Indexed(models.Model):  # noqa: DJ008
        id = models.UUIDField(primary_key=True, default=uuid.uuid4)
        email_index = BlindIndexField(source="email", purpose="")

        class Meta:
            app_label = "crypto_testapp"

    assert ids(Indexed) == ["crypto.E004", "crypto.E005"]


def test_blind_index_field_deconstructs_only_what_differs() -> None:
    default = BlindIndexField(source="email", purpose="accounts.user.email")
    custom = BlindIndexField(source="email", purpose="p", unique=True, db_index=False, editable=True, max_length=80)

    assert default.deconstruct()[3] == {"source": "email", "purpose": "accounts.user.email"}
    _, _, args, kwargs = custom.deconstruct()
    rebuilt = BlindIndexField(*args, **kwargs)
    assert (rebuilt.unique, rebuilt.db_index, rebuilt.editable, rebuilt.max_length) == (True, False, True, 80)


@isolate_apps("tests.crypto_testapp")
def test_a_primary_key_known_before_the_insert_passes() -> None:
    """A random integer default (django-otp reads device ids with int()) or a one-to-one key to such a row."""

    def random_id() -> int:
        return 42

    class Owner(models.Model):  # noqa: DJ008
        id = models.UUIDField(primary_key=True, default=uuid.uuid4)

        class Meta:
            app_label = "crypto_testapp"

    class RandomInteger(models.Model):  # noqa: DJ008
        id = models.BigIntegerField(primary_key=True, default=random_id)
        note = EncryptedFloatField(null=True)

        class Meta:
            app_label = "crypto_testapp"

    class OneToOne(models.Model):  # noqa: DJ008
        owner = models.OneToOneField(Owner, on_delete=models.CASCADE, primary_key=True)
        note = EncryptedDecimalField(decimal_places=6, null=True)

        class Meta:
            app_label = "crypto_testapp"

    class OneToOneAuto(models.Model):  # noqa: DJ008
        owner = models.OneToOneField("IntegerOwner", on_delete=models.CASCADE, primary_key=True)
        note = EncryptedTextField()

        class Meta:
            app_label = "crypto_testapp"

    class IntegerOwner(models.Model):  # noqa: DJ008
        class Meta:
            app_label = "crypto_testapp"

    assert ids(RandomInteger) == []
    assert ids(OneToOne) == []
    assert ids(OneToOneAuto) == ["crypto.E001"]  # the database numbers the related row


def test_the_number_fields_encode_what_they_decode() -> None:
    decimal = EncryptedDecimalField(decimal_places=6)
    floating = EncryptedFloatField()

    assert decimal.encode_value("52.5200081") == "52.520008"
    assert decimal.decode_value("52.520008") == Decimal("52.520008")
    assert floating.decode_value(floating.encode_value(13.404954)) == 13.404954
    assert EncryptedDecimalField(decimal_places=6).deconstruct()[3] == {"decimal_places": 6}

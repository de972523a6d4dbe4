from __future__ import annotations

import json
import pickle
import uuid
from decimal import Decimal
from typing import Any

import pytest
from django import forms
from django.core.exceptions import FieldError, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction

from guardiannest.crypto.aead import Ciphertext, DecryptionError, token_kid
from guardiannest.crypto.blind_index import blind_index
from guardiannest.crypto.fields import (
    EncryptedAttribute,
    EncryptedField,
    EncryptedJSONField,
    PlaintextWriteError,
    encrypted_fields,
)
from guardiannest.crypto.tests.conftest import T1_ENTRY, T2_ENTRY, raw_row, raw_write
from tests.crypto_testapp.models import Secret

pytestmark = pytest.mark.django_db

NOTE = "Mia is allergic to peanuts; EpiPen in the blue bag"
DATA = {"doctor": "Dr. Okafor", "phone": "+44 20 7946 0958", "conditions": ["asthma"]}


def note_field() -> EncryptedField:
    field = Secret._meta.get_field("note")
    assert isinstance(field, EncryptedField)
    return field


def test_raw_columns_hold_no_plaintext() -> None:
    secret = Secret.objects.create(note=NOTE, data=DATA, code="4711")

    note, data, code = raw_row(secret.pk, "note", "data", "code")

    for stored in (note, data, code):
        assert stored.startswith("gn1:t1:")
    for plaintext in ("peanut", "Mia", "Okafor", "7946", "asthma", "4711"):
        assert plaintext not in f"{note}{data}{code}"


def test_round_trip_through_the_database() -> None:
    secret = Secret.objects.create(note=NOTE, data=DATA, code="4711")

    loaded = Secret.objects.get(pk=secret.pk)

    assert loaded.note == NOTE
    assert loaded.data == DATA
    assert loaded.code == "4711"


def test_unicode_and_json_scalars_round_trip() -> None:
    secret = Secret.objects.create(note="Zoë — 日本語 🍼", data=[1, 2.5, None, True, "x"])

    loaded = Secret.objects.get(pk=secret.pk)

    assert loaded.note == "Zoë — 日本語 🍼"
    assert loaded.data == [1, 2.5, None, True, "x"]


def test_none_is_sql_null_and_empty_string_is_stored_as_is() -> None:
    secret = Secret.objects.create(note="", data=None, code=None)

    assert raw_row(secret.pk, "note", "data", "code") == ("", None, None)
    loaded = Secret.objects.get(pk=secret.pk)
    assert (loaded.note, loaded.data, loaded.code) == ("", None, None)


def test_values_return_tokens_not_plaintext() -> None:
    secret = Secret.objects.create(note=NOTE)

    (value,) = Secret.objects.filter(pk=secret.pk).values_list("note", flat=True)

    assert isinstance(value, Ciphertext)
    assert value == raw_row(secret.pk, "note")[0]


def test_decryption_is_lazy_and_cached() -> None:
    secret = Secret.objects.create(note=NOTE)
    raw_write(secret.pk, "note", "gn1:t1:" + "A" * 40)  # undecryptable

    loaded = Secret.objects.get(pk=secret.pk)  # loading does not decrypt

    with pytest.raises(DecryptionError):
        _ = loaded.note
    loaded.note = "replaced"
    assert loaded.note == "replaced"


def test_tampering_one_character_of_the_stored_token_fails_loudly() -> None:
    secret = Secret.objects.create(note=NOTE)
    (token,) = raw_row(secret.pk, "note")
    position = len(token) // 2
    tampered = token[:position] + ("B" if token[position] != "B" else "C") + token[position + 1 :]
    raw_write(secret.pk, "note", tampered)

    loaded = Secret.objects.get(pk=secret.pk)

    with pytest.raises(DecryptionError, match="authentication failed"):
        _ = loaded.note


def test_a_token_copied_to_another_row_fails_to_decrypt() -> None:
    victim = Secret.objects.create(note=NOTE)
    attacker = Secret.objects.create(note="my own note")
    raw_write(attacker.pk, "note", raw_row(victim.pk, "note")[0])

    loaded = Secret.objects.get(pk=attacker.pk)

    with pytest.raises(DecryptionError, match="another row"):
        _ = loaded.note


def test_a_token_copied_to_another_column_fails_to_decrypt() -> None:
    secret = Secret.objects.create(note=NOTE, code="4711")
    raw_write(secret.pk, "note", raw_row(secret.pk, "code")[0])

    with pytest.raises(DecryptionError):
        _ = Secret.objects.get(pk=secret.pk).note


def test_queryset_update_with_plaintext_is_refused() -> None:
    secret = Secret.objects.create(note=NOTE)
    before = raw_row(secret.pk, "note")

    # update() marks the transaction for rollback: a savepoint keeps the test's open.
    with pytest.raises(PlaintextWriteError, match="refusing to write"), transaction.atomic():
        Secret.objects.filter(pk=secret.pk).update(note="plain")
    with pytest.raises(PlaintextWriteError), transaction.atomic():
        Secret.objects.filter(pk=secret.pk).update(data={"a": 1})

    assert raw_row(secret.pk, "note") == before


def test_a_str_merely_marked_as_ciphertext_is_refused() -> None:
    secret = Secret.objects.create(note=NOTE)

    with pytest.raises(PlaintextWriteError, match="not one"), transaction.atomic():
        Secret.objects.filter(pk=secret.pk).update(note=Ciphertext("plain"))


def test_bulk_update_is_refused() -> None:
    secret = Secret.objects.create(note=NOTE)
    secret.note = "changed"

    with pytest.raises(PlaintextWriteError), transaction.atomic():
        Secret.objects.bulk_update([secret], ["note"])

    assert Secret.objects.get(pk=secret.pk).note == NOTE


def test_update_accepts_none_and_tokens_the_field_made() -> None:
    a, b = Secret.objects.create(note=NOTE), Secret.objects.create(note=NOTE)

    Secret.objects.filter(pk=a.pk).update(note=None)
    Secret.objects.filter(pk=b.pk).update(note=note_field().encrypt("new", pk=b.pk))

    assert raw_row(a.pk, "note") == (None,)
    assert Secret.objects.get(pk=b.pk).note == "new"


def test_bulk_create_encrypts_each_row_for_its_own_pk() -> None:
    rows = Secret.objects.bulk_create([Secret(note=f"note {i}") for i in range(3)])

    for i, row in enumerate(rows):
        assert raw_row(row.pk, "note")[0].startswith("gn1:t1:")
        assert Secret.objects.get(pk=row.pk).note == f"note {i}"


def test_lookups_other_than_isnull_are_refused() -> None:
    with pytest.raises(FieldError, match="is encrypted"):
        Secret.objects.filter(note=NOTE).exists()
    with pytest.raises(FieldError, match="'icontains'"):
        Secret.objects.filter(note__icontains="peanut").exists()
    with pytest.raises(FieldError, match="'in'"):
        Secret.objects.filter(data__in=[1]).exists()
    with pytest.raises(FieldError):
        Secret.objects.filter(data__doctor="x").exists()
    with pytest.raises(FieldError):
        Secret.objects.filter(note__lower__exact="x").exists()


def test_isnull_and_equals_none_work() -> None:
    with_note, without = Secret.objects.create(note=NOTE), Secret.objects.create(note=None)

    assert list(Secret.objects.filter(note__isnull=False)) == [with_note]
    assert list(Secret.objects.filter(note=None)) == [without]


def test_deferred_field_loads_and_decrypts_on_access() -> None:
    secret = Secret.objects.create(note=NOTE)

    loaded = Secret.objects.defer("note").get(pk=secret.pk)

    assert "note" in loaded.get_deferred_fields()
    assert loaded.note == NOTE


def test_saving_a_deferred_field_by_name_keeps_its_value() -> None:
    secret = Secret.objects.create(note=NOTE)

    loaded = Secret.objects.defer("note").get(pk=secret.pk)
    loaded.save(update_fields=["note"])

    assert Secret.objects.get(pk=secret.pk).note == NOTE


def test_the_class_attribute_is_the_descriptor() -> None:
    assert isinstance(Secret.__dict__["note"], EncryptedAttribute)
    assert Secret.note is Secret.__dict__["note"]


def test_refresh_from_db_decrypts_the_new_value() -> None:
    secret = Secret.objects.create(note=NOTE)
    other = Secret.objects.get(pk=secret.pk)
    other.note = "updated elsewhere"
    other.save()

    secret.refresh_from_db()

    assert secret.note == "updated elsewhere"


def test_saving_an_unread_value_keeps_its_token() -> None:
    secret = Secret.objects.create(note=NOTE)
    before = raw_row(secret.pk, "note")

    loaded = Secret.objects.get(pk=secret.pk)
    loaded.code = "1"
    loaded.save()

    assert raw_row(secret.pk, "note") == before


def test_saving_a_read_value_encrypts_again_with_a_fresh_nonce() -> None:
    secret = Secret.objects.create(note=NOTE)
    before = raw_row(secret.pk, "note")

    loaded = Secret.objects.get(pk=secret.pk)
    assert loaded.note == NOTE
    loaded.save()

    assert raw_row(secret.pk, "note") != before
    assert Secret.objects.get(pk=secret.pk).note == NOTE


def test_saving_an_unread_value_after_a_key_change_uses_the_new_key(settings: Any) -> None:
    secret = Secret.objects.create(note=NOTE)
    settings.FIELD_ENCRYPTION_KEYS = f"{T2_ENTRY},{T1_ENTRY}"

    loaded = Secret.objects.get(pk=secret.pk)
    loaded.save()

    assert token_kid(raw_row(secret.pk, "note")[0]) == "t2"
    settings.FIELD_ENCRYPTION_KEYS = T2_ENTRY
    assert Secret.objects.get(pk=secret.pk).note == NOTE


def test_copying_a_row_under_a_new_pk_re_encrypts_for_the_new_row() -> None:
    original = Secret.objects.create(note=NOTE, data=DATA)

    copy = Secret.objects.get(pk=original.pk)
    copy.pk = uuid.uuid4()
    copy._state.adding = True
    copy.save()

    loaded = Secret.objects.get(pk=copy.pk)
    assert (loaded.note, loaded.data) == (NOTE, DATA)
    assert Secret.objects.get(pk=original.pk).note == NOTE


def test_pickled_unread_instance_keeps_ciphertext_and_decrypts_later() -> None:
    secret = Secret.objects.create(note=NOTE)

    dumped = pickle.dumps(Secret.objects.get(pk=secret.pk))

    assert NOTE.encode() not in dumped
    assert pickle.loads(dumped).note == NOTE


def test_encrypting_needs_a_primary_key() -> None:
    with pytest.raises(ValueError, match="before the row has a primary key"):
        note_field().encrypt("x", pk=None)


def test_field_decrypt_checks_the_row() -> None:
    pk, other = uuid.uuid4(), uuid.uuid4()
    token = note_field().encrypt("x", pk=pk)

    assert note_field().decrypt(token, pk=str(pk)) == "x"  # str and UUID pks bind alike
    with pytest.raises(DecryptionError):
        note_field().decrypt(token, pk=other)


def test_char_field_limits_the_plaintext_but_stores_text() -> None:
    secret = Secret(code="123456789")

    with pytest.raises(ValidationError) as excinfo:
        secret.full_clean()
    assert "code" in excinfo.value.message_dict

    secret.save()  # the column is text: the token is far longer than 8 characters
    assert len(raw_row(secret.pk, "code")[0]) > 8
    assert Secret._meta.get_field("code").db_type(connection) == "text"


def test_json_field_validates_serialisability() -> None:
    secret = Secret(data={"when": object()})

    with pytest.raises(ValidationError) as excinfo:
        secret.full_clean()

    assert "data" in excinfo.value.message_dict


def test_json_field_encoder_and_decoder_are_used_and_deconstructed() -> None:
    field = EncryptedJSONField(encoder=DjangoJSONEncoder, decoder=json.JSONDecoder)

    assert field.encode_value({"amount": Decimal("12.50")}) == '{"amount":"12.50"}'
    assert field.decode_value('{"a": 1}') == {"a": 1}
    _, path, _, kwargs = field.deconstruct()
    assert path == "guardiannest.crypto.fields.EncryptedJSONField"
    assert kwargs == {"encoder": DjangoJSONEncoder, "decoder": json.JSONDecoder}
    assert EncryptedJSONField().deconstruct()[3] == {}


def test_form_fields() -> None:
    assert isinstance(Secret._meta.get_field("data").formfield(), forms.JSONField)
    code = Secret._meta.get_field("code").formfield()
    assert isinstance(code, forms.CharField)
    assert isinstance(code.widget, forms.TextInput)
    assert code.max_length == 8
    assert isinstance(Secret._meta.get_field("note").formfield().widget, forms.Textarea)


def test_schema_default_for_new_columns_is_empty_string() -> None:
    # AddField on a NOT NULL encrypted column fills existing rows with this.
    assert note_field().get_db_prep_save("", connection) == ""


def test_encrypted_fields_lists_the_models_encrypted_columns() -> None:
    assert [f.name for f in encrypted_fields(Secret)] == ["note", "data", "code"]


def test_blind_index_field_is_filled_on_save_and_finds_the_row() -> None:
    secret = Secret.objects.create(note="  Peanut Allergy ")
    empty = Secret.objects.create(note=None)
    index_field = Secret._meta.get_field("note_index")

    assert raw_row(secret.pk, "note_index") == (blind_index("peanut allergy", purpose="crypto_testapp.secret.note"),)
    assert raw_row(empty.pk, "note_index") == (None,)
    assert list(Secret.objects.filter(note_index=index_field.digest("PEANUT ALLERGY"))) == [secret]

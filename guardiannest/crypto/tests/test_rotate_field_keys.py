from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from guardiannest.crypto.aead import token_kid
from guardiannest.crypto.tests.conftest import T1_ENTRY, T2_ENTRY, raw_row, raw_write
from tests.crypto_testapp.models import Secret

pytestmark = pytest.mark.django_db

COLUMNS = ("note", "data", "code")


def rotate(*args: str) -> str:
    out = StringIO()
    call_command("rotate_field_keys", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def stored_kids() -> set[str]:
    return {token_kid(t) for s in Secret.objects.all() for t in raw_row(s.pk, *COLUMNS) if t}


@pytest.fixture
def rows() -> list[Secret]:
    """Rows written under t1: full, partly NULL, and empty-string values."""
    return [Secret.objects.create(note=f"note {i}", data={"i": i}, code=str(i)) for i in range(5)] + [
        Secret.objects.create(note=None, data=None, code="x"),
        Secret.objects.create(note="", data=None),
    ]


def test_after_rotation_no_row_needs_the_old_key(settings: Any, rows: list[Secret]) -> None:
    settings.FIELD_ENCRYPTION_KEYS = f"{T2_ENTRY},{T1_ENTRY}"

    output = rotate("--batch-size", "2")

    assert stored_kids() == {"t2"}
    assert "crypto_testapp.Secret: 6 rows re-encrypted to key 't2' (note: 5, data: 5, code: 6)" in output
    settings.FIELD_ENCRYPTION_KEYS = T2_ENTRY  # the old key is gone
    for original in rows:
        loaded = Secret.objects.get(pk=original.pk)
        assert (loaded.note, loaded.data, loaded.code) == (original.note, original.data, original.code)


def test_a_second_run_changes_nothing(settings: Any, rows: list[Secret]) -> None:
    settings.FIELD_ENCRYPTION_KEYS = f"{T2_ENTRY},{T1_ENTRY}"
    rotate()
    before = {s.pk: raw_row(s.pk, *COLUMNS, "updated_at") for s in Secret.objects.all()}

    output = rotate()

    assert "crypto_testapp.Secret: 0 rows re-encrypted" in output
    assert {s.pk: raw_row(s.pk, *COLUMNS, "updated_at") for s in Secret.objects.all()} == before


def test_rotation_writes_with_update_not_save(settings: Any, rows: list[Secret]) -> None:
    before = raw_row(rows[0].pk, "updated_at", "note_index")
    settings.FIELD_ENCRYPTION_KEYS = f"{T2_ENTRY},{T1_ENTRY}"

    rotate()

    assert raw_row(rows[0].pk, "updated_at", "note_index") == before  # auto_now did not fire


def test_dry_run_counts_and_changes_nothing(settings: Any, rows: list[Secret]) -> None:
    before = {s.pk: raw_row(s.pk, *COLUMNS) for s in rows}
    settings.FIELD_ENCRYPTION_KEYS = f"{T2_ENTRY},{T1_ENTRY}"

    output = rotate("--dry-run")

    assert "crypto_testapp.Secret: 6 rows would be re-encrypted to key 't2' (note: 5, data: 5, code: 6)" in output
    assert {s.pk: raw_row(s.pk, *COLUMNS) for s in rows} == before
    assert stored_kids() == {"t1"}


def test_nothing_to_do_when_the_primary_key_did_not_change(rows: list[Secret]) -> None:
    before = {s.pk: raw_row(s.pk, *COLUMNS) for s in rows}

    output = rotate()

    assert "crypto_testapp.Secret: 0 rows re-encrypted to key 't1'" in output
    assert {s.pk: raw_row(s.pk, *COLUMNS) for s in rows} == before


def test_undecryptable_rows_are_reported_and_left_alone(settings: Any, rows: list[Secret]) -> None:
    bad = rows[0]
    (token,) = raw_row(bad.pk, "note")
    raw_write(bad.pk, "note", raw_row(rows[1].pk, "note")[0])  # a token from another row
    broken = raw_row(bad.pk, *COLUMNS)
    settings.FIELD_ENCRYPTION_KEYS = f"{T2_ENTRY},{T1_ENTRY}"
    err = StringIO()

    with pytest.raises(CommandError, match="1 rows could not be decrypted"):
        call_command("rotate_field_keys", stdout=StringIO(), stderr=err)

    assert str(bad.pk) in err.getvalue()
    assert token not in err.getvalue()
    assert raw_row(bad.pk, *COLUMNS) == broken
    assert all(token_kid(t) == "t2" for s in rows[1:] for t in raw_row(s.pk, *COLUMNS) if t)


def test_batch_size_must_be_positive() -> None:
    with pytest.raises(CommandError, match="batch-size"):
        rotate("--batch-size", "0")

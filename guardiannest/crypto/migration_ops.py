"""Migration operations that turn a column's existing plaintext into tokens in place, and back.

Use after an ``AlterField`` from a plain column to an encrypted field of the
same name (the schema change casts each value to text first, e.g. ``52.520000``
from ``numeric``)::

    operations = [
        migrations.AlterField("parentprofile", "latitude", EncryptedDecimalField(...)),
        seal_columns("accounts", "ParentProfile", "latitude", "longitude"),
    ]

Forward, every non-empty value that is not a token yet is encrypted for its
row (so running it on a half-done table finishes the job); backward, every
token is decrypted to the text the reversed ``AlterField`` casts back. Rows are
read and written with SQL, so ``save()`` side effects (``auto_now``, signals)
do not fire and the encrypted field's refusal of plaintext writes is not in
the way.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

from guardiannest.crypto.aead import VERSION
from guardiannest.crypto.fields import EncryptedField

_TOKEN_PREFIX = f"{VERSION}:"


def _rewrite(
    apps: Any, schema_editor: BaseDatabaseSchemaEditor, label: tuple[str, str], names: tuple[str, ...], *, seal: bool
) -> None:
    model = apps.get_model(*label)
    fields: list[EncryptedField] = [model._meta.get_field(name) for name in names]
    connection = schema_editor.connection
    quote = connection.ops.quote_name
    pk_field = model._meta.pk
    assert pk_field is not None  # a concrete model's primary key
    assert pk_field.column is not None
    table, pk_column = quote(model._meta.db_table), quote(pk_field.column)
    columns = [quote(f.attname if f.column is None else f.column) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {pk_column}, {', '.join(columns)} FROM {table}")  # noqa: S608 - quoted names only
        rows = cursor.fetchall()
        for pk, *values in rows:
            changed = [_convert(f, value, pk, seal=seal) for f, value in zip(fields, values, strict=True)]
            if changed == list(values):
                continue
            assignments = ", ".join(f"{column} = %s" for column in columns)
            cursor.execute(f"UPDATE {table} SET {assignments} WHERE {pk_column} = %s", [*changed, pk])  # noqa: S608


def _convert(field: EncryptedField, value: Any, pk: Any, *, seal: bool) -> Any:
    if value is None or value == "":
        return value
    text = str(value)
    is_token = text.startswith(_TOKEN_PREFIX)
    if seal:
        return text if is_token else str(field.encrypt(text, pk=pk))
    return str(field.decrypt(text, pk=pk)) if is_token else text


def seal_columns(app_label: str, model_name: str, *field_names: str) -> migrations.RunPython:
    """A reversible ``RunPython`` that encrypts ``field_names`` of every row of ``app_label.model_name``."""
    label = (app_label, model_name)

    def forward(apps: Any, schema_editor: BaseDatabaseSchemaEditor) -> None:
        _rewrite(apps, schema_editor, label, field_names, seal=True)

    def backward(apps: Any, schema_editor: BaseDatabaseSchemaEditor) -> None:
        _rewrite(apps, schema_editor, label, field_names, seal=False)

    return migrations.RunPython(forward, backward, elidable=False)

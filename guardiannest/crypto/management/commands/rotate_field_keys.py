"""Re-encrypt every encrypted column sealed with a key other than the primary one.

Roll out a new key by deploying ``FIELD_ENCRYPTION_KEYS=new:...,old:...`` to
every process first (so all new writes use ``new``), then run this command,
then drop ``old`` from the ring. Running it again changes nothing.

Rows are found by the kid in their token, claimed in batches under
``select_for_update`` and rewritten with ``QuerySet.update()`` so ``save()``
side effects (``auto_now``, signals) do not fire. A row whose token cannot be
decrypted is reported and left alone; the command then exits non-zero.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import models, transaction
from django.db.models import Q
from django.db.models.functions import Cast

from guardiannest.crypto.aead import VERSION, DecryptionError, token_kid
from guardiannest.crypto.fields import EncryptedField, encrypted_fields
from guardiannest.crypto.keys import key_ring


@dataclass
class ModelReport:
    label: str
    rows: int = 0
    values: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)


def _alias(f: EncryptedField) -> str:
    return f"_rotate_{f.attname}"


def _stale_rows(model: type[models.Model], fields: list[EncryptedField], current_prefix: str) -> models.QuerySet[Any]:
    """Rows holding at least one token not sealed with the primary key.

    Encrypted fields refuse lookups, so the columns are compared as plain text.
    """
    qs = model._base_manager.annotate(**{_alias(f): Cast(f.attname, models.TextField()) for f in fields})
    stale = Q()
    for f in fields:
        stale |= _stale_q(f, current_prefix)
    return qs.filter(stale)


def _stale_q(f: EncryptedField, current_prefix: str) -> Q:
    alias = _alias(f)
    return Q(**{f"{alias}__isnull": False}) & ~Q(**{alias: ""}) & ~Q(**{f"{alias}__startswith": current_prefix})


def _rotate_batch(
    model: type[models.Model], fields: list[EncryptedField], pks: list[Any], primary: str, report: ModelReport
) -> None:
    with transaction.atomic():
        # Lock in pk order so concurrent runs cannot deadlock; re-read under the lock.
        locked = model._base_manager.select_for_update().filter(pk__in=pks).order_by("pk")
        for pk, *tokens in locked.values_list("pk", *(f.attname for f in fields)):
            changes: dict[str, Any] = {}
            try:
                for f, token in zip(fields, tokens, strict=True):
                    if token and token_kid(token) != primary:
                        changes[f.attname] = f.rotate(token, pk=pk)
            except DecryptionError as exc:
                report.failures.append(f"{pk}: {exc}")
                continue
            if changes and model._base_manager.filter(pk=pk).update(**changes) == 1:
                report.rows += 1
                for name in changes:
                    report.values[name] = report.values.get(name, 0) + 1


class Command(BaseCommand):
    help = "Re-encrypt encrypted model fields sealed with a key other than the first in FIELD_ENCRYPTION_KEYS."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Count the rows to re-encrypt; change nothing.")
        parser.add_argument("--batch-size", type=int, default=500, help="Rows locked and rewritten per transaction.")

    def handle(self, *args: Any, dry_run: bool, batch_size: int, **options: Any) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        primary = key_ring().primary_kid
        prefix = f"{VERSION}:{primary}:"
        failed = 0
        for model in apps.get_models():
            fields = encrypted_fields(model)
            if not fields or model._meta.proxy:
                continue
            stale = _stale_rows(model, fields, prefix)
            if dry_run:
                counts = ", ".join(f"{f.name}: {stale.filter(_stale_q(f, prefix)).count()}" for f in fields)
                self.stdout.write(
                    f"{model._meta.label}: {stale.count()} rows would be re-encrypted to key {primary!r} ({counts})"
                )
                continue
            report = ModelReport(label=model._meta.label)
            last_pk: Any = None
            while True:
                page = stale.order_by("pk") if last_pk is None else stale.filter(pk__gt=last_pk).order_by("pk")
                pks = list(page.values_list("pk", flat=True)[:batch_size])
                if not pks:
                    break
                last_pk = pks[-1]
                _rotate_batch(model, fields, pks, primary, report)
            counts = ", ".join(f"{f.name}: {report.values.get(f.attname, 0)}" for f in fields)
            self.stdout.write(f"{report.label}: {report.rows} rows re-encrypted to key {primary!r} ({counts})")
            for failure in report.failures:
                self.stderr.write(f"{report.label} {failure}")
            failed += len(report.failures)
        if failed:
            raise CommandError(f"{failed} rows could not be decrypted and were left unchanged.")

"""The audit table: one row per recorded action, chained by hash, never changed.

Rows are written only by ``guardiannest.audit.services.audit_record``. The ORM
refuses to change or delete them (this module), and on PostgreSQL so does a
trigger (migration 0001), so that neither a stray ``.update()`` nor raw SQL
from the application quietly rewrites history. TRUNCATE stays possible: test
flushes need it, and it is not something application code does by accident.
"""

from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models.base import ModelBase
from django.utils import timezone


class AppendOnlyError(Exception):
    """Raised on any attempt to change or delete an audit event through the ORM."""


def _refuse(what: str) -> NoReturn:
    raise AppendOnlyError(f"Audit events are append-only: {what} is not allowed.")


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    """A queryset that can read and nothing else.

    ``bulk_create`` is refused too: it would skip the chain that
    ``audit_record`` computes, and ``bulk_update`` goes through ``update``.
    """

    def update(self, **kwargs: Any) -> NoReturn:
        _refuse("update()")

    def delete(self) -> NoReturn:
        _refuse("delete()")

    def bulk_create(self, *args: Any, **kwargs: Any) -> NoReturn:
        _refuse("bulk_create()")


class AuditEvent(models.Model):
    """Who did what to which object, from where, in which request.

    ``actor`` holds the user id only, with no database constraint and no
    cascade: erasing or anonymising a user never blocks on, nor changes, the
    record of what they did. Personal data (an email, a name) does not belong
    here, neither in the columns nor in ``data``: an audit row outlives
    erasure.
    """

    id = models.BigAutoField(primary_key=True, help_text="Chain order: each event follows the one before it by id.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        # The (actor, created_at) index below serves lookups by actor.
        db_index=False,
        related_name="+",
        help_text="The user who acted; empty for the system or an anonymous caller.",
    )
    action = models.CharField(max_length=64, help_text='Dotted, e.g. "user.registered".')
    target_type = models.CharField(max_length=100, blank=True, default="", help_text='e.g. "accounts.user".')
    target_id = models.CharField(max_length=64, blank=True, default="")
    ip = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True, default="")
    data = models.JSONField(encoder=DjangoJSONEncoder, default=dict, blank=True)
    prev_hash = models.CharField(max_length=64, help_text="Hash of the previous event (zeros for the first).")
    hash = models.CharField(max_length=64, help_text="SHA-256 of this event's fields and prev_hash.")

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        # Related lookups use the base manager: make it the refusing one too.
        base_manager_name = "objects"
        # Nobody is ever granted adding, changing or deleting audit events.
        default_permissions = ("view",)
        indexes = [
            # A plain index (db_index=True would add a LIKE index nobody uses).
            models.Index(fields=["action"], name="audit_event_action_idx"),
            models.Index(fields=["target_type", "target_id"], name="audit_event_target_idx"),
            models.Index(fields=["actor", "created_at"], name="audit_event_actor_created_idx"),
        ]
        constraints = [
            # Two events naming the same predecessor would fork the chain; if
            # writers were ever not serialised, the second INSERT fails here.
            models.UniqueConstraint(fields=["prev_hash"], name="audit_event_prev_hash_unique"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action}"

    def save(
        self,
        *,
        force_insert: bool | tuple[ModelBase, ...] = False,
        force_update: bool = False,
        using: str | None = None,
        update_fields: Any = None,
    ) -> None:
        """Insert a new event; refuse anything that would update a stored one."""
        if not self._state.adding or force_update or update_fields is not None:
            _refuse("save() of a stored event")
        # Always an INSERT: even with an explicit id, never try an UPDATE first.
        super().save(force_insert=True, using=using)

    def delete(self, using: Any = None, keep_parents: bool = False) -> NoReturn:
        _refuse("delete()")

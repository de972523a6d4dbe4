"""Staff roles as Django groups: each role's group holds exactly the permissions the apps declare for it.

Apps declare their share in ``guardiannest.registries.staff_role_permissions``
(``AppConfig.ready()``); :func:`staff_roles_sync` creates the groups
(``support``, ``finance``) and sets their permissions to the union, after every
``migrate`` (the post_migrate handler below, once every app's permissions
exist) and from ``manage.py staff_roles``. The code is the source of truth: a
permission added to a role's group by hand in the admin is taken back at the
next sync (and that, like every change the sync makes, is audited).
"""

from __future__ import annotations

from typing import Any

from django.apps import AppConfig, apps
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, transaction

from guardiannest.audit.services import audit_record
from guardiannest.registries import STAFF_ROLES, staff_role_permissions


def staff_role_declared() -> dict[str, set[str]]:
    """Each role's permissions as the apps declare them, ``{"support": {"<app_label>.view_<model>", …}, …}``."""
    declared: dict[str, set[str]] = {role: set() for role in STAFF_ROLES}
    for app, roles in staff_role_permissions.items():
        for role, names in roles.items():
            if role not in declared:
                raise ImproperlyConfigured(f"staff_role_permissions[{app!r}]: unknown role {role!r}")
            declared[role].update(names)
    return declared


def _permissions(names: set[str], *, using: str) -> dict[str, Permission]:
    """The permission rows for ``names``; a name that matches none is a mistake in a declaration."""
    found: dict[str, Permission] = {}
    rows = Permission.objects.using(using).select_related("content_type")
    for app_label in {name.partition(".")[0] for name in names}:
        for permission in rows.filter(content_type__app_label=app_label):
            found[f"{app_label}.{permission.codename}"] = permission
    missing = sorted(names - found.keys())
    if missing:
        raise ImproperlyConfigured(f"staff_role_permissions names permissions that do not exist: {missing}")
    return {name: found[name] for name in names}


def staff_roles_sync(*, using: str = DEFAULT_DB_ALIAS) -> dict[str, dict[str, list[str]]]:
    """Create the role groups and give each exactly its declared permissions; idempotent.

    Returns what changed, ``{role: {"added": […], "removed": […]}}`` (empty when
    nothing did). Each existing group that changes leaves a ``staff_role.synced``
    audit event (no actor: the system did it), in the transaction of the change.
    Creating a group is part of setting up a database, like the permission rows
    ``migrate`` creates, and is not audited (a test database's flush recreates
    them before every transactional test).
    """
    changes: dict[str, dict[str, list[str]]] = {}
    with transaction.atomic(using=using):
        for role, names in staff_role_declared().items():
            wanted = _permissions(names, using=using)
            group, created = Group.objects.using(using).select_for_update().get_or_create(name=role)
            held = {
                f"{p.content_type.app_label}.{p.codename}": p
                for p in group.permissions.select_related("content_type").all()
            }
            added, removed = sorted(wanted.keys() - held.keys()), sorted(held.keys() - wanted.keys())
            if not (created or added or removed):
                continue
            group.permissions.add(*(wanted[name] for name in added))
            group.permissions.remove(*(held[name] for name in removed))
            changes[role] = {"added": added, "removed": removed}
            if not created:
                audit_record(
                    action="staff_role.synced", target=group, data={"role": role, "added": added, "removed": removed}
                )
    return changes


def _last_app_migrated() -> AppConfig:
    """The app whose post_migrate signal comes last (``emit_post_migrate_signal`` skips apps without models)."""
    return [config for config in apps.get_app_configs() if config.models_module is not None][-1]


def sync_after_migrate(sender: AppConfig, using: str = DEFAULT_DB_ALIAS, **kwargs: Any) -> None:
    """post_migrate: once the last app's turn comes, every app's permissions exist (auth creates them per app)."""
    if sender is _last_app_migrated():
        staff_roles_sync(using=using)

"""Read-only admin tables: one rule (guardiannest.admin), used by every app's admin."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.options import BaseModelAdmin
from django.test import Client, RequestFactory
from django_otp import DEVICE_ID_SESSION_KEY

from accounts.models import BackupCode, Passkey, TOTPDevice, User
from accounts.tests.factories import ParentFactory, StaffFactory
from guardiannest.admin import ReadOnlyAdmin, ReadOnlyPermissions, ServiceFormAdmin
from guardiannest.audit.models import AuditEvent
from messaging.models import Delivery, Notification

PERMISSIONS = ("has_add_permission", "has_change_permission", "has_delete_permission")
ROOT = Path(settings.BASE_DIR)


def _our_admin_classes() -> set[type[BaseModelAdmin]]:
    """Every admin and inline class registered on the site, with their bases, that this project wrote."""
    registered = [type(model_admin) for model_admin in admin.site._registry.values()]
    inlines = [inline for cls in registered for inline in cls.inlines]
    return {
        base
        for cls in [*registered, *inlines]
        for base in inspect.getmro(cls)
        if (ROOT / base.__module__.split(".")[0] / "__init__.py").exists()
    }


def test_no_admin_writes_its_own_permission_rules() -> None:
    ours = _our_admin_classes()
    assert {"PasskeyAdmin", "AuditEventAdmin", "ConversationAdmin", "DeliveryInline"} <= {c.__name__ for c in ours}

    for cls in ours - {ReadOnlyPermissions, ReadOnlyAdmin, ServiceFormAdmin}:
        assert not set(PERMISSIONS) & set(vars(cls)), f"{cls.__qualname__}: inherit guardiannest.admin instead"


@pytest.mark.django_db
def test_read_only_tables_refuse_every_change_and_delete_only_through_a_service() -> None:
    superuser: User = StaffFactory(is_superuser=True)
    request = RequestFactory().get("/admin/")
    request.user = superuser
    backup_codes, passkeys = admin.site._registry[BackupCode], admin.site._registry[Passkey]

    for model_admin in (backup_codes, passkeys, admin.site._registry[Notification], admin.site._registry[Delivery]):
        assert not model_admin.has_add_permission(request)
        assert not model_admin.has_change_permission(request)
        assert model_admin.has_view_permission(request)
    # deleting: only where the admin deletes through its service (PasskeyAdmin.delete_row revokes, audited)
    assert not backup_codes.has_delete_permission(request)
    assert passkeys.has_delete_permission(request)
    request.user = StaffFactory()  # staff without the delete permission
    assert not passkeys.has_delete_permission(request)


@pytest.mark.django_db
def test_deleting_several_rows_calls_the_service_for_each() -> None:
    # given two passkeys and a superuser whose admin session passed the one-time password
    owner = ParentFactory()
    keys = [
        Passkey.objects.create(user=owner, name=name, credential_id=name, public_key=b"k", user_handle="h")
        for name in ("laptop", "phone")
    ]
    superuser = StaffFactory(is_superuser=True)
    client = Client()
    client.force_login(superuser)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.create(user=superuser, name="phone").persistent_id
    session.save()

    # when both are deleted with the bulk action
    response = client.post(
        "/admin/accounts/passkey/",
        {"action": "delete_selected", "_selected_action": [str(key.pk) for key in keys], "post": "yes"},
    )

    # then each went through passkey_revoke: gone, and audited one by one
    assert response.status_code == 302
    assert not Passkey.objects.filter(user=owner).exists()
    revoked = AuditEvent.objects.filter(action="passkey.revoked", actor_id=superuser.pk)
    assert sorted(revoked.values_list("target_id", flat=True)) == sorted(str(key.pk) for key in keys)

"""Every accounts table that holds a user's rows has a say in the export and the erasure, by name.

The "accounts" part lists its tables (``SIGN_IN_TABLES`` and the ones it reads
by hand); the family has its own exporter and eraser. A new table hanging off
the user fails here until one of them names it.
"""

from __future__ import annotations

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import models

from accounts.models import Child, DataExport, EmergencyContact, FavoriteSitter, ParentProfile, TOTPDevice, UserSession
from accounts.services.gdpr.accounts_data import SIGN_IN_TABLES

COVERED = {
    "accounts (sign-in tables)": {model for model, _ in SIGN_IN_TABLES},
    "accounts (by hand)": {TOTPDevice, UserSession, DataExport},
    "family": {ParentProfile, Child, EmergencyContact, FavoriteSitter},
}


def _points_at_the_user(model: type[models.Model]) -> bool:
    user = get_user_model()
    return any(
        field.related_model is user for field in model._meta.get_fields() if field.concrete and field.is_relation
    )


def test_every_table_holding_a_users_rows_is_named_by_an_exporter_and_eraser() -> None:
    tables = {model for model in apps.get_app_config("accounts").get_models() if _points_at_the_user(model)}
    tables.add(TOTPDevice)

    named = set().union(*COVERED.values())
    assert tables - named == set(), "name these in accounts/services/gdpr/accounts_data.py (or the family's)"
    assert named - tables == set()


def test_no_secret_column_leaves_in_the_export() -> None:
    secrets = {"salt", "code_hash", "credential_id", "public_key", "user_handle", "sign_count", "uid", "key"}
    for model, fields in SIGN_IN_TABLES:
        assert secrets.isdisjoint(fields), model
        assert set(fields) <= {field.name for field in model._meta.concrete_fields}, model

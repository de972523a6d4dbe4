"""TOTP secrets and exact home coordinates are encrypted at rest (issue 11, item 10).

The attack is a database dump or a misdirected backup: before this change
``otp_totp_totpdevice.key`` held every authenticator's secret as hex (anyone
holding the dump could mint second-factor codes), and the family's and the
sitter's exact home points were plain numbers. Each test reads the raw column
with SQL, as the dump would, against the real PostgreSQL. Search keeps using
the sitter's fuzzed search point, which stays in clear for SQL.
"""

from __future__ import annotations

import importlib
import re
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django_otp.models import Device
from django_otp.oath import totp
from rest_framework.test import APIClient

from accounts.models import ParentProfile, TOTPDevice, User
from accounts.tests.factories import PASSWORD, TOTPDeviceFactory
from guardiannest.crypto import keys
from guardiannest.crypto.aead import token_kid
from guardiannest.crypto.fields import encrypted_fields
from sitters.models import SitterProfile
from sitters.tests.factories import SitterProfileFactory

pytestmark = pytest.mark.django_db

SECRET_HEX = "3132333435363738393031323334353637383930"  # RFC 6238's test secret
T1 = "t1:dGVzdC1rZXktb25lLTMyLWJ5dGVzLWxvbmctISEhISE="  # the ring settings_test.py installs
T2 = "t2:AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI="
TOKEN = re.compile(r"^gn1:t[12]:[A-Za-z0-9_-]+$")


def raw(table: str, pk_column: str, pk: Any, *columns: str) -> tuple[Any, ...]:
    """The stored values, read with SQL so no field code runs: what a database dump holds."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(columns)} FROM {table} WHERE {pk_column} = %s", [pk])
        row = cursor.fetchone()
    assert row is not None
    return tuple(row)


@pytest.fixture(autouse=True)
def _fresh_key_caches() -> Any:
    keys.reset_caches()
    yield
    keys.reset_caches()


# --- TOTP secrets -----------------------------------------------------------------------------------


def test_the_totp_secret_is_a_token_in_the_column_and_the_codes_still_match(parent: User) -> None:
    device = TOTPDevice.objects.create(user=parent, name="phone", key=SECRET_HEX, confirmed=True)

    (stored,) = raw("accounts_totpdevice", "id", device.pk, "key")

    assert TOKEN.match(stored) and SECRET_HEX not in stored and "12345678901234567890" not in stored
    loaded = TOTPDevice.objects.get(pk=device.pk)
    assert loaded.key == SECRET_HEX and loaded.bin_key == bytes.fromhex(SECRET_HEX)
    assert loaded.verify_token(f"{totp(loaded.bin_key):06d}") is True
    # django-otp finds it by the id it keeps in an admin session
    assert Device.from_persistent_id(loaded.persistent_id) == loaded


def test_a_secret_copied_to_another_device_does_not_open(parent: User, other_parent: User) -> None:
    """The token is bound to its row: pasting a known device's column into another gives nothing."""
    mine = TOTPDeviceFactory(user=parent)
    theirs = TOTPDeviceFactory(user=other_parent)
    (token,) = raw("accounts_totpdevice", "id", mine.pk, "key")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE accounts_totpdevice SET key = %s WHERE id = %s", [token, theirs.pk])

    with pytest.raises(Exception, match="authentication failed"):
        _ = TOTPDevice.objects.get(pk=theirs.pk).key


def test_mfa_sign_in_works_with_the_encrypted_secret(api: APIClient, parent: User) -> None:
    device = TOTPDeviceFactory(user=parent)
    first = api.post("/api/v1/auth/login", {"email": parent.email, "password": PASSWORD}, format="json")
    assert first.status_code == 200 and first.json()["mfa_required"] is True

    second = api.post(
        "/api/v1/auth/login/mfa",
        {"mfa_token": first.json()["mfa_token"], "code": f"{totp(device.bin_key):06d}"},
        format="json",
    )

    assert second.status_code == 200, second.content
    assert {"access", "refresh"} <= set(second.json())


# --- exact home coordinates -------------------------------------------------------------------------


def test_the_family_home_point_is_tokens_in_the_columns_and_the_same_through_the_api(
    parent: User, parent_api: APIClient
) -> None:
    body = {"latitude": 52.529612, "longitude": 13.401417}
    assert parent_api.patch("/api/v1/parents/me", body, format="json").status_code == 200
    profile = ParentProfile.objects.get(user=parent)

    latitude, longitude = raw("accounts_parentprofile", "id", profile.pk, "latitude", "longitude")

    for stored in (latitude, longitude):
        assert TOKEN.match(stored)
    assert "52.5" not in latitude + longitude and "13.4" not in latitude + longitude
    answer = parent_api.get("/api/v1/parents/me").json()
    assert (answer["latitude"], answer["longitude"]) == (52.529612, 13.401417)
    assert ParentProfile.objects.get(pk=profile.pk).coordinates == (Decimal("52.529612"), Decimal("13.401417"))


def test_the_sitters_exact_location_is_tokens_and_the_search_point_stays_in_clear(
    sitter: User, sitter_api: APIClient
) -> None:
    SitterProfileFactory(user=sitter, latitude=None, longitude=None, search_latitude=None, search_longitude=None)
    response = sitter_api.patch("/api/v1/sitters/me", {"latitude": 48.137154, "longitude": 11.576124}, format="json")
    assert response.status_code == 200, response.content

    latitude, longitude, search_latitude, search_longitude = raw(
        "sitters_sitterprofile", "user_id", sitter.pk, "latitude", "longitude", "search_latitude", "search_longitude"
    )

    assert TOKEN.match(latitude) and TOKEN.match(longitude)
    assert "48.13" not in latitude + longitude and "11.57" not in latitude + longitude
    assert isinstance(search_latitude, float) and isinstance(search_longitude, float)  # what search's SQL uses
    assert (search_latitude, search_longitude) != (48.137154, 11.576124)  # moved up to 500 m
    me = sitter_api.get("/api/v1/sitters/me").json()
    assert (me["latitude"], me["longitude"]) == (48.137154, 11.576124)  # the owner still sees the real point


def test_a_parent_still_gets_the_distance_from_their_encrypted_home(parent: User, parent_api: APIClient) -> None:
    """The distance is computed in Python from the decrypted home point to the sitter's search point."""
    profile = SitterProfileFactory(latitude=52.52, longitude=13.405, search_latitude=52.52, search_longitude=13.405)
    assert (
        parent_api.patch("/api/v1/parents/me", {"latitude": 52.52, "longitude": 13.505}, format="json").status_code
        == 200
    )

    body = parent_api.get(f"/api/v1/sitters/{profile.pk}").json()

    assert body["distance_km"] == pytest.approx(6.8, abs=0.2)  # 0.1° of longitude at 52.5° N


# --- key rotation -----------------------------------------------------------------------------------


def test_rotate_field_keys_re_encrypts_the_new_columns(settings: Any, parent: User, sitter: User) -> None:
    device = TOTPDevice.objects.create(user=parent, name="phone", key=SECRET_HEX)
    family = ParentProfile.objects.create(user=parent, latitude=Decimal("52.5"), longitude=Decimal("13.4"))
    place = SitterProfileFactory(user=sitter, latitude=48.1, longitude=11.5)
    assert {f.name for f in encrypted_fields(TOTPDevice)} == {"key"}
    assert {f.name for f in encrypted_fields(ParentProfile)} >= {"latitude", "longitude"}
    assert {f.name for f in encrypted_fields(SitterProfile)} == {"latitude", "longitude"}
    settings.FIELD_ENCRYPTION_KEYS = f"{T2},{T1}"
    keys.reset_caches()

    out = StringIO()
    call_command("rotate_field_keys", stdout=out, stderr=StringIO())

    assert "accounts.TOTPDevice: 1 rows re-encrypted to key 't2' (key: 1)" in out.getvalue()
    assert "sitters.SitterProfile: 1 rows re-encrypted to key 't2' (latitude: 1, longitude: 1)" in out.getvalue()
    stored = [
        *raw("accounts_totpdevice", "id", device.pk, "key"),
        *raw("accounts_parentprofile", "id", family.pk, "latitude", "longitude"),
        *raw("sitters_sitterprofile", "user_id", place.pk, "latitude", "longitude"),
    ]
    assert {token_kid(token) for token in stored} == {"t2"}
    settings.FIELD_ENCRYPTION_KEYS = T2  # the old key is gone
    keys.reset_caches()
    assert TOTPDevice.objects.get(pk=device.pk).key == SECRET_HEX
    assert ParentProfile.objects.get(pk=family.pk).coordinates == (Decimal("52.500000"), Decimal("13.400000"))
    exact = SitterProfile.objects.get(pk=place.pk)
    assert (exact.latitude, exact.longitude) == (48.1, 11.5)


# --- the data migrations ----------------------------------------------------------------------------


def _migration(app: str, name: str) -> Any:
    return importlib.import_module(f"{app}.migrations.{name}")


class _Editor:
    """What the RunPython functions use of a schema editor."""

    connection = connection


LEGACY_TABLE_SQL = """
CREATE TABLE otp_totp_totpdevice (
    id serial PRIMARY KEY, name varchar(64) NOT NULL, confirmed boolean NOT NULL,
    user_id uuid NOT NULL, key varchar(80) NOT NULL, step smallint NOT NULL, t0 bigint NOT NULL,
    digits smallint NOT NULL, tolerance smallint NOT NULL, drift smallint NOT NULL, last_t bigint NOT NULL,
    throttling_failure_count integer NOT NULL, throttling_failure_timestamp timestamptz NULL,
    created_at timestamptz NULL, last_used_at timestamptz NULL
)
"""


def test_the_migration_moves_legacy_plaintext_devices_and_back(parent: User) -> None:
    """A database made before: django-otp's table with a plaintext key becomes an encrypted row, reversibly."""
    migration = _migration("accounts", "0006_totp_device_encrypted_key")
    with connection.cursor() as cursor:
        cursor.execute(LEGACY_TABLE_SQL)
        cursor.execute(
            "INSERT INTO otp_totp_totpdevice (name, confirmed, user_id, key, step, t0, digits, tolerance, drift,"
            " last_t, throttling_failure_count, created_at) VALUES ('phone', true, %s, %s, 30, 0, 6, 1, 0, 1234, 0,"
            " '2025-01-02T03:04:05Z')",
            [parent.pk, SECRET_HEX],
        )

    migration.seal_legacy_devices(apps, _Editor())

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM otp_totp_totpdevice")
        assert cursor.fetchone() == (0,)  # no plaintext left behind
    device = TOTPDevice.objects.get(user=parent)
    (stored,) = raw("accounts_totpdevice", "id", device.pk, "key")
    assert TOKEN.match(stored) and SECRET_HEX not in stored
    assert (device.key, device.confirmed, device.last_t, device.created_at.year) == (SECRET_HEX, True, 1234, 2025)
    assert parent.mfa_enabled

    migration.unseal_devices(apps, _Editor())

    assert not TOTPDevice.objects.exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT user_id, key, last_t FROM otp_totp_totpdevice")
        assert cursor.fetchall() == [(parent.pk, SECRET_HEX, 1234)]


def test_the_migration_leaves_a_database_without_the_legacy_table_alone(parent: User) -> None:
    migration = _migration("accounts", "0006_totp_device_encrypted_key")
    TOTPDeviceFactory(user=parent)

    migration.seal_legacy_devices(apps, _Editor())
    migration.unseal_devices(apps, _Editor())

    assert TOTPDevice.objects.filter(user=parent).count() == 1


def test_the_coordinate_migrations_seal_plaintext_rows_and_unseal_them(parent: User, sitter: User) -> None:
    """Rows as the schema change leaves them (numbers cast to text) are sealed in place, and back."""
    family = ParentProfile.objects.create(user=parent)
    place = SitterProfileFactory(user=sitter)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE accounts_parentprofile SET latitude = '52.520000', longitude = '13.405000' WHERE id = %s",
            [family.pk],
        )
        cursor.execute(
            "UPDATE sitters_sitterprofile SET latitude = '48.137154', longitude = '11.576124' WHERE user_id = %s",
            [place.pk],
        )
    seal_family = _migration("accounts", "0007_family_home_encrypted").Migration.operations[-1]
    seal_sitter = _migration("sitters", "0006_exact_location_encrypted").Migration.operations[-1]

    seal_family.code(apps, _Editor())
    seal_sitter.code(apps, _Editor())
    seal_family.code(apps, _Editor())  # twice: a token is not sealed again

    family_raw = raw("accounts_parentprofile", "id", family.pk, "latitude", "longitude")
    sitter_raw = raw("sitters_sitterprofile", "user_id", place.pk, "latitude", "longitude")
    assert all(TOKEN.match(value) for value in (*family_raw, *sitter_raw))
    assert ParentProfile.objects.get(pk=family.pk).coordinates == (Decimal("52.520000"), Decimal("13.405000"))
    exact = SitterProfile.objects.get(pk=place.pk)
    assert (exact.latitude, exact.longitude) == (48.137154, 11.576124)

    seal_family.reverse_code(apps, _Editor())
    seal_sitter.reverse_code(apps, _Editor())

    assert raw("accounts_parentprofile", "id", family.pk, "latitude", "longitude") == ("52.520000", "13.405000")
    assert raw("sitters_sitterprofile", "user_id", place.pk, "latitude", "longitude") == ("48.137154", "11.576124")

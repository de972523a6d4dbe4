"""Data protection (SECURITY.md): what families tell us is ciphertext in the database, bound to its row.

Written through the real API, then read back with raw SQL so no field code
runs: no plaintext in the columns, a token moved to another row or column or
altered fails loudly, and after key rotation no row needs the old key.
"""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from accounts.models import Child, EmergencyContact, ParentProfile, User
from accounts.tests.factories import ChildFactory
from accounts.tests.family_helpers import CHILDREN, CONTACTS, ME, raw_columns, raw_row_text, raw_write
from accounts.tests.problems import assert_problem
from conftest import client_for
from guardiannest.crypto.aead import DecryptionError, token_kid
from guardiannest.crypto.tests.conftest import T1_ENTRY, T2_ENTRY

pytestmark = pytest.mark.django_db

ADDRESS = "Torstrasse 101, 10119 Berlin"
PHONE = "+4930901820"
NOTES = "Type 1 diabetes: insulin pen in the fridge"
ALLERGIES = "Severe peanut allergy"
NEEDS = "Autistic: warn before loud noises"
CONTACT_NAME = "Greta Keller"
CONTACT_PHONE = "+4930901821"


@pytest.fixture
def family(parent: User, parent_api: APIClient) -> dict[str, Any]:
    """One family's data, written through the API."""
    assert parent_api.patch(ME, {"address": ADDRESS, "phone": PHONE}, format="json").status_code == 200
    child = parent_api.post(
        CHILDREN,
        {
            "first_name": "Mia",
            "birth_date": "2020-05-01",
            "allergies": ALLERGIES,
            "medical_notes": NOTES,
            "special_needs": NEEDS,
        },
        format="json",
    ).json()
    contact = parent_api.post(CONTACTS, {"name": CONTACT_NAME, "phone": CONTACT_PHONE}, format="json").json()
    return {"profile": ParentProfile.objects.get(user=parent).pk, "child": child["id"], "contact": contact["id"]}


def test_the_raw_columns_hold_no_plaintext(family: dict[str, Any]) -> None:
    stored = [
        *raw_columns("accounts_parentprofile", family["profile"], "address", "phone"),
        *raw_columns("accounts_child", family["child"], "allergies", "medical_notes", "special_needs"),
        *raw_columns("accounts_emergencycontact", family["contact"], "name", "phone"),
    ]

    assert all(value.startswith("gn1:t1:") for value in stored), stored
    whole_rows = " ".join(
        raw_row_text(table, family[key])
        for table, key in (
            ("accounts_parentprofile", "profile"),
            ("accounts_child", "child"),
            ("accounts_emergencycontact", "contact"),
        )
    )
    for secret in (ADDRESS, "Torstrasse", PHONE, "30901820", NOTES, "diabetes", ALLERGIES, "peanut", NEEDS):
        assert secret not in whole_rows
    for secret in (CONTACT_NAME, "Greta", CONTACT_PHONE):
        assert secret not in whole_rows


def test_equal_values_are_stored_differently(parent_api: APIClient, family: dict[str, Any]) -> None:
    twin = parent_api.post(
        CHILDREN, {"first_name": "Ida", "birth_date": "2020-05-01", "medical_notes": NOTES}, format="json"
    ).json()

    (first,) = raw_columns("accounts_child", family["child"], "medical_notes")
    (second,) = raw_columns("accounts_child", twin["id"], "medical_notes")
    assert first != second


def test_the_api_reads_back_what_was_written(parent_api: APIClient, family: dict[str, Any]) -> None:
    assert parent_api.get(ME).json()["address"] == ADDRESS
    assert parent_api.get(f"{CHILDREN}/{family['child']}").json()["medical_notes"] == NOTES
    assert parent_api.get(f"{CONTACTS}/{family['contact']}").json()["name"] == CONTACT_NAME


def test_a_value_copied_into_another_familys_row_fails_to_decrypt(family: dict[str, Any], other_parent: User) -> None:
    # given: someone with write access to the database moves my child's notes into their own child's row
    theirs = ChildFactory(parent=other_parent, medical_notes="nothing")
    (token,) = raw_columns("accounts_child", family["child"], "medical_notes")
    raw_write("accounts_child", theirs.pk, "medical_notes", token)

    # when they read their own child
    response = client_for(other_parent).get(f"{CHILDREN}/{theirs.pk}")

    # then it fails loudly, without the plaintext
    assert_problem(response, 500, "server_error")
    assert "diabetes" not in response.content.decode()
    with pytest.raises(DecryptionError):
        _ = Child.objects.get(pk=theirs.pk).medical_notes


def test_a_value_moved_to_another_column_fails_to_decrypt(family: dict[str, Any]) -> None:
    (allergies,) = raw_columns("accounts_child", family["child"], "allergies")
    raw_write("accounts_child", family["child"], "medical_notes", allergies)

    with pytest.raises(DecryptionError):
        _ = Child.objects.get(pk=family["child"]).medical_notes


def test_a_value_copied_between_tables_fails_to_decrypt(family: dict[str, Any]) -> None:
    (phone,) = raw_columns("accounts_parentprofile", family["profile"], "phone")
    raw_write("accounts_emergencycontact", family["contact"], "phone", phone)

    with pytest.raises(DecryptionError):
        _ = EmergencyContact.objects.get(pk=family["contact"]).phone


def test_a_tampered_value_fails_to_decrypt(family: dict[str, Any]) -> None:
    (token,) = raw_columns("accounts_parentprofile", family["profile"], "address")
    flipped = token[:-5] + ("A" if token[-5] != "A" else "B") + token[-4:]
    raw_write("accounts_parentprofile", family["profile"], "address", flipped)

    with pytest.raises(DecryptionError):
        _ = ParentProfile.objects.get(pk=family["profile"]).address


def test_after_rotation_no_family_row_needs_the_old_key(
    settings: Any, parent_api: APIClient, family: dict[str, Any]
) -> None:
    settings.FIELD_ENCRYPTION_KEYS = f"{T2_ENTRY},{T1_ENTRY}"

    call_command("rotate_field_keys", stdout=StringIO(), stderr=StringIO())

    settings.FIELD_ENCRYPTION_KEYS = T2_ENTRY  # the old key is gone
    stored = [
        *raw_columns("accounts_parentprofile", family["profile"], "address", "phone"),
        *raw_columns("accounts_child", family["child"], "allergies", "medical_notes", "special_needs"),
        *raw_columns("accounts_emergencycontact", family["contact"], "name", "phone"),
    ]
    assert {token_kid(value) for value in stored} == {"t2"}
    assert parent_api.get(ME).json()["address"] == ADDRESS
    assert parent_api.get(f"{CHILDREN}/{family['child']}").json()["medical_notes"] == NOTES
    assert parent_api.get(f"{CONTACTS}/{family['contact']}").json()["phone"] == CONTACT_PHONE

"""Revoking a passkey: mine goes (and signs in no more), someone else's is not found."""

from __future__ import annotations

import uuid

import pytest
from rest_framework.test import APIClient

from accounts.errors import AccountError
from accounts.models import Passkey, User
from accounts.tests import verified_personas
from accounts.tests.authenticator import SoftAuthenticator
from accounts.tests.passkeys_helpers import BASE, login, register
from accounts.tests.problems import assert_problem
from conftest import client_for
from guardiannest.audit.models import AuditEvent

# The personas with a verified email: these tests add or change ways to sign in.
parent = verified_personas.parent
other_parent = verified_personas.other_parent

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("relying_party")]


@pytest.fixture
def registered(parent_api: APIClient, authenticator: SoftAuthenticator) -> Passkey:
    assert register(parent_api, authenticator).status_code == 201
    return Passkey.objects.get(credential_id=authenticator.id)


def test_revoking_my_passkey_ends_its_sign_ins(
    api: APIClient, parent_api: APIClient, parent: User, registered: Passkey, authenticator: SoftAuthenticator
) -> None:
    response = parent_api.delete(f"{BASE}/{registered.pk}")

    assert response.status_code == 204
    assert not Passkey.objects.filter(pk=registered.pk).exists()
    event = AuditEvent.objects.get(action="passkey.revoked")
    assert (event.actor_id, event.target_id) == (parent.pk, str(registered.pk))
    assert parent_api.get(BASE).json()["results"] == []
    assert_problem(login(api, authenticator), 401, AccountError.INVALID_CREDENTIALS)


def test_someone_elses_passkey_answers_404_and_stays(
    other_parent: User, sitter_api: APIClient, registered: Passkey
) -> None:
    assert_problem(client_for(other_parent).delete(f"{BASE}/{registered.pk}"), 404, "not_found")
    assert_problem(sitter_api.delete(f"{BASE}/{registered.pk}"), 404, "not_found")

    assert Passkey.objects.filter(pk=registered.pk).exists()
    assert not AuditEvent.objects.filter(action="passkey.revoked").exists()


def test_an_unknown_or_already_revoked_passkey_answers_404(parent_api: APIClient, registered: Passkey) -> None:
    assert parent_api.delete(f"{BASE}/{registered.pk}").status_code == 204

    assert_problem(parent_api.delete(f"{BASE}/{registered.pk}"), 404, "not_found")
    assert_problem(parent_api.delete(f"{BASE}/{uuid.uuid4()}"), 404, "not_found")
    assert AuditEvent.objects.filter(action="passkey.revoked").count() == 1


def test_listing_is_paginated_newest_first(parent_api: APIClient) -> None:
    for n in range(3):
        register(parent_api, SoftAuthenticator(), name=f"Device {n}")

    first = parent_api.get(BASE, {"page_size": 2}).json()

    assert [p["name"] for p in first["results"]] == ["Device 2", "Device 1"]
    assert first["next"] is not None
    assert [p["name"] for p in parent_api.get(first["next"]).json()["results"]] == ["Device 0"]

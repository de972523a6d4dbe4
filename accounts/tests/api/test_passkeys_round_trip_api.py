"""Register a passkey, then sign in with it: the whole ceremony over HTTP with a real key."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import Passkey, User, UserSession
from accounts.tests import verified_personas
from accounts.tests.authenticator import RP_ID, SoftAuthenticator
from accounts.tests.passkeys_helpers import BASE, login, login_options, register, register_options
from guardiannest.audit.models import AuditEvent

# The personas with a verified email: these tests add or change ways to sign in.
parent = verified_personas.parent
other_parent = verified_personas.other_parent

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("relying_party")]


def test_registration_options_ask_for_user_verification_and_exclude_existing_passkeys(
    parent_api: APIClient, parent: User, authenticator: SoftAuthenticator
) -> None:
    first = register_options(parent_api)
    assert first["rp"] == {"id": RP_ID, "name": "GuardianNest"}
    assert first["authenticatorSelection"]["userVerification"] == "required"
    assert first["authenticatorSelection"]["residentKey"] == "preferred"
    assert first["attestation"] == "none"
    assert first["timeout"] == 300_000
    assert first["excludeCredentials"] == []
    assert first["user"]["name"] == parent.email
    assert first["user"]["id"] != str(parent.pk)
    assert len(first["challenge"]) >= 43  # at least 32 random bytes

    credential = authenticator.create(first)
    response = parent_api.post(f"{BASE}/register/verify", {"credential": credential, "name": "Phone"}, format="json")
    assert response.status_code == 201, response.content
    second = register_options(parent_api)

    assert [c["id"] for c in second["excludeCredentials"]] == [authenticator.id]
    assert second["user"]["id"] == first["user"]["id"], "one user handle per user across passkeys"
    assert second["challenge"] != first["challenge"]


def test_register_then_sign_in(
    api: APIClient, parent_api: APIClient, parent: User, authenticator: SoftAuthenticator
) -> None:
    # given a registered passkey
    response = register(parent_api, authenticator, name="Anna's phone")
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"id", "name", "created_at", "last_used_at"}
    assert body["name"] == "Anna's phone" and body["last_used_at"] is None
    passkey = Passkey.objects.get(pk=body["id"])
    assert passkey.user == parent and passkey.credential_id == authenticator.id and passkey.sign_count == 0
    assert AuditEvent.objects.filter(action="passkey.registered", actor_id=parent.pk).count() == 1

    # when the parent signs in with it, naming their email
    options = login_options(api, parent.email)
    assert options["userVerification"] == "required"
    assert options["allowCredentials"] == []  # never listed for an email: the browser offers its passkeys
    response = api.post(f"{BASE}/login/verify", {"credential": authenticator.get(options)}, format="json")

    # then a token pair for a passkey session comes back and works
    assert response.status_code == 200, response.content
    tokens = response.json()
    assert set(tokens) == {"access", "refresh"}
    me = APIClient()
    me.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert me.get("/api/v1/auth/me").json()["email"] == parent.email
    assert UserSession.objects.filter(user=parent, method="passkey", ended_at__isnull=True).count() == 1
    passkey.refresh_from_db()
    assert passkey.sign_count == 1 and passkey.last_used_at is not None
    event = AuditEvent.objects.get(action="auth.login_succeeded", actor_id=parent.pk)
    assert event.data == {"method": "passkey"}


def test_a_discoverable_passkey_signs_in_without_an_email(
    api: APIClient, parent_api: APIClient, parent: User, authenticator: SoftAuthenticator
) -> None:
    register(parent_api, authenticator)
    options = login_options(api)
    assert options["allowCredentials"] == []

    response = login(api, authenticator)

    assert response.status_code == 200, response.content
    assert UserSession.objects.filter(user=parent, method="passkey").count() == 1


def test_an_authenticator_without_a_counter_keeps_working(api: APIClient, parent_api: APIClient, parent: User) -> None:
    """Both counts 0 is allowed (many synced passkeys never count); only a regression is refused."""
    authenticator = SoftAuthenticator(counter=False)
    register(parent_api, authenticator)

    assert login(api, authenticator, parent.email).status_code == 200
    assert login(api, authenticator, parent.email).status_code == 200
    assert Passkey.objects.get(credential_id=authenticator.id).sign_count == 0


def test_the_list_shows_my_passkeys_only(parent_api: APIClient, parent: User, other_parent: User) -> None:
    mine = [SoftAuthenticator(), SoftAuthenticator()]
    for n, authenticator in enumerate(mine):
        register(parent_api, authenticator, name=f"Device {n}")
    from conftest import client_for

    register(client_for(other_parent), SoftAuthenticator(), name="Not yours")

    response = parent_api.get(BASE)

    assert response.status_code == 200
    results: list[dict[str, Any]] = response.json()["results"]
    assert sorted(r["name"] for r in results) == ["Device 0", "Device 1"]
    assert all(set(r) == {"id", "name", "created_at", "last_used_at"} for r in results)

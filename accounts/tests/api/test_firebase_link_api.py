"""POST auth/firebase/link: the signed-in owner links a Firebase account; the way round the 409."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import FirebaseIdentity, User
from accounts.tests import verified_personas
from accounts.tests.factories import PASSWORD
from accounts.tests.firebase_helpers import LINK, sign_in
from accounts.tests.google import StandIn
from accounts.tests.problems import assert_problem
from conftest import client_for
from guardiannest.audit.models import AuditEvent

# The personas with a verified email: these tests add or change ways to sign in.
parent = verified_personas.parent
other_parent = verified_personas.other_parent

pytestmark = pytest.mark.django_db


def link(client: APIClient, id_token: Any) -> Any:
    return client.post(LINK, {"id_token": id_token}, format="json")


def test_after_a_409_the_parent_signs_in_with_the_password_links_and_then_firebase_works(
    api: APIClient, google: StandIn, parent: User
) -> None:
    token = google.token(uid="uid-parent-google", email=parent.email)
    assert_problem(sign_in(api, token), 409, "account_exists")
    # the password sign-in, then the link
    pair = api.post("/api/v1/auth/login", {"email": parent.email, "password": PASSWORD}, format="json").json()
    owner = APIClient()
    owner.credentials(HTTP_AUTHORIZATION=f"Bearer {pair['access']}")
    response = link(owner, token)
    assert response.status_code == 201, response.content
    assert set(response.json()) == {"id", "provider", "created_at", "last_used_at"}
    assert response.json()["provider"] == "google.com"
    identity = FirebaseIdentity.objects.get(uid="uid-parent-google")
    assert identity.user == parent
    assert identity.trusted
    assert AuditEvent.objects.filter(action="auth.firebase_linked", target_id=str(parent.pk)).exists()
    # now Firebase signs the parent in
    signed_in = sign_in(api, token)
    assert signed_in.status_code == 200
    assert User.objects.count() == 1


def test_linking_again_is_a_no_op(parent_api: APIClient, google: StandIn) -> None:
    token = google.token(uid="uid-twice")
    assert link(parent_api, token).status_code == 201
    again = link(parent_api, token)
    assert again.status_code == 200
    assert FirebaseIdentity.objects.filter(uid="uid-twice").count() == 1


def test_a_firebase_account_linked_to_someone_else_is_409(
    parent_api: APIClient, google: StandIn, other_parent: User, parent: User
) -> None:
    FirebaseIdentity.objects.create(user=other_parent, uid="uid-taken", provider="google.com", trusted=True)
    response = link(parent_api, google.token(uid="uid-taken"))
    assert_problem(response, 409, "firebase_already_linked")
    assert FirebaseIdentity.objects.get(uid="uid-taken").user == other_parent
    assert not FirebaseIdentity.objects.filter(user=parent).exists()


def test_anonymous_firebase_accounts_are_not_linked(parent_api: APIClient, google: StandIn) -> None:
    response = link(parent_api, google.token(uid="uid-anon", email=None, provider="anonymous"))
    assert_problem(response, 400, "firebase_provider_not_allowed")
    assert not FirebaseIdentity.objects.exists()


def test_a_bad_token_is_bad_input_here(parent_api: APIClient, google: StandIn, other_key: Any) -> None:
    forged = google.sign(google.claims(uid="uid-forged"), key=other_key)
    assert_problem(link(parent_api, forged), 400, "firebase_token_invalid")
    assert_problem(link(parent_api, "garbage"), 400, "firebase_token_invalid")
    assert_problem(parent_api.post(LINK, {}, format="json"), 400)
    assert not FirebaseIdentity.objects.exists()


def test_linking_needs_a_signed_in_user(api: APIClient, google: StandIn) -> None:
    assert_problem(link(api, google.token(uid="uid-nobody")), 401)
    assert not FirebaseIdentity.objects.exists()


def test_an_inactive_users_token_cannot_link(google: StandIn, parent: User) -> None:
    client = client_for(parent)
    User.objects.filter(pk=parent.pk).update(is_active=False)
    assert_problem(link(client, google.token(uid="uid-late")), 401)
    assert not FirebaseIdentity.objects.exists()

"""The owner is emailed when a Firebase sign-in is linked to their account (or trusted again) or unlinked."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import FirebaseIdentity, User
from accounts.services.firebase import firebase_identity_unlink
from accounts.services.mfa_changed import SignInChange
from accounts.tests import verified_personas
from accounts.tests.emails import mfa_changes_received
from accounts.tests.firebase_helpers import LINK, sign_in
from accounts.tests.google import StandIn

# The personas with a verified email: these tests add or change ways to sign in.
parent = verified_personas.parent
other_parent = verified_personas.other_parent

pytestmark = pytest.mark.django_db


def test_linking_firebase_tells_the_owner(
    parent_api: APIClient, parent: User, google: StandIn, django_capture_on_commit_callbacks: Any
) -> None:
    token = google.token(uid="uid-linked", email=parent.email)

    with django_capture_on_commit_callbacks() as callbacks:
        assert parent_api.post(LINK, {"id_token": token}, format="json").status_code == 201

    assert mfa_changes_received(callbacks) == [(parent.email, SignInChange.FIREBASE_LINKED)]


def test_linking_again_tells_only_when_it_made_the_link_trusted_again(
    parent_api: APIClient, parent: User, google: StandIn, django_capture_on_commit_callbacks: Any
) -> None:
    identity = FirebaseIdentity.objects.create(user=parent, uid="uid-linked", provider="google.com", trusted=False)
    token = google.token(uid="uid-linked", email=parent.email)

    with django_capture_on_commit_callbacks() as trusted_again:
        assert parent_api.post(LINK, {"id_token": token}, format="json").status_code == 200
    with django_capture_on_commit_callbacks() as unchanged:
        assert parent_api.post(LINK, {"id_token": token}, format="json").status_code == 200

    identity.refresh_from_db()
    assert identity.trusted
    assert mfa_changes_received(trusted_again) == [(parent.email, SignInChange.FIREBASE_LINKED)]
    assert mfa_changes_received(unchanged) == []


def test_a_sign_in_that_trusts_a_link_again_tells_the_owner(
    api: APIClient, parent: User, google: StandIn, django_capture_on_commit_callbacks: Any
) -> None:
    """Firebase vouches for the account's own address, so the link signs in again."""
    FirebaseIdentity.objects.create(user=parent, uid="uid-linked", provider="google.com", trusted=False)

    with django_capture_on_commit_callbacks() as callbacks:
        assert sign_in(api, google.token(uid="uid-linked", email=parent.email)).status_code == 200

    assert mfa_changes_received(callbacks) == [(parent.email, SignInChange.FIREBASE_LINKED)]


def test_staff_unlinking_tells_the_owner(parent: User, staff: User, django_capture_on_commit_callbacks: Any) -> None:
    identity = FirebaseIdentity.objects.create(user=parent, uid="uid-linked", provider="google.com", trusted=True)

    with django_capture_on_commit_callbacks() as callbacks:
        firebase_identity_unlink(identity=identity, actor=staff)

    assert mfa_changes_received(callbacks) == [(parent.email, SignInChange.FIREBASE_UNLINKED)]


def test_a_first_sign_in_that_makes_the_account_sends_no_such_email(
    api: APIClient, google: StandIn, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        assert sign_in(api, google.token(uid="uid-new", email="new.parent@example.com")).status_code == 200

    assert User.objects.filter(email="new.parent@example.com").exists()
    assert mfa_changes_received(callbacks) == []

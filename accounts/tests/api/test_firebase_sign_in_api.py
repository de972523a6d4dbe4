"""POST auth/firebase: a Firebase ID token signs in the user its uid is linked to, and nothing else does."""

from __future__ import annotations

import time
from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import FirebaseIdentity, User, UserSession
from accounts.tests import verified_personas
from accounts.tests.factories import ParentFactory
from accounts.tests.firebase_helpers import sign_in
from accounts.tests.google import KID, StandIn, unsigned_token
from accounts.tests.problems import assert_problem
from guardiannest.audit.models import AuditEvent

# The personas with a verified email: these tests add or change ways to sign in.
parent = verified_personas.parent
other_parent = verified_personas.other_parent

pytestmark = pytest.mark.django_db


def me(access: str) -> dict[str, Any]:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    response = client.get("/api/v1/auth/me")
    assert response.status_code == 200, response.content
    return response.json()


def nothing_changed(users_before: int) -> None:
    assert User.objects.count() == users_before
    assert not FirebaseIdentity.objects.exists()
    assert not UserSession.objects.exists()


# --- a good token ---------------------------------------------------------------------------


def test_a_new_firebase_user_gets_a_parent_account_a_link_and_tokens(api: APIClient, google: StandIn) -> None:
    # when
    response = sign_in(api, google.token(uid="uid-new", email="New.Parent@Example.com"))
    # then
    assert response.status_code == 200, response.content
    assert set(response.json()) == {"access", "refresh"}
    user = User.objects.get(email="new.parent@example.com")
    assert me(response.json()["access"])["id"] == str(user.pk)
    assert user.role == "parent"
    assert user.email_verified_at is not None
    assert not user.has_usable_password()
    identity = FirebaseIdentity.objects.get(uid="uid-new")
    assert (identity.user, identity.provider, identity.trusted) == (user, "google.com", True)
    assert identity.last_used_at is not None
    session = UserSession.objects.get(user=user)
    assert session.method == "firebase"
    succeeded = AuditEvent.objects.get(action="auth.login_succeeded", target_id=str(user.pk))
    assert succeeded.data["method"] == "firebase"
    assert AuditEvent.objects.filter(action="user.registered", target_id=str(user.pk)).exists()
    # the revocation check asked Google, authenticated with the service account's access token
    assert google.lookups == [{"uids": ["uid-new"], "authorization": "Bearer stand-in-oauth-access-token"}]


def test_the_second_sign_in_is_the_same_user(api: APIClient, google: StandIn) -> None:
    first = sign_in(api, google.token(uid="uid-again", email="again@example.com"))
    second = sign_in(api, google.token(uid="uid-again", email="again@example.com"))
    assert first.status_code == second.status_code == 200
    assert me(first.json()["access"])["id"] == me(second.json()["access"])["id"]
    assert User.objects.filter(email="again@example.com").count() == 1
    assert FirebaseIdentity.objects.count() == 1
    assert UserSession.objects.filter(method="firebase").count() == 2


def test_the_link_is_by_uid_not_by_email(api: APIClient, google: StandIn) -> None:
    """The Firebase account changed its email: still its user. Another uid with that email: not."""
    sign_in(api, google.token(uid="uid-linked", email="first@example.com"))
    user = User.objects.get(email="first@example.com")
    renamed = sign_in(api, google.token(uid="uid-linked", email="renamed@example.com"))
    assert renamed.status_code == 200
    assert me(renamed.json()["access"])["id"] == str(user.pk)

    intruder = sign_in(api, google.token(uid="uid-intruder", email="first@example.com"))
    assert_problem(intruder, 409, "account_exists")
    assert not FirebaseIdentity.objects.filter(uid="uid-intruder").exists()


def test_the_refresh_token_works_like_any_other(api: APIClient, google: StandIn) -> None:
    pair = sign_in(api, google.token(uid="uid-refresh")).json()
    response = api.post("/api/v1/auth/token/refresh", {"refresh": pair["refresh"]}, format="json")
    assert response.status_code == 200
    assert me(response.json()["access"])["email"] == "new.parent@example.com"


def test_an_unverified_email_creates_no_account(api: APIClient, google: StandIn) -> None:
    """Pre-registration: nobody may claim a parent's address through an unverifying provider."""
    response = sign_in(api, google.token(uid="uid-squatter", email="victim@example.com", email_verified=False))
    assert_problem(response, 400, "firebase_email_unverified")
    assert not User.objects.filter(email="victim@example.com").exists()
    assert not FirebaseIdentity.objects.filter(uid="uid-squatter").exists()
    # once Firebase vouches for the address, the same uid gets its account
    again = sign_in(api, google.token(uid="uid-squatter", email="victim@example.com", email_verified=True))
    assert again.status_code == 200
    assert User.objects.get(email="victim@example.com").email_verified_at is not None
    assert FirebaseIdentity.objects.get(uid="uid-squatter").trusted is True


def test_a_token_without_an_email_cannot_create_an_account(api: APIClient, google: StandIn) -> None:
    response = sign_in(api, google.token(uid="uid-phone", email=None, provider="phone"))
    assert_problem(response, 400, "firebase_email_required")
    nothing_changed(0)


def test_with_mfa_on_the_answer_is_the_mfa_challenge_not_tokens(api: APIClient, google: StandIn, parent: User) -> None:
    from accounts.models import TOTPDevice

    FirebaseIdentity.objects.create(user=parent, uid="uid-mfa", provider="google.com", trusted=True)
    TOTPDevice.objects.create(user=parent, name="phone", confirmed=True)
    # when
    response = sign_in(api, google.token(uid="uid-mfa", email=parent.email))
    # then
    assert response.status_code == 200
    body = response.json()
    assert body["mfa_required"] is True
    assert body["mfa_token"]
    assert "access" not in body
    assert "refresh" not in body
    assert not UserSession.objects.filter(user=parent).exists()


# --- tokens that must not get in ---------------------------------------------------------------


def _claims(google: StandIn, **overrides: Any) -> dict[str, Any]:
    claims = google.claims(uid="uid-bad", email="bad@example.com", **overrides)
    google.add_user("uid-bad", email="bad@example.com")
    return claims


def test_the_control_token_the_bad_ones_are_made_from_gets_in(api: APIClient, google: StandIn) -> None:
    """Each bad token below differs from this one in one way only."""
    response = sign_in(api, google.sign(_claims(google)))
    assert response.status_code == 200, response.content


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("expired", "firebase_token_expired"),
        ("wrong_audience", "firebase_token_invalid"),
        ("wrong_issuer", "firebase_token_invalid"),
        ("wrong_key_same_kid", "firebase_token_invalid"),
        ("alg_none", "firebase_token_invalid"),
        ("hs256_with_our_kid", "firebase_token_invalid"),
        ("no_kid", "firebase_token_invalid"),
        ("unknown_kid", "firebase_token_invalid"),
        ("issued_in_the_future", "firebase_token_invalid"),
        ("auth_time_in_the_future", "firebase_token_invalid"),
        ("no_auth_time", "firebase_token_invalid"),
        ("garbage", "firebase_token_invalid"),
        ("revoked", "firebase_token_revoked"),
        ("disabled", "firebase_user_disabled"),
        ("deleted_in_firebase", "firebase_token_invalid"),
    ],
)
def test_a_bad_token_is_401_and_changes_nothing(
    api: APIClient, google: StandIn, other_key: Any, case: str, code: str
) -> None:
    now = int(time.time())
    token = {
        "expired": lambda: google.sign(_claims(google, age=7200)),
        "wrong_audience": lambda: google.sign(_claims(google, aud="someone-elses-project")),
        "wrong_issuer": lambda: google.sign(
            _claims(google, iss="https://securetoken.google.com/someone-elses-project")
        ),
        "wrong_key_same_kid": lambda: google.sign(_claims(google), key=other_key),
        "alg_none": lambda: unsigned_token(_claims(google)),
        "hs256_with_our_kid": lambda: _hs256(google.certs[KID], _claims(google)),
        "no_kid": lambda: google.sign(_claims(google), kid=None),
        "unknown_kid": lambda: google.sign(_claims(google), kid="not-a-google-key"),
        "issued_in_the_future": lambda: google.sign(_claims(google, iat=now + 600)),
        "auth_time_in_the_future": lambda: google.sign(_claims(google, auth_time=now + 600)),
        "no_auth_time": lambda: google.sign(_claims(google, auth_time=None)),
        "garbage": lambda: "this-is-not-a-jwt",
        "revoked": lambda: _revoked(google),
        "disabled": lambda: _disabled(google),
        "deleted_in_firebase": lambda: google.token(uid="uid-gone", register=False),
    }[case]()
    # when
    response = sign_in(api, token)
    # then
    assert_problem(response, 401, code)
    nothing_changed(0)
    assert AuditEvent.objects.filter(action="auth.login_failed", data__method="firebase").count() == 1


def _hs256(secret: str, claims: dict[str, Any]) -> str:
    """The classic confusion: the public certificate used as an HMAC secret (PyJWT refuses to, so by hand)."""
    import base64
    import hashlib
    import hmac
    import json

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    signing_input = f"{b64(json.dumps({'alg': 'HS256', 'kid': KID}).encode())}.{b64(json.dumps(claims).encode())}"
    signature = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


def _revoked(google: StandIn) -> str:
    """The user's sessions were revoked in Firebase after this token was issued."""
    token = google.sign(_claims(google, age=120))
    google.users["uid-bad"]["validSince"] = str(int(time.time()) - 60)
    return token


def _disabled(google: StandIn) -> str:
    token = google.sign(_claims(google))
    google.users["uid-bad"]["disabled"] = True
    return token


def test_a_revoked_or_disabled_firebase_user_is_refused_even_when_linked(
    api: APIClient, google: StandIn, parent: User
) -> None:
    FirebaseIdentity.objects.create(user=parent, uid="uid-parent", provider="google.com", trusted=True)
    token = google.token(uid="uid-parent", email=parent.email, age=120)
    google.users["uid-parent"]["validSince"] = str(int(time.time()) - 10)
    assert_problem(sign_in(api, token), 401, "firebase_token_revoked")
    google.users["uid-parent"]["validSince"] = str(int(time.time()) - 3600)
    google.users["uid-parent"]["disabled"] = True
    assert_problem(sign_in(api, token), 401, "firebase_user_disabled")
    assert not UserSession.objects.filter(user=parent).exists()
    # the parent sees both attempts among their security events
    assert AuditEvent.objects.filter(action="auth.login_failed", target_id=str(parent.pk)).count() == 2


def test_a_deactivated_local_user_is_refused(api: APIClient, google: StandIn) -> None:
    user = ParentFactory(email="gone@example.com", is_active=False)
    FirebaseIdentity.objects.create(user=user, uid="uid-gone-local", provider="google.com", trusted=True)
    response = sign_in(api, google.token(uid="uid-gone-local", email="gone@example.com"))
    assert_problem(response, 401, "no_active_account")
    assert not UserSession.objects.filter(user=user).exists()
    assert FirebaseIdentity.objects.get(uid="uid-gone-local").last_used_at is None


def test_an_email_that_already_has_an_account_is_409_and_links_nothing(
    api: APIClient, google: StandIn, parent: User
) -> None:
    # when: even a verified email does not link by itself
    response = sign_in(api, google.token(uid="uid-collision", email=parent.email.upper(), email_verified=True))
    # then
    assert_problem(response, 409, "account_exists")
    assert not FirebaseIdentity.objects.exists()
    assert not UserSession.objects.exists()
    assert User.objects.count() == 1


# --- input -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [{}, {"id_token": ""}, {"id_token": None}, {"id_token": ["a"]}, {"id_token": "x" * 9000}, {"token": "x"}],
)
def test_missing_or_malformed_input_is_400(api: APIClient, google: StandIn, body: dict[str, Any]) -> None:
    response = api.post("/api/v1/auth/firebase", body, format="json")
    assert_problem(response, 400)
    assert not google.lookups
    nothing_changed(0)


def test_an_unknown_field_is_400(api: APIClient, google: StandIn) -> None:
    response = api.post("/api/v1/auth/firebase", {"id_token": google.token(), "role": "staff"}, format="json")
    assert_problem(response, 400)
    nothing_changed(0)

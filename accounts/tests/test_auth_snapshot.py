"""The authentication snapshot (accounts/auth_snapshot.py): served from Redis, stale once what it holds changes.

Each test first makes a request that keeps a snapshot, checks the next one is
served by it (no authentication query), then changes what the query reads by
the path under test and checks the very next request sees the change. Real
Redis and PostgreSQL, through the API.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.contrib.auth.hashers import make_password
from django.core.cache import cache
from django.db import connection, models
from django.db.models.expressions import Col
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import auth_snapshot
from accounts.models import TOTPDevice, User, UserSession
from accounts.services.sessions import session_touch
from accounts.tests.factories import PASSWORD, TOTPDeviceFactory
from accounts.tests.helpers import sign_in
from guardiannest.cache import redis_batch

pytestmark = pytest.mark.django_db

ME = "/api/v1/auth/me"


def _auth_queries(phone: APIClient) -> tuple[int, list[str]]:
    """The status of GET auth/me, and the statements it ran that read the user table."""
    with CaptureQueriesContext(connection) as queries:
        status = phone.get(ME).status_code
    return status, [query["sql"] for query in queries.captured_queries if "accounts_user" in query["sql"]]


def _kept(phone: APIClient) -> None:
    """A snapshot is kept by one request and serves the next: no query reads the user."""
    assert phone.get(ME).status_code == 200
    status, reads = _auth_queries(phone)
    assert (status, reads) == (200, [])


def _session(phone_user: User) -> UserSession:
    return UserSession.objects.filter(user=phone_user, ended_at__isnull=True).latest("created_at")


# --- served, and what it holds ---------------------------------------------------------------------------


def test_the_second_request_is_served_without_a_query(parent: User) -> None:
    phone, _ = sign_in(parent)

    status, reads = _auth_queries(phone)
    assert status == 200 and len(reads) == 1  # the first asks the database and keeps the answer

    hits = _lookups("hit")
    _kept(phone)
    assert _lookups("hit") == hits + 2  # both of _kept's requests
    assert phone.get(ME).json()["email"] == parent.email


def test_the_snapshot_never_holds_the_password_hash(parent: User) -> None:
    phone, _ = sign_in(parent)
    _kept(phone)
    raw = cache.raw_client()  # type: ignore[attr-defined]
    values = [raw.get(key) for key in raw.scan_iter(match=f"*auth:session:{parent.pk.hex}:*")]

    assert values and all(parent.password.encode() not in value for value in values)
    assert all(parent.password.split("$")[-1].encode() not in value for value in values)


def test_a_user_made_from_a_snapshot_still_checks_its_password(parent: User) -> None:
    _, tokens = sign_in(parent)
    claims = _claims(tokens["access"])
    _served(parent.pk, claims)  # keeps it

    user = _served(parent.pk, claims)

    assert "password" in user.get_deferred_fields()
    assert user.check_password(PASSWORD)  # loads the hash from the database
    assert not user.check_password("not-the-password")


def test_a_snapshot_kept_under_an_older_version_is_stale() -> None:
    """The version is read before the database is asked: a change in between leaves the kept answer stale."""
    user_id, session_id = uuid.uuid4(), uuid.uuid4()
    batch = redis_batch()
    assert batch is not None
    lookup = auth_snapshot.SnapshotLookup(batch, user_id, session_id)
    batch.send()
    assert lookup.row() is None  # nothing kept yet; the version is now fixed for this look-up

    auth_snapshot.invalidate([user_id])  # a change lands while the database is being asked
    lookup.keep(("old answer",))

    again = redis_batch()
    assert again is not None
    second = auth_snapshot.SnapshotLookup(again, user_id, session_id)
    again.send()
    assert second.row() is None
    second.keep(("new answer",))

    third_batch = redis_batch()
    assert third_batch is not None
    third = auth_snapshot.SnapshotLookup(third_batch, user_id, session_id)
    third_batch.send()
    assert third.row() == ("new answer",)


def test_an_unreadable_snapshot_is_a_miss(parent: User) -> None:
    phone, _ = sign_in(parent)
    _kept(phone)
    raw = cache.raw_client()  # type: ignore[attr-defined]
    for key in raw.scan_iter(match=f"*auth:session:{parent.pk.hex}:*"):
        version = raw.get(key).split(b"|", 1)[0]
        raw.set(key, version + b"|{not json")

    status, reads = _auth_queries(phone)

    assert (status, len(reads)) == (200, 1)


@override_settings(AUTH_SNAPSHOT_TTL=0)
def test_a_ttl_of_zero_keeps_nothing(parent: User) -> None:
    phone, _ = sign_in(parent)
    for _ in range(2):
        status, reads = _auth_queries(phone)
        assert (status, len(reads)) == (200, 1)
    raw = cache.raw_client()  # type: ignore[attr-defined]
    assert list(raw.scan_iter(match="*auth:session:*")) == []


# --- every way the answer changes makes it stale ---------------------------------------------------------


def test_logout(parent: User) -> None:
    phone, tokens = sign_in(parent)
    _kept(phone)

    assert phone.post("/api/v1/auth/logout", {"refresh": tokens["refresh"]}, format="json").status_code == 204

    assert phone.get(ME).status_code == 401


def test_a_session_ended_by_a_bulk_update(parent: User) -> None:
    phone, _ = sign_in(parent)
    _kept(phone)

    UserSession.objects.filter(user=parent).update(ended_at=timezone.now(), end_reason="revoked")

    assert phone.get(ME).status_code == 401


def test_a_session_deleted_in_bulk_and_by_its_user_s_cascade(parent: User, other_parent: User) -> None:
    phone, _ = sign_in(parent)
    other, _ = sign_in(other_parent)
    _kept(phone)
    _kept(other)

    UserSession.objects.filter(user=parent).delete()
    other_parent.delete()  # the sessions go by cascade, one signal each

    assert phone.get(ME).status_code == 401
    assert other.get(ME).status_code == 401


@pytest.mark.parametrize("change", ["update", "save"])
def test_a_deactivated_account(parent: User, change: str) -> None:
    phone, _ = sign_in(parent)
    _kept(phone)

    if change == "update":
        User.objects.filter(pk=parent.pk).update(is_active=False)
    else:
        parent.is_active = False
        parent.save(update_fields=["is_active"])

    assert phone.get(ME).status_code == 401


def test_a_changed_name_shows_at_once(parent: User) -> None:
    phone, _ = sign_in(parent)
    _kept(phone)

    User.objects.filter(pk=parent.pk).update(first_name="Renamed")

    assert phone.get(ME).json()["first_name"] == "Renamed"


def test_staff_granted_to_a_one_factor_session_refuses_it(parent: User) -> None:
    phone, _ = sign_in(parent)
    _kept(phone)

    User.objects.filter(pk=parent.pk).update(role="staff", is_staff=True)

    assert phone.get(ME).status_code == 401


def test_mfa_turned_on_and_off_through_querysets(parent: User) -> None:
    phone, _ = sign_in(parent)
    _kept(phone)
    TOTPDeviceFactory(user=parent, confirmed=False)
    _kept(phone)

    TOTPDevice.objects.filter(user=parent, confirmed=False).update(confirmed=True)
    assert phone.get(ME).json()["mfa_enabled"] is True
    _kept(phone)

    TOTPDevice.objects.filter(user=parent).delete()
    assert phone.get(ME).json()["mfa_enabled"] is False


def test_a_device_confirmed_by_bulk_update_and_made_in_bulk(parent: User, other_parent: User) -> None:
    phone, _ = sign_in(parent)
    other, _ = sign_in(other_parent)
    unconfirmed = TOTPDeviceFactory(user=parent, confirmed=False)
    _kept(phone)
    _kept(other)

    unconfirmed.confirmed = True
    TOTPDevice.objects.bulk_update([unconfirmed], ["confirmed"])
    TOTPDevice.objects.bulk_create([TOTPDeviceFactory.build(user=other_parent, confirmed=True)])

    assert phone.get(ME).json()["mfa_enabled"] is True
    assert other.get(ME).json()["mfa_enabled"] is True


def test_a_user_saved_with_a_new_password_by_the_admin_form_path(parent: User) -> None:
    phone, _ = sign_in(parent)
    _kept(phone)

    parent.password = make_password("a-brand-new-passphrase")
    parent.save()

    status, reads = _auth_queries(phone)
    assert (status, len(reads)) == (200, 1)  # stale: asked again (the session itself lives on, as before)


# --- writes that cannot change the answer leave it alone ---------------------------------------------------


def test_a_session_touched_by_a_refresh_keeps_its_snapshot(parent: User) -> None:
    phone, _ = sign_in(parent)
    _kept(phone)
    session = _session(parent)
    session.last_used_at = timezone.now() - timezone.timedelta(minutes=5)

    session_touch(session=session, client=None)  # last_used_at and ip: not read by authentication
    UserSession.objects.filter(pk=session.pk).update(refresh_jti="rotated")

    status, reads = _auth_queries(phone)
    assert (status, reads) == (200, [])


def test_the_read_fields_cover_every_column_the_query_reads() -> None:
    """``READ_FIELDS`` must name each session and device column the compiled query uses, or a write could slip by."""
    used = _columns(_authentication_queryset().query)  # UserManager._authentication_query's queryset, same filters

    assert used[UserSession] <= auth_snapshot.READ_FIELDS["accounts.UserSession"]
    assert used[TOTPDevice] <= auth_snapshot.READ_FIELDS["accounts.TOTPDevice"]
    assert {"ended_at", "method"} <= used[UserSession] and "confirmed" in used[TOTPDevice]


# --- helpers ------------------------------------------------------------------------------------------------


def _lookups(outcome: str) -> float:
    return auth_snapshot.LOOKUPS.labels(outcome=outcome)._value.get()


def _claims(access: str) -> dict[str, Any]:
    from rest_framework_simplejwt.tokens import AccessToken

    return dict(AccessToken(access).payload)


def _served(user_id: Any, claims: dict[str, Any]) -> User:
    batch = redis_batch()
    assert batch is not None
    lookup = User.objects.authentication_snapshot(batch, user_id, claims)
    batch.send()
    user = User.objects.get_for_authentication(user_id, claims, snapshot=lookup)
    assert user is not None
    return user


def _authentication_queryset() -> models.QuerySet[User]:
    from django.db.models import Exists, F, OuterRef

    from accounts.models.mfa import mfa_devices

    return User.objects.filter(pk=uuid.uuid4(), sessions__pk=uuid.uuid4(), sessions__ended_at__isnull=True).annotate(
        mfa_on=Exists(mfa_devices().filter(user=OuterRef("pk"))), session_method=F("sessions__method")
    )


def _columns(query: Any) -> dict[type[models.Model], set[str]]:
    """Every (model, column) the query's filters, joins and annotations name, subqueries included."""
    found: dict[type[models.Model], set[str]] = {}

    def walk(node: Any) -> None:
        if isinstance(node, Col):
            found.setdefault(node.target.model, set()).add(node.target.attname)
            found[node.target.model].add(node.target.name)
        subquery = getattr(node, "query", None)
        if subquery is not None and subquery is not node:
            walk_query(subquery)
        for child in getattr(node, "children", []) or []:
            walk(child)
        for attribute in ("lhs", "rhs"):
            if hasattr(node, attribute):
                walk(getattr(node, attribute))
        if hasattr(node, "get_source_expressions"):
            for source in node.get_source_expressions():
                if source is not None:
                    walk(source)

    def walk_query(inner: Any) -> None:
        walk(inner.where)
        for annotation in inner.annotations.values():
            walk(annotation)
        for join in inner.alias_map.values():
            field = getattr(join, "join_field", None)  # the first table has none
            if field is not None:
                for left, right in field.get_joining_fields():
                    for column in (left, right):
                        found.setdefault(column.model, set()).update({column.attname, column.name})

    walk_query(query)
    return found

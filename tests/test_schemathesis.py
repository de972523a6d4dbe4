"""Property-based tests of the whole API from its own OpenAPI schema (SECURITY.md, "Input and files").

Schemathesis loads ``/api/schema`` from the Django WSGI application in-process
and sends generated requests to every operation the schema describes, through
the whole middleware stack, on the real test database. Every answer must be:

* no server error (``not_a_server_error``: no 5xx);
* a status code the schema declares for the operation (``status_code_conformance``);
* a Content-Type the schema declares for that status (``content_type_conformance``);
* a body that matches the schema of that status and type (``response_schema_conformance``);
* refused without credentials where the schema asks for them (``ignored_auth``:
  an operation that answers 2xx to the parent is replayed with no token and
  with a made-up one, and must then answer 401/403).

Two passes:

* ``test_api_as_parent``: every operation, signed in as a real parent (an
  access JWT from ``tokens_for``), with valid and invalid data. Part of the
  generated ids and values are drawn from objects the fixture creates (a child,
  an emergency contact, a favourite sitter, a session, a passkey, an export),
  so detail routes answer 200/204 as well as 404 and their bodies get checked.
* ``test_api_unauthenticated``: every operation whose schema requires
  ``jwtAuth``, sent once as generated (schemathesis makes up ``Authorization``
  values from the security scheme) and once with no ``Authorization`` at all,
  must answer 401 problem+json, whatever the input. The one exception is a
  path no route matches (a non-UUID id): 404 from the resolver, before any view.

Nothing is skipped: ``auth/logout`` needs a refresh token and
``security/delete-account``, ``auth/password/change`` and
``auth/mfa/totp/disable`` need the password (or a TOTP code), which no generated
input can guess, so they are fuzzed for their input validation without ending
the run. Each operation gets its own parent and objects (rolled back after it),
so what one operation deletes or changes does not leak into the next.

Each operation is its own pytest item (``test_api_as_parent[GET /api/v1/auth/me]``),
parametrised here from the loaded schema and driven by ``operation.as_strategy()``
in both generation modes, as schemathesis' own fuzzing phase does. (Its
``@schema.parametrize()`` gives every item the same node id under pytest 9.2,
so pytest-xdist, which ``make test`` uses, ran only the first operation.)

Bounded for CI on 2 cores: ``MAX_EXAMPLES`` per operation, deterministic
generation (Hypothesis ``derandomize``), no shrinking, no example database on
disk, no coverage or stateful phase.

django-axes stays on: the generated sign-ins use random emails, so no account
and IP pair reaches the lockout limit, and a lockout would be a declared 429.
"""

from __future__ import annotations

import datetime
import json
import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.urls import Resolver404, resolve
from hypothesis import Phase, example, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from accounts.models import Child, DataExport, EmergencyContact, FavoriteSitter, Passkey, User, UserSession
from accounts.services.auth import tokens_for
from accounts.tests.factories import ParentFactory, SitterFactory
from accounts.tests.front_door import route_google_to
from accounts.tests.google import PROJECT_ID, StandIn, rsa_key, serve
from guardiannest.wsgi import application

pytestmark = pytest.mark.slow

MAX_EXAMPLES = 15
UNAUTHENTICATED_MAX_EXAMPLES = 3
# How often a bound parameter takes a seeded value rather than a generated one.
SEEDED = 0.5

# Objects the parent owns, with ids fixed here so the generator can use them.
CHILD_ID = uuid.UUID("00000000-0000-4000-8000-00000000c401")
CONTACT_ID = uuid.UUID("00000000-0000-4000-8000-00000000c402")
SITTER_ID = uuid.UUID("00000000-0000-4000-8000-00000000c403")
SESSION_ID = uuid.UUID("00000000-0000-4000-8000-00000000c404")
PASSKEY_ID = uuid.UUID("00000000-0000-4000-8000-00000000c405")
EXPORT_ID = uuid.UUID("00000000-0000-4000-8000-00000000c406")
# Valid values random generation hardly ever hits: a child's birth date (not in
# the future, at most 18 years ago) and an E.164 phone number.
BIRTH_DATE = (datetime.date.today() - datetime.timedelta(days=5 * 365)).isoformat()
PHONE = "+14155550123"
CONTACT_PRIORITY = 1  # the seeded contact's: a new one asking for it is a state conflict
TOTP_CODE = "123456"  # well-formed, so the MFA operations get past input validation to their state checks

# The schemathesis WSGI transport sends requests' default ``Accept-Encoding:
# gzip, deflate`` but gives the checks the body as it came: behind Django's
# GZipMiddleware every answer would be unreadable gzip. Ask for it plain.
PLAIN = {"Accept-Encoding": "identity"}


def _dictionary(*values: str | int) -> dict[str, list[str | int]]:
    return {"values": list(values)}


# Inputs that once broke an operation, sent first on every run (Hypothesis explicit examples), so a
# bug the fuzzing found stays caught whatever the generator draws next time.
REGRESSIONS: dict[str, list[dict[str, Any]]] = {
    # 500 (open): a well-formed code and an mfa_token with a control character or a space reach
    # cache.get() with the raw token in the key (accounts/services/mfa.py:349-350): CacheKeyWarning,
    # an error under the suite's ``filterwarnings = error::RuntimeWarning``.
    "POST /api/v1/auth/login/mfa": [
        {"body": {"code": TOTP_CODE, "mfa_token": "stale token\n"}, "media_type": "application/json"},
    ],
}

# What the checks and the generator read; the Hypothesis run itself is set by ``_fuzz`` below.
CONFIG = schemathesis.Config.from_dict(
    {
        "checks": {
            "enabled": False,
            "not_a_server_error": {"enabled": True},
            "status_code_conformance": {"enabled": True},
            "content_type_conformance": {"enabled": True},
            "response_schema_conformance": {"enabled": True},
            "ignored_auth": {"enabled": True},
        },
        "dictionaries": {
            "child": _dictionary(str(CHILD_ID)),
            "contact": _dictionary(str(CONTACT_ID)),
            "sitter": _dictionary(str(SITTER_ID)),
            "session": _dictionary(str(SESSION_ID)),
            "passkey": _dictionary(str(PASSKEY_ID)),
            "export": _dictionary(str(EXPORT_ID)),
            "birth_date": _dictionary(BIRTH_DATE),
            "phone": _dictionary(PHONE),
            "priority": _dictionary(CONTACT_PRIORITY),
            "code": _dictionary(TOTP_CODE),
        },
        "parameters": {
            "path.child_id": {"dictionary": "child", "probability": SEEDED},
            "path.contact_id": {"dictionary": "contact", "probability": SEEDED},
            "path.sitter_id": {"dictionary": "sitter", "probability": SEEDED},
            "body.sitter_id": {"dictionary": "sitter", "probability": SEEDED},
            "path.session_id": {"dictionary": "session", "probability": SEEDED},
            "path.passkey_id": {"dictionary": "passkey", "probability": SEEDED},
            "path.export_id": {"dictionary": "export", "probability": SEEDED},
            "body.birth_date": {"dictionary": "birth_date", "probability": SEEDED},
            "body.phone": {"dictionary": "phone", "probability": SEEDED},
            "body.priority": {"dictionary": "priority", "probability": SEEDED},
            "body.code": {"dictionary": "code", "probability": SEEDED},
        },
    }
)

schema = schemathesis.openapi.from_wsgi("/api/schema?format=json", application, config=CONFIG, headers=PLAIN)
# An operation the schema describes so badly that schemathesis cannot load it is an error item of its own.
OPERATIONS = [result.ok() if hasattr(result, "ok") else result.err() for result in schema.get_all_operations()]


# --- known schema gaps ---------------------------------------------------------------------------
# Places where the schema lies and only application code can fix it. Each entry drops exactly one
# kind of failure (one check, one status code) on one operation, nothing else; every other check
# still runs there. ``test_known_schema_gaps_are_still_open`` fails as soon as the schema is fixed,
# so the entry is removed with the fix. Server errors (5xx) are never listed here.

UNDOCUMENTED_STATUS = "ST103"  # status_code_conformance
SCHEMA_VIOLATION = "ST108"  # response_schema_conformance


@dataclass(frozen=True)
class KnownGap:
    operation: str  # "METHOD /path" as in the schema
    failure: str  # schemathesis failure code
    status: int
    why: str

    def covers(self, failure: Any, case: schemathesis.Case, response: schemathesis.Response) -> bool:
        return (
            case.operation.label == self.operation
            and failure.code == self.failure
            and response.status_code == self.status
        )


# Each entry hides exactly one failure type at one status on one operation, with the
# reason and where to fix it; the tripwire below fails once the schema is fixed.
KNOWN_GAPS: tuple[KnownGap, ...] = ()


@schema.hook
def filter_failure(context: Any, failure: Any, case: schemathesis.Case, response: schemathesis.Response) -> bool:
    """Keep every failure but the known gaps above."""
    return not any(gap.covers(failure, case, response) for gap in KNOWN_GAPS)


def _still_open(gap: KnownGap) -> bool:
    method, path = gap.operation.split(" ", 1)
    responses = schema.raw_schema["paths"][path][method.lower()]["responses"]
    if gap.failure == UNDOCUMENTED_STATUS:
        return str(gap.status) not in responses
    body = responses[str(gap.status)]["content"]["application/json"]["schema"]
    return body.get("type") == "array"  # the paginated envelope is an object


def test_known_schema_gaps_are_still_open() -> None:
    fixed = [gap for gap in KNOWN_GAPS if not _still_open(gap)]
    assert not fixed, f"Fixed in the schema: remove them from KNOWN_GAPS: {fixed}"


@pytest.fixture
def wsgi_in_test_transaction(db: None) -> Iterator[None]:
    """Let the WSGI application run inside the test's transaction, as Django's test client does.

    The handler sends request_started and request_finished, whose close_old_connections would
    close the connection in the middle of the test transaction (CONN_MAX_AGE is 0 in tests).
    Django's test client disconnects it around each request; here it is off for the test. Each
    operation is its own pytest item, so a rollback per operation instead of a flush of every
    table (``transaction=True``), which would cost the run half a minute. As in the rest of the
    suite, ``on_commit`` callbacks (mail, Celery enqueues) do not run here.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture(scope="module")
def _google() -> Iterator[StandIn]:
    """Google's side of Firebase on a loopback port (accounts/tests/google.py)."""
    stand_in, server = serve(rsa_key(), rsa_key())
    yield stand_in
    server.shutdown()
    server.server_close()


@pytest.fixture
def firebase(_google: StandIn, settings: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> StandIn:
    """Firebase sign-in set up against the stand-in, so ``auth/firebase*`` answer as in production, not 503."""
    credentials = tmp_path / "service-account.json"
    credentials.write_text(json.dumps(_google.service_account()))
    _google.reset()
    settings.FIREBASE_PROJECT_ID = PROJECT_ID
    settings.FIREBASE_CREDENTIALS = str(credentials)
    route_google_to(monkeypatch, _google.base_url)
    return _google


@pytest.fixture
def fuzz_parent(wsgi_in_test_transaction: None) -> User:
    """A real parent whose password no generated input can guess, owning one of everything with a detail route."""
    parent = ParentFactory(email="fuzz.parent@example.com", password=secrets.token_urlsafe(24))
    Child.objects.create(
        id=CHILD_ID, parent=parent, first_name="Ada", birth_date=datetime.date.fromisoformat(BIRTH_DATE)
    )
    EmergencyContact.objects.create(id=CONTACT_ID, parent=parent, name="Grace", phone=PHONE, priority=CONTACT_PRIORITY)
    FavoriteSitter.objects.create(parent=parent, sitter=SitterFactory(id=SITTER_ID, email="fuzz.sitter@example.com"))
    UserSession.objects.create(id=SESSION_ID, user=parent)
    Passkey.objects.create(
        id=PASSKEY_ID, user=parent, name="Laptop", credential_id="c2VlZGVk", public_key=b"\xa0", user_handle="aGFuZGxl"
    )
    DataExport.objects.create(id=EXPORT_ID, user=parent, status=DataExport.Status.FAILED)
    return parent


def _needs_jwt(operation: Any) -> bool:
    """The operation's ``security`` asks for jwtAuth and offers no anonymous ``{}`` alternative."""
    if isinstance(operation, Exception):
        return False  # reported by test_api_as_parent
    requirements = operation.definition.raw.get("security", schema.raw_schema.get("security", []))
    return bool(requirements) and all(requirements) and any("jwtAuth" in item for item in requirements)


def _label(operation: Any) -> str:
    return str(getattr(operation, "label", None) or operation)


def _fuzz(operation: Any, max_examples: int, call: Any) -> None:
    """Run ``call`` on ``max_examples`` cases of ``operation``, valid and invalid, the same ones every run."""
    if isinstance(operation, Exception):  # the schema of this operation could not be loaded
        raise operation
    cases = st.one_of([operation.as_strategy(generation_mode=mode) for mode in GenerationMode])

    @settings(
        max_examples=max_examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: report the failure as found
    )
    @given(case=cases)
    def run(case: schemathesis.Case) -> None:
        call(case)

    for regression in REGRESSIONS.get(operation.label, []):
        run = example(case=operation.Case(**regression))(run)
    run()


@pytest.mark.parametrize("operation", OPERATIONS, ids=_label)
def test_api_as_parent(operation: Any, fuzz_parent: User, firebase: StandIn) -> None:
    # Access tokens are not checked against sessions (accounts/models/sessions.py), so one serves the
    # whole item even after a generated call ends its session; nothing generated can change the password.
    signed_in = {**PLAIN, "Authorization": f"Bearer {tokens_for(fuzz_parent)['access']}"}

    def call(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=signed_in)

    _fuzz(operation, MAX_EXAMPLES, call)


@pytest.mark.parametrize("operation", [op for op in OPERATIONS if _needs_jwt(op)], ids=_label)
def test_api_unauthenticated(operation: Any, wsgi_in_test_transaction: None) -> None:
    def call(case: schemathesis.Case) -> None:
        # As generated (schemathesis makes up Authorization values from the security scheme), then with none.
        _assert_refused(case, case.call_and_validate(headers=PLAIN))
        case.headers.pop("Authorization", None)
        _assert_refused(case, case.call_and_validate(headers=PLAIN))

    _fuzz(operation, UNAUTHENTICATED_MAX_EXAMPLES, call)


def _assert_refused(case: schemathesis.Case, response: schemathesis.Response) -> None:
    where = f"{case.method} {case.formatted_path} -> {response.status_code} {response.text[:300]}"
    if response.status_code == 404 and not _routed(case.formatted_path):
        return
    assert response.status_code == 401, where
    assert response.headers["content-type"][0].startswith("application/problem+json"), where
    assert response.json()["status"] == 401, where


def _routed(path: str) -> bool:
    try:
        resolve(unquote(path))
    except Resolver404:
        return False
    return True

"""Every record that points at an upload takes it through one rule: ``files.selectors.file_get_usable``.

A profile photo, an ID document for verification, a certification's scan and
a chat attachment each name an upload by id. For every state a file can be in
(and for someone else's file, or one of another purpose), each caller must
answer exactly what the selector answers for its field and code: accepted, or
the same refusal word for word. A caller that checks the file its own way
again disagrees somewhere in this table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from django.db import transaction

from accounts.models import User
from files.models import Purpose
from files.selectors import file_get_usable
from files.tests.helpers import FILE_STATES, file_row
from guardiannest.errors import ApplicationError, ErrorCode, ErrorCodes
from messaging.errors import ChatError
from messaging.services.chat import message_send
from messaging.services.conversations import conversation_start
from sitters.errors import SitterError
from sitters.services.certifications import certification_create
from sitters.services.profile import sitter_profile_for, sitter_profile_update
from sitters.services.verification import verification_submit

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Caller:
    purpose: str
    field: str
    code: ErrorCodes
    owner: str  # the persona fixture that uploads and uses the file
    use: Callable[[dict[str, User], Any], object]


def _attach(people: dict[str, User], file_id: Any) -> object:
    conversation, _ = conversation_start(actor=people["parent"], participant_id=people["sitter"].pk)
    return message_send(conversation=conversation, sender=people["parent"], body="look", attachment_id=file_id)


def _photo(people: dict[str, User], file_id: Any) -> object:
    sitter = people["sitter"]
    return sitter_profile_update(profile=sitter_profile_for(user=sitter), actor=sitter, photo_id=file_id)


def _certify(people: dict[str, User], file_id: Any) -> object:
    sitter = people["sitter"]
    profile = sitter_profile_for(user=sitter)
    return certification_create(
        sitter=profile, actor=sitter, kind="cpr", issued_at=date(2020, 1, 1), document_id=file_id
    )


def _verify(people: dict[str, User], file_id: Any) -> object:
    return verification_submit(sitter=people["sitter"], id_document_id=file_id, actor=people["sitter"])


CALLERS = {
    "chat attachment": Caller(
        Purpose.MESSAGE_ATTACHMENT, "attachment_id", ChatError.UNKNOWN_ATTACHMENT, "parent", _attach
    ),
    "profile photo": Caller(Purpose.AVATAR, "photo_id", ErrorCode.INVALID, "sitter", _photo),
    "certification document": Caller(Purpose.CERTIFICATION, "document_id", ErrorCode.INVALID, "sitter", _certify),
    "verification document": Caller(
        Purpose.ID_DOCUMENT, "id_document_id", SitterError.DOCUMENT_INVALID, "sitter", _verify
    ),
}
CASES = [*(f"{status}/{scan}/{review}" for status, scan, review in FILE_STATES), "someone_elses", "other_purpose"]


def _outcome(call: Callable[[], object]) -> tuple[str, ...] | None:
    """None when accepted; else what a client sees of the refusal. In a savepoint, so nothing stays behind."""
    try:
        with transaction.atomic():
            call()
    except ApplicationError as exc:
        return (str(exc.code), str(exc.refusal), exc.detail, repr(exc.errors))
    return None


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("name", CALLERS)
def test_each_caller_answers_what_the_selector_answers(
    name: str, case: str, parent: User, sitter: User, other_parent: User, other_sitter: User
) -> None:
    caller = CALLERS[name]
    people = {"parent": parent, "sitter": sitter}
    owner = people[caller.owner]
    if case == "someone_elses":
        file = file_row(owner=other_parent if caller.owner == "parent" else other_sitter, purpose=caller.purpose)
    elif case == "other_purpose":
        other = Purpose.AVATAR if caller.purpose != Purpose.AVATAR else Purpose.MESSAGE_ATTACHMENT
        file = file_row(owner=owner, purpose=other)
    else:
        status, scan, review = case.split("/")
        file = file_row(owner=owner, purpose=caller.purpose, status=status, scan=scan, review=review)

    expected = _outcome(
        lambda: file_get_usable(
            file_id=file.pk, owner_id=owner.pk, purpose=caller.purpose, field=caller.field, code=caller.code
        )
    )
    answered = _outcome(lambda: caller.use(people, file.pk))

    assert answered == expected

"""Which uploads a record may point at: ``file_get_usable``, the one rule every caller uses.

Ready (clean, or not scanned where no scanner is configured) and not rejected
by staff. Still being checked: not yet. Rejected by the pipeline or by staff:
never. Someone else's, another purpose's, a detached or a missing file: the
same answer as no file, naming the caller's field with the caller's code.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.db import IntegrityError, transaction

from files.models import Purpose, StoredFile
from files.selectors import file_get_usable
from files.tests.helpers import FILE_STATES, file_row
from guardiannest.errors import ApplicationError, ErrorCodes, Refusal

pytestmark = pytest.mark.django_db

NOT_YET = "This upload is still being checked: use it once it is ready."
NEVER = "This upload was rejected: upload the file again."


class Caller(ErrorCodes):
    """A caller's own code for its field: the selector answers with it."""

    UNKNOWN = "unknown_thing"


def verdict(status: str, review: str) -> str | None:
    """The expected answer, written out for each state rather than derived from the code under test."""
    return {
        ("pending", "not_required"): NOT_YET,
        ("pending", "pending"): NOT_YET,
        ("pending", "approved"): NOT_YET,
        ("pending", "rejected"): NEVER,  # staff's no stands, whatever the pipeline says next
        ("ready", "not_required"): None,
        ("ready", "pending"): None,
        ("ready", "approved"): None,
        ("ready", "rejected"): NEVER,
        ("rejected", "not_required"): NEVER,
        ("rejected", "pending"): NEVER,
        ("rejected", "approved"): NEVER,
        ("rejected", "rejected"): NEVER,
    }[(status, review)]


def usable(file_id: Any, owner: Any, purpose: str = Purpose.CERTIFICATION) -> StoredFile:
    owner_id = getattr(owner, "pk", None)
    return file_get_usable(file_id=file_id, owner_id=owner_id, purpose=purpose, field="thing_id", code=Caller.UNKNOWN)


@pytest.mark.parametrize(("status", "scan", "review"), FILE_STATES)
def test_every_state_of_the_owners_file(sitter: Any, status: str, scan: str, review: str) -> None:
    file = file_row(owner=sitter, purpose=Purpose.CERTIFICATION, status=status, scan=scan, review=review)
    expected = verdict(status, review)

    if expected is None:
        assert usable(file.pk, sitter) == file
        return
    with pytest.raises(ApplicationError) as refused:
        usable(file.pk, sitter)
    assert (refused.value.code, refused.value.refusal) == (Caller.UNKNOWN, Refusal.INVALID)
    assert refused.value.errors == {"thing_id": [expected]}


def test_the_states_are_every_state_the_table_allows(sitter: Any) -> None:
    """FILE_STATES is complete: any other (status, scan) pair is refused by the database."""
    statuses, scans, reviews = StoredFile.Status.values, StoredFile.Scan.values, StoredFile.Review.values
    allowed = {(status, scan) for status, scan, _review in FILE_STATES}
    assert {review for _status, _scan, review in FILE_STATES} == set(reviews)
    for status in statuses:
        for scan in scans:
            if (status, scan) in allowed:
                continue
            with (
                pytest.raises(IntegrityError, match=r"files_ready_scanned|files_infected_rejected"),
                transaction.atomic(),
            ):
                file_row(owner=sitter, purpose=Purpose.CERTIFICATION, status=status, scan=scan)


@pytest.mark.parametrize("case", ["someone_elses", "other_purpose", "detached", "missing", "not_an_id", "no_owner"])
def test_what_is_not_the_owners_upload_of_this_purpose_looks_missing(sitter: Any, other_sitter: Any, case: str) -> None:
    mine = file_row(owner=sitter, purpose=Purpose.CERTIFICATION)
    file_id, owner = mine.pk, sitter
    if case == "someone_elses":
        owner = other_sitter
    elif case == "other_purpose":
        file_id = file_row(owner=sitter, purpose=Purpose.AVATAR).pk
    elif case == "detached":
        file_id = file_row(owner=None, purpose=Purpose.CERTIFICATION).pk
    elif case == "missing":
        file_id = uuid.uuid4()
    elif case == "not_an_id":
        file_id = "nope"
    elif case == "no_owner":
        owner = None

    with pytest.raises(ApplicationError) as refused:
        usable(file_id, owner)

    assert (refused.value.code, refused.value.refusal) == (Caller.UNKNOWN, Refusal.INVALID)
    assert refused.value.errors == {"thing_id": ["No upload of yours with the purpose certification has this id."]}

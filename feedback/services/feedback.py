"""Feedback and bug reports: a user sends one; staff triage it (status, assignee, note).

The app's version and platform come from the request's headers when the client
sends them; they are labels for staff, so a malformed one is dropped rather than
refusing the message.
"""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID

from django.db import transaction

from accounts.models import User
from feedback.models import Feedback, FeedbackKind, FeedbackStatus
from guardiannest.audit.services import audit_record
from guardiannest.errors import ApplicationError, invalid, invalid_fields, not_found
from guardiannest.text import clean_text

MESSAGE_MAX = 4000
NOTE_MAX = 2000
APP_VERSION = re.compile(r"[0-9A-Za-z][0-9A-Za-z._+-]{0,31}")
PLATFORM = re.compile(r"[a-z][a-z0-9_-]{0,15}")


def _label(value: str | None, pattern: re.Pattern[str], *, lower: bool = False) -> str:
    text = (value or "").strip()
    text = text.lower() if lower else text
    return text if pattern.fullmatch(text) else ""


def _rating(value: Any, field: str = "rating") -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        raise invalid(field, "A rating is a whole number from 1 to 5.")
    return value


def feedback_submit(
    *,
    author: User,
    kind: str,
    message: str,
    rating: int | None = None,
    app_version: str | None = None,
    platform: str | None = None,
) -> Feedback:
    """Store one message (``kind`` feedback or bug, plain text of at most 4,000 characters, rating 1-5 or none)."""
    errors: dict[str, list[str]] = {}
    if kind not in FeedbackKind.values:
        errors["kind"] = [f"One of: {', '.join(FeedbackKind.values)}."]
    text = ""
    try:
        text = clean_text(message or "", max_length=MESSAGE_MAX, field="message")
        if not text:
            errors["message"] = ["Write a message."]
    except ApplicationError as exc:  # gathered with the other fields' refusals
        errors.update(exc.errors or {})
    try:
        rating = _rating(rating)
    except ApplicationError as exc:
        errors.update(exc.errors or {})
    if errors:
        raise invalid_fields(errors)
    with transaction.atomic():
        feedback = Feedback.objects.create(
            author=author,
            author_role=author.role,
            kind=kind,
            message=text,
            rating=rating,
            app_version=_label(app_version, APP_VERSION),
            platform=_label(platform, PLATFORM, lower=True),
        )
        audit_record(action="feedback.submitted", actor=author, target=feedback, data={"kind": kind})
    return feedback


def feedback_triage(
    *,
    feedback_id: UUID,
    actor: User,
    status: str | None = None,
    assignee: User | None = None,
    unassign: bool = False,
    note: str | None = None,
) -> Feedback:
    """Staff move a message along: a status (new, triaged, closed), an assignee (staff) or none, a note.

    Whatever is not given stays. Assigning or noting a new message triages it.
    """
    if status is not None and status not in FeedbackStatus.values:
        raise invalid("status", f"One of: {', '.join(FeedbackStatus.values)}.")
    if assignee is not None and not (assignee.is_staff and assignee.is_active):
        raise invalid("assignee", "Assign to an active staff member.")
    text = None if note is None else clean_text(note, max_length=NOTE_MAX, field="note")
    with transaction.atomic():
        feedback = Feedback.objects.select_for_update().filter(pk=feedback_id).first()
        if feedback is None:
            raise not_found("No such feedback.")
        changed: dict[str, Any] = {}
        if assignee is not None and feedback.assignee_id != assignee.pk:
            feedback.assignee = assignee
            changed["assignee"] = str(assignee.pk)
        elif unassign and feedback.assignee_id is not None:
            feedback.assignee = None
            changed["assignee"] = None
        if text is not None and text != feedback.staff_note:
            feedback.staff_note = text
            changed["note"] = True  # the note itself may name people: not in the audit trail
        if status is None and changed and feedback.status == FeedbackStatus.NEW:
            status = FeedbackStatus.TRIAGED
        if status is not None and status != feedback.status:
            changed["status"] = {"from": feedback.status, "to": status}
            feedback.status = status
        if not changed:
            return feedback
        feedback.save()
        audit_record(action="feedback.triaged", actor=actor, target=feedback, data=changed)
    return feedback

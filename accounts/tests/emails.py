"""Reading the account emails a change queued: the ``mfa_changed`` email, as its owner receives it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core import mail

from accounts.emails import SUBJECTS
from accounts.services.mfa_changed import SignInChange
from accounts.tests.helpers import queued, run_queued

MFA_CHANGED_TASK = "accounts.mfa_changed_email_send"
# What each change says, as the owner reads it.
SENTENCES = {
    SignInChange.TOTP_ENABLED: "Two-step sign-in with an authenticator app was turned on for your account.",
    SignInChange.TOTP_DISABLED: "Two-step sign-in was turned off for your account.",
    SignInChange.BACKUP_CODES_REGENERATED: "New backup codes were made for your account; the old ones no longer work.",
    SignInChange.PASSKEY_ADDED: "A passkey was added to your account.",
    SignInChange.PASSKEY_REMOVED: "A passkey was removed from your account.",
    SignInChange.FIREBASE_LINKED: "A sign-in through Firebase (Google, Apple …) was linked to your account.",
    SignInChange.FIREBASE_UNLINKED: "A sign-in through Firebase was removed from your account.",
    SignInChange.MFA_GUESSING_STOPPED: (
        "Many wrong sign-in codes were tried on your account, from anywhere; "
        "signing in with a code is paused until you reset your password."
    ),
}


def mfa_changes_received(callbacks: list[Callable[[], Any]]) -> list[tuple[str, SignInChange]]:
    """Play the worker for what was queued on commit; (recipient, change) of each ``mfa_changed`` email sent.

    The change is read back from the email's text, so a change the template
    does not word is not found.
    """
    assert all(len(args) == 3 for args in queued(callbacks, MFA_CHANGED_TASK))
    already = len(mail.outbox)
    run_queued(callbacks)
    received = []
    for message in mail.outbox[already:]:
        if message.subject != str(SUBJECTS["mfa_changed"]):
            continue
        [change] = [change for change, sentence in SENTENCES.items() if sentence in message.body]
        assert SENTENCES[change] in str(message.alternatives[0][0])
        received.append((message.to[0], change))
    return received

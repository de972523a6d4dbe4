"""``manage.py totp_enrol <email>``: give an account (the first staff member) an authenticator from the shell.

The admin needs a one-time password and staff API tokens need a second
factor, so the first staff account gets its authenticator here. The secret is
printed once, for the operator to type or scan into the staff member's app; it
is stored encrypted (``accounts.services.mfa.mfa_totp_enrol_by_operator``).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import User
from accounts.services.mfa import mfa_totp_enrol_by_operator
from guardiannest.errors import ApplicationError


class Command(BaseCommand):
    help = "Give an account a confirmed TOTP authenticator and print its secret once (refused while MFA is on)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")

    def handle(self, *args: Any, email: str, **options: Any) -> None:
        user = User.objects.filter(email__iexact=email.strip()).first()
        if user is None:
            raise CommandError(f"No account with the email {email!r}.")
        try:
            setup = mfa_totp_enrol_by_operator(user=user)
        except ApplicationError as exc:
            raise CommandError(exc.detail) from exc
        self.stdout.write(f"secret: {setup.secret}")
        self.stdout.write(f"otpauth URI: {setup.otpauth_uri}")

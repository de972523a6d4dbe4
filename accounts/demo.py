"""Demo accounts for ``make run`` (listed in the README). Never loaded in production data."""

from __future__ import annotations

from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Role, User

DEMO_PASSWORD = "guardian-demo-2026"
# RFC 6238's test key, so any authenticator app can be set up from the README.
STAFF_TOTP_KEY_HEX = "3132333435363738393031323334353637383930"
STAFF_TOTP_SECRET_BASE32 = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"

DEMO_USERS = [
    ("staff@guardiannest.demo", Role.STAFF, "Sam", "Support"),
    ("parent.anna@guardiannest.demo", Role.PARENT, "Anna", "Keller"),
    ("parent.ben@guardiannest.demo", Role.PARENT, "Ben", "Ortiz"),
    ("sitter.chloe@guardiannest.demo", Role.SITTER, "Chloe", "Martin"),
    ("sitter.dev@guardiannest.demo", Role.SITTER, "Dev", "Patel"),
    ("sitter.emma@guardiannest.demo", Role.SITTER, "Emma", "Novak"),
]


def seed() -> list[tuple[str, str, str, str]]:
    rows = []
    for email, role, first_name, last_name in DEMO_USERS:
        user = User.objects.filter(email=email).first()
        if user is None:
            extra = {"is_staff": True, "is_superuser": True} if role == Role.STAFF else {}
            user = User.objects.create_user(
                email, DEMO_PASSWORD, role=role, first_name=first_name, last_name=last_name, **extra
            )
        note = ""
        if role == Role.STAFF:
            TOTPDevice.objects.get_or_create(
                user=user, name="demo", defaults={"key": STAFF_TOTP_KEY_HEX, "confirmed": True}
            )
            note = f"TOTP secret {STAFF_TOTP_SECRET_BASE32}"
        rows.append((str(role), email, DEMO_PASSWORD, note))
    return rows

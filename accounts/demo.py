"""Demo accounts for ``make run`` (listed in the README). Never loaded in production data."""

from __future__ import annotations

from accounts.models import Role, TOTPDevice, User

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


# Staff members with a role only (guardiannest.staff_roles): what a support agent and a finance clerk see and
# may do in the back office. Not superusers; the same TOTP secret as the demo staff member.
DEMO_STAFF_ROLES = [
    ("support@guardiannest.demo", "support", "Sasha", "Support"),
    ("finance@guardiannest.demo", "finance", "Fran", "Finance"),
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
        if role == Role.PARENT:
            seed_family(user)
        rows.append((str(role), email, DEMO_PASSWORD, note))
    return rows + seed_staff_roles()


def seed_staff_roles() -> list[tuple[str, str, str, str]]:
    """The support and finance demo logins, each in its role's group (created with its permissions if missing)."""
    from django.contrib.auth.models import Group

    from guardiannest.staff_roles import staff_roles_sync

    staff_roles_sync()
    rows = []
    for email, role, first_name, last_name in DEMO_STAFF_ROLES:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(
                email, DEMO_PASSWORD, role=Role.STAFF, first_name=first_name, last_name=last_name, is_staff=True
            )
            user.groups.add(Group.objects.get(name=role))
        TOTPDevice.objects.get_or_create(
            user=user, name="demo", defaults={"key": STAFF_TOTP_KEY_HEX, "confirmed": True}
        )
        rows.append((role, email, DEMO_PASSWORD, f"TOTP secret {STAFF_TOTP_SECRET_BASE32}"))
    return rows


# Demo families: (address, latitude, longitude, phone), children as (first_name, age in years, allergies,
# medical_notes, special_needs), and one emergency contact (name, phone, relationship).
DEMO_FAMILIES = {
    "parent.anna@guardiannest.demo": (
        ("Torstrasse 101, 10119 Berlin", "52.529600", "13.401400", "+4930901820"),
        [
            ("Mia", 6, "Peanuts (carries an EpiPen)", "EpiPen in the blue backpack.", ""),
            ("Leo", 3, "", "", "Naps 13:00-14:30."),
        ],
        ("Greta Keller", "+4930901821", "Grandmother"),
    ),
    "parent.ben@guardiannest.demo": (
        ("Kastanienallee 12, 10435 Berlin", "52.538300", "13.409100", "+4930901830"),
        [("Noah", 8, "", "Asthma: inhaler before sport.", "")],
        ("Lucia Ortiz", "+4930901831", "Aunt"),
    ),
}


def seed_family(parent: User) -> None:
    """Give a demo parent a profile, children and an emergency contact, once (through the services)."""
    from decimal import Decimal

    from django.utils import timezone

    from accounts.models import Child, EmergencyContact
    from accounts.models.family import years_before
    from accounts.services import family

    spec = DEMO_FAMILIES.get(parent.email)
    if spec is None:
        return
    (address, latitude, longitude, phone), children, (contact_name, contact_phone, relationship) = spec
    profile = family.parent_profile_get_or_create(parent=parent)
    if not profile.address:
        family.parent_profile_update(
            parent=parent,
            actor=parent,
            data={"address": address, "latitude": Decimal(latitude), "longitude": Decimal(longitude), "phone": phone},
        )
    if not Child.objects.filter(parent=parent).exists():
        for first_name, age, allergies, medical_notes, special_needs in children:
            family.child_create(
                parent=parent,
                actor=parent,
                data={
                    "first_name": first_name,
                    "birth_date": years_before(timezone.localdate(), age),
                    "allergies": allergies,
                    "medical_notes": medical_notes,
                    "special_needs": special_needs,
                },
            )
    if not EmergencyContact.objects.filter(parent=parent).exists():
        family.emergency_contact_create(
            parent=parent,
            actor=parent,
            data={"name": contact_name, "phone": contact_phone, "relationship": relationship, "priority": 1},
        )

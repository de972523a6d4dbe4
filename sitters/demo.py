"""Demo sitters for ``make run``: eight verified sitters around the demo families in Berlin Mitte.

Registered by the lead in ``demo_seeders`` (key ``"sitters"``). Idempotent:
users are made once, a profile is filled only while it has no rate, and
certifications and availability only while the sitter has none, so running
``seed_demo`` again changes nothing and keeps whatever a demo user edited.
Profiles, certifications and availability go through the services, so the
search index, spans and audit trail are what real use would leave.

Certifications are added without documents: their badges show once a
document is uploaded and approved by staff (the admin's review queue), which
is the flow to demonstrate.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.demo import DEMO_PASSWORD, DEMO_USERS
from accounts.models import Role, User
from sitters.models import Certification, CheckStatus, SitterProfile, VerificationStatus, WeeklyWindow
from sitters.services.calendar.availability import availability_set
from sitters.services.certifications import certification_create
from sitters.services.profile import sitter_profile_for, sitter_profile_update
from sitters.services.verification import verification_decide

DemoLogin = tuple[str, str, str, str]
H = 60  # minutes per hour, for readable windows

# email, first name, last name, profile fields, certifications (kind, years ago issued, years valid or None),
# weekly windows (weekday, start hour, end hour).
DemoSitter = tuple[str, str, str, dict[str, Any], list[tuple[str, int, int | None]], list[tuple[int, int, int]]]
DEMO_SITTERS: list[DemoSitter] = [
    (
        "sitter.chloe@guardiannest.demo",
        "Chloe",
        "Martin",
        {
            "bio": "Primary school teacher, evenings and weekends.",
            "hourly_rate": 1800,
            "years_experience": 6,
            "languages": ["en", "fr", "de"],
            "age_groups": ["preschool", "school_age"],
            "latitude": 52.531200,
            "longitude": 13.396800,
            "service_radius_km": 8,
        },
        [("first_aid", 1, 2), ("early_years", 4, None)],
        [(0, 17, 22), (2, 17, 22), (4, 17, 23), (5, 9, 18)],
    ),
    (
        "sitter.dev@guardiannest.demo",
        "Dev",
        "Patel",
        {
            "bio": "Paediatric nursing student; calm with babies.",
            "hourly_rate": 2200,
            "years_experience": 3,
            "languages": ["en", "hi"],
            "age_groups": ["infant", "toddler"],
            "latitude": 52.524500,
            "longitude": 13.410900,
            "service_radius_km": 10,
        },
        [("cpr", 0, 1), ("first_aid", 0, 2)],
        [(0, 8, 14), (1, 8, 14), (3, 18, 23), (6, 10, 20)],
    ),
    (
        "sitter.emma@guardiannest.demo",
        "Emma",
        "Novak",
        {
            "bio": "Former au pair, loves crafts and the outdoors.",
            "hourly_rate": 1600,
            "years_experience": 5,
            "languages": ["de", "cs", "en"],
            "age_groups": ["toddler", "preschool", "school_age"],
            "latitude": 52.541000,
            "longitude": 13.413500,
            "service_radius_km": 6,
        },
        [("first_aid", 2, 3)],
        [(1, 15, 21), (3, 15, 21), (5, 8, 16), (6, 8, 16)],
    ),
    (
        "sitter.farah@guardiannest.demo",
        "Farah",
        "Haddad",
        {
            "bio": "Speech therapist; bilingual bedtime stories.",
            "hourly_rate": 2600,
            "years_experience": 9,
            "languages": ["ar", "de", "en"],
            "age_groups": ["toddler", "preschool"],
            "latitude": 52.527300,
            "longitude": 13.388100,
            "service_radius_km": 12,
        },
        [("early_years", 6, None), ("cpr", 1, 1)],
        [(0, 16, 21), (1, 16, 21), (2, 16, 21), (3, 16, 21)],
    ),
    (
        "sitter.gabriel@guardiannest.demo",
        "Gabriel",
        "Costa",
        {
            "bio": "Football coach for under-12s; homework help too.",
            "hourly_rate": 2000,
            "years_experience": 4,
            "languages": ["pt", "es", "en"],
            "age_groups": ["school_age", "teen"],
            "latitude": 52.535800,
            "longitude": 13.420200,
            "service_radius_km": 15,
        },
        [("first_aid", 1, 2), ("driving", 8, 7)],
        [(2, 14, 20), (4, 14, 22), (5, 10, 22)],
    ),
    (
        "sitter.hana@guardiannest.demo",
        "Hana",
        "Suzuki",
        {
            "bio": "Night-time specialist: newborn routines and sleep.",
            "hourly_rate": 2800,
            "years_experience": 11,
            "languages": ["ja", "en"],
            "age_groups": ["infant"],
            "latitude": 52.518900,
            "longitude": 13.401700,
            "service_radius_km": 20,
        },
        [("cpr", 0, 1), ("early_years", 10, None)],
        [(0, 19, 24), (1, 0, 7), (1, 19, 24), (2, 0, 7)],
    ),
    (
        "sitter.ivan@guardiannest.demo",
        "Ivan",
        "Petrov",
        {
            "bio": "Music student; piano practice and board games.",
            "hourly_rate": 1500,
            "years_experience": 2,
            "languages": ["ru", "uk", "de"],
            "age_groups": ["school_age", "teen"],
            "latitude": 52.545600,
            "longitude": 13.403300,
            "service_radius_km": 5,
        },
        [("first_aid", 0, 2)],
        [(3, 16, 22), (4, 16, 22), (6, 12, 20)],
    ),
    (
        "sitter.julia@guardiannest.demo",
        "Julia",
        "Schmidt",
        {
            "bio": "Kita educator with twenty years in Prenzlauer Berg.",
            "hourly_rate": 3000,
            "years_experience": 20,
            "languages": ["de", "en", "pl"],
            "age_groups": ["infant", "toddler", "preschool"],
            "latitude": 52.538900,
            "longitude": 13.424500,
            "service_radius_km": 10,
        },
        [("early_years", 18, None), ("first_aid", 1, 2), ("other", 3, None)],
        [(0, 7, 13), (1, 7, 13), (2, 7, 13), (3, 7, 13), (4, 7, 13)],
    ),
]


def _years_ago(today: date, years: int) -> date:
    return today - timedelta(days=365 * years + 30)


def _user(email: str, first_name: str, last_name: str) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(
            email, DEMO_PASSWORD, role=Role.SITTER, first_name=first_name, last_name=last_name
        )
    return user


def _verify(profile: SitterProfile) -> None:
    """Demo sitters are verified from the start, through the service staff use (both checks recorded)."""
    if profile.verification_status == VerificationStatus.VERIFIED:
        return
    verification_decide(sitter=profile.user, actor=None, decision=CheckStatus.VERIFIED)


def seed() -> list[DemoLogin]:
    """Make the eight demo sitters (each in its own transaction); the logins not already listed by accounts."""
    listed = {email for email, *_ in DEMO_USERS}
    today = timezone.localdate()
    rows: list[DemoLogin] = []
    for email, first_name, last_name, fields, certifications, windows in DEMO_SITTERS:
        with transaction.atomic():
            user = _user(email, first_name, last_name)
            profile = sitter_profile_for(user=user)
            if profile.hourly_rate is None:
                profile = sitter_profile_update(profile=profile, actor=user, timezone="Europe/Berlin", **fields)
            if not Certification.objects.filter(sitter=profile).exists():
                for kind, issued_years_ago, valid_years in certifications:
                    issued = _years_ago(today, issued_years_ago)
                    expires = None if valid_years is None else issued + timedelta(days=365 * valid_years + 60)
                    certification_create(sitter=profile, actor=user, kind=kind, issued_at=issued, expires_at=expires)
            if not WeeklyWindow.objects.filter(sitter=profile).exists():
                availability_set(
                    profile=profile,
                    timezone="Europe/Berlin",
                    windows=[(day, start * H, end * H) for day, start, end in windows],
                    actor=user,
                )
            _verify(profile)
        if email not in listed:
            rows.append((str(Role.SITTER), email, DEMO_PASSWORD, "verified sitter"))
    return rows

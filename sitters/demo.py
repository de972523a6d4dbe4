"""Demo sitters for ``make run``: eight verified sitters around the demo families in Berlin Mitte.

Registered by the lead in ``demo_seeders`` (key ``"sitters"``). Idempotent:
users are made once, a profile is filled only while it has no rate, and
certifications and availability only while the sitter has none, so running
``seed_demo`` again changes nothing and keeps whatever a demo user edited.
Profiles, certifications and availability go through the services, so the
search index, spans and audit trail are what real use would leave.

Each certification gets a document, once: a one-page PDF generated here,
uploaded through the files service (checked by its bytes, scanned when a
scanner is configured, else "not scanned"), processed at once, and approved
by the demo staff member through the certification review, so the demo
sitters show their badges as if staff had checked their papers.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, NamedTuple

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from accounts.demo import DEMO_PASSWORD, DEMO_USERS
from accounts.models import Role, User
from files.models import Purpose
from files.services.pipeline import file_process
from files.services.uploads import file_create
from guardiannest.registries import DemoLogin
from sitters.models import Certification, CheckStatus, SitterProfile, VerificationStatus, WeeklyWindow
from sitters.services.calendar.availability import availability_set
from sitters.services.certifications import (
    certification_create,
    certification_document_review,
    certification_update,
)
from sitters.services.profile import sitter_profile_for, sitter_profile_update
from sitters.services.verification import verification_decide

H = 60  # minutes per hour, for readable windows
ZONE = "Europe/Berlin"

# One line per sitter and table, keyed by first name (the login is sitter.<name>@guardiannest.demo).
# Last name, hourly rate (cents), years of experience, service radius (km), where they live.
PEOPLE: dict[str, tuple[str, int, int, int, tuple[float, float]]] = {
    "chloe": ("Martin", 1800, 6, 8, (52.531200, 13.396800)),
    "dev": ("Patel", 2200, 3, 10, (52.524500, 13.410900)),
    "emma": ("Novak", 1600, 5, 6, (52.541000, 13.413500)),
    "farah": ("Haddad", 2600, 9, 12, (52.527300, 13.388100)),
    "gabriel": ("Costa", 2000, 4, 15, (52.535800, 13.420200)),
    "hana": ("Suzuki", 2800, 11, 20, (52.518900, 13.401700)),
    "ivan": ("Petrov", 1500, 2, 5, (52.545600, 13.403300)),
    "julia": ("Schmidt", 3000, 20, 10, (52.538900, 13.424500)),
}
BIOS = {
    "chloe": "Primary school teacher, evenings and weekends.",
    "dev": "Paediatric nursing student; calm with babies.",
    "emma": "Former au pair, loves crafts and the outdoors.",
    "farah": "Speech therapist; bilingual bedtime stories.",
    "gabriel": "Football coach for under-12s; homework help too.",
    "hana": "Night-time specialist: newborn routines and sleep.",
    "ivan": "Music student; piano practice and board games.",
    "julia": "Kita educator with twenty years in Prenzlauer Berg.",
}
# Languages, then age groups (space separated).
SKILLS = {
    "chloe": ("en fr de", "preschool school_age"),
    "dev": ("en hi", "infant toddler"),
    "emma": ("de cs en", "toddler preschool school_age"),
    "farah": ("ar de en", "toddler preschool"),
    "gabriel": ("pt es en", "school_age teen"),
    "hana": ("ja en", "infant"),
    "ivan": ("ru uk de", "school_age teen"),
    "julia": ("de en pl", "infant toddler preschool"),
}
# (kind, years ago issued, years valid or None: does not expire).
CERTIFICATIONS: dict[str, list[tuple[str, int, int | None]]] = {
    "chloe": [("first_aid", 1, 2), ("early_years", 4, None)],
    "dev": [("cpr", 0, 1), ("first_aid", 0, 2)],
    "emma": [("first_aid", 2, 3)],
    "farah": [("early_years", 6, None), ("cpr", 1, 1)],
    "gabriel": [("first_aid", 1, 2), ("driving", 8, 7)],
    "hana": [("cpr", 0, 1), ("early_years", 10, None)],
    "ivan": [("first_aid", 0, 2)],
    "julia": [("early_years", 18, None), ("first_aid", 1, 2), ("other", 3, None)],
}
# Weekly windows: (weekday, start hour, end hour).
WINDOWS: dict[str, list[tuple[int, int, int]]] = {
    "chloe": [(0, 17, 22), (2, 17, 22), (4, 17, 23), (5, 9, 18)],
    "dev": [(0, 8, 14), (1, 8, 14), (3, 18, 23), (6, 10, 20)],
    "emma": [(1, 15, 21), (3, 15, 21), (5, 8, 16), (6, 8, 16)],
    "farah": [(0, 16, 21), (1, 16, 21), (2, 16, 21), (3, 16, 21)],
    "gabriel": [(2, 14, 20), (4, 14, 22), (5, 10, 22)],
    "hana": [(0, 19, 24), (1, 0, 7), (1, 19, 24), (2, 0, 7)],
    "ivan": [(3, 16, 22), (4, 16, 22), (6, 12, 20)],
    "julia": [(0, 7, 13), (1, 7, 13), (2, 7, 13), (3, 7, 13), (4, 7, 13)],
}


class DemoSitter(NamedTuple):
    email: str
    first_name: str
    last_name: str
    fields: dict[str, Any]  # for sitter_profile_update
    certifications: list[tuple[str, int, int | None]]
    windows: list[tuple[int, int, int]]


def _demo_sitter(name: str) -> DemoSitter:
    last_name, rate, years, radius, (latitude, longitude) = PEOPLE[name]
    languages, age_groups = SKILLS[name]
    fields = {
        "bio": BIOS[name],
        "hourly_rate": rate,
        "years_experience": years,
        "languages": languages.split(),
        "age_groups": age_groups.split(),
        "latitude": latitude,
        "longitude": longitude,
        "service_radius_km": radius,
    }
    email = f"sitter.{name}@guardiannest.demo"
    return DemoSitter(email, name.capitalize(), last_name, fields, CERTIFICATIONS[name], WINDOWS[name])


DEMO_SITTERS: list[DemoSitter] = [_demo_sitter(name) for name in PEOPLE]


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


def demo_certificate_pdf(title: str, holder: str) -> bytes:
    """A one-page PDF saying what the certificate is and whose (no scripts, nothing embedded)."""
    text = f"GuardianNest demo certificate: {title}, issued to {holder}".replace("(", "").replace(")", "")
    stream = f"BT /F1 14 Tf 50 780 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >>"
        b" /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _documents(profile: SitterProfile, user: User, staff: User | None) -> None:
    """Give each certification without a document a generated one, ready and approved."""
    for certification in Certification.objects.filter(sitter=profile, document__isnull=True).order_by("created_at"):
        title = certification.get_kind_display()
        data = demo_certificate_pdf(title, f"{user.first_name} {user.last_name}")
        upload = SimpleUploadedFile(f"{certification.kind}.pdf", data, content_type="application/pdf")
        document = file_create(owner=user, purpose=Purpose.CERTIFICATION, upload=upload)
        file_process(file_id=document.pk)
        certification = certification_update(certification=certification, actor=user, document_id=document.pk)
        certification.refresh_from_db()
        if staff is not None and certification.document is not None:
            certification_document_review(certification=certification, actor=staff, approved=True)


def seed() -> list[DemoLogin]:
    """Make the eight demo sitters (each in its own transaction); the logins not already listed by accounts."""
    listed = {email for email, *_ in DEMO_USERS}
    staff = User.objects.filter(email="staff@guardiannest.demo", is_staff=True).first()
    today = timezone.localdate()
    rows: list[DemoLogin] = []
    for email, first_name, last_name, fields, certifications, windows in DEMO_SITTERS:
        with transaction.atomic():
            user = _user(email, first_name, last_name)
            profile = sitter_profile_for(user=user)
            if profile.hourly_rate is None:
                profile = sitter_profile_update(profile=profile, actor=user, timezone=ZONE, **fields)
            if not Certification.objects.filter(sitter=profile).exists():
                for kind, issued_years_ago, valid_years in certifications:
                    issued = _years_ago(today, issued_years_ago)
                    expires = None if valid_years is None else issued + timedelta(days=365 * valid_years + 60)
                    certification_create(sitter=profile, actor=user, kind=kind, issued_at=issued, expires_at=expires)
            if not WeeklyWindow.objects.filter(sitter=profile).exists():
                availability_set(
                    profile=profile,
                    timezone=ZONE,
                    windows=[(day, start * H, end * H) for day, start, end in windows],
                    actor=user,
                )
            _verify(profile)
            _documents(profile, user, staff)
        if email not in listed:
            rows.append((str(Role.SITTER), email, DEMO_PASSWORD, "verified sitter"))
    return rows

"""The sitters' rows in COPY text format: users, photos, profiles, languages, certifications, windows,
spans and holds."""

from __future__ import annotations

import datetime as dt
import json
import math
import random
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from bench._app import BENCH_FIELD_ENCRYPTION_KEYS
from bench.search_data.world import (
    EXTRA_LANGUAGES,
    FIRST_NAMES,
    HORIZON_DAYS,
    LAST_NAMES,
    METROS,
    RURAL_RADIUS_KM,
    RURAL_SHARE,
    TEMPLATES,
    UTC,
    Metro,
    search_day,
    template_spans,
    template_windows,
)
from guardiannest.crypto.aead import context_for, encrypt
from guardiannest.crypto.keys import parse_key_ring

EMAIL_DOMAIN = "sitters.bench.example"
# (kind, share of sitters holding one, years it is valid; None: does not expire)
CERTIFICATIONS: tuple[tuple[str, float, int | None], ...] = (
    ("cpr", 0.5, 2),
    ("first_aid", 0.6, 2),
    ("early_years", 0.25, None),
    ("driving", 0.3, 10),
)
DAY_OFF_CHANCE = 0.06  # each span: dropped as a day off (an exception)
# --- the sitters ---------------------------------------------------------------------------


@dataclass
class Sitter:
    id: str
    metro: Metro
    template: tuple[str, int]
    seed: int


def _point(rng: random.Random, metro: Metro) -> tuple[float, float]:
    """A location near ``metro``: gaussian core, or uniform over a rural disc; longitude wrapped at 180°."""
    if rng.random() < RURAL_SHARE:
        distance = RURAL_RADIUS_KM * math.sqrt(rng.random())
        bearing = rng.random() * 2 * math.pi
        east, north = distance * math.sin(bearing), distance * math.cos(bearing)
    else:
        east, north = rng.gauss(0, metro.sigma_km), rng.gauss(0, metro.sigma_km)
    lat = max(-89.9, min(89.9, metro.lat + north / 111.32))
    lon = metro.lon + east / (111.32 * math.cos(math.radians(lat)))
    lon = (lon + 180.0) % 360.0 - 180.0
    return round(lat, 6), round(lon, 6)


def _languages(rng: random.Random, metro: Metro) -> list[str]:
    codes = [metro.languages[0]] if len(metro.languages) == 1 or rng.random() < 0.6 else list(metro.languages)
    if "en" not in codes and rng.random() < 0.5:
        codes.append("en")
    if rng.random() < 0.15:
        extra = rng.choice(EXTRA_LANGUAGES)
        if extra not in codes:
            codes.append(extra)
    return codes


def _age_mask(rng: random.Random) -> int:
    mask = 0
    for bit, chance in ((1, 0.3), (2, 0.6), (4, 0.75), (8, 0.7), (16, 0.25)):
        if rng.random() < chance:
            mask |= bit
    return mask or 4


def _pick(rng: random.Random, weighted: tuple[tuple[float, Any], ...]) -> Any:
    return rng.choices([item for _, item in weighted], weights=[weight for weight, _ in weighted])[0]


def _null(value: object) -> str:
    return "\\N" if value is None else str(value)


_RING = parse_key_ring(BENCH_FIELD_ENCRYPTION_KEYS)


def _sealed(value: float, *, sitter_id: str, column: str) -> str:
    """The exact location as the app stores it: encrypted for its row (sitters.SitterProfile, EncryptedFloatField)."""
    context = context_for(table="sitters_sitterprofile", column=column, pk=sitter_id)
    return str(encrypt(repr(float(value)).encode(), context=context, ring=_RING))


class Tables:
    """COPY text rows per table, built in one pass over the sitters (everything but spans and holds)."""

    def __init__(self) -> None:
        self.rows: dict[str, list[str]] = {
            name: [] for name in ("users", "files", "profiles", "languages", "certifications", "windows")
        }

    def add(self, table: str, *values: object) -> None:
        self.rows[table].append("\t".join(_null(value) for value in values) + "\n")


COLUMNS: Mapping[str, tuple[str, str]] = {
    "users": (
        "accounts_user",
        "id, password, last_login, is_superuser, email, role, first_name, last_name, phone, "
        "email_verified_at, is_active, is_staff, date_joined, updated_at",
    ),
    "files": (
        "files_storedfile",
        "id, owner_id, purpose, status, scan, scan_signature, scanned_at, rejection, content_type, size, sha256, "
        "width, height, key, variants, review, reviewed_by_id, reviewed_at, last_error, detached_at, created_at, "
        "updated_at, processed_at",
    ),
    "profiles": (
        "sitters_sitterprofile",
        "user_id, bio, hourly_rate, currency, years_experience, languages, age_groups_mask, latitude, longitude, "
        "search_latitude, search_longitude, service_radius_km, timezone, photo_id, verification_status, "
        "verified_at, rating_avg, rating_count, availability_until, created_at, updated_at",
    ),
    "languages": ("sitters_sitterlanguage", "sitter_id, code"),
    "certifications": (
        "sitters_certification",
        "id, sitter_id, kind, issued_at, expires_at, document_id, reminder_sent_for, created_at, updated_at",
    ),
    "windows": ("sitters_weeklywindow", "sitter_id, weekday, start_minute, end_minute"),
    "spans": ("sitters_availabilityspan", "sitter_id, starts_at, ends_at"),
    "holds": ("sitters_hold", "id, sitter_id, starts_at, ends_at, kind, reference, created_at"),
}


def _file_row(tables: Tables, rng: random.Random, owner: str, purpose: str, review: str, now: str) -> str:
    file_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    digest = uuid.UUID(int=rng.getrandbits(128)).hex * 2
    if purpose == "avatar":
        variants = {
            name: {
                "key": f"public/avatar/{owner}/{file_id}/{name}-{digest[:16]}.{'webp' if 'webp' in name else 'jpg'}",
                "content_type": "image/webp" if "webp" in name else "image/jpeg",
                "size": size,
                "width": width,
                "height": width,
            }
            for name, size, width in (
                ("display", 90_000, 1024),
                ("display_webp", 70_000, 1024),
                ("small", 6_000, 128),
                ("small_webp", 5_000, 128),
                ("medium", 25_000, 400),
                ("medium_webp", 20_000, 400),
            )
        }
        content_type, size, width, key = "image/jpeg", 900_000, 2000, ""
    else:
        variants, content_type, size, width, key = {}, "application/pdf", 200_000, None, f"private/cert/{file_id}.pdf"
    tables.add(
        "files",
        file_id,
        owner,
        purpose,
        "ready",
        "not_scanned",
        "",
        now,
        "",
        content_type,
        size,
        digest,
        width,
        width,
        key,
        json.dumps(variants),
        review,
        None,
        now if review == "approved" else None,
        "",
        None,
        now,
        now,
        now,
    )
    return file_id


def build_sitters(count: int, seed: int, password_hash: str, today: dt.date) -> tuple[list[Sitter], Tables]:
    """Every sitter's user, profile, photo, languages, certifications and weekly windows."""
    rng = random.Random(seed)
    metro_weights = [metro.weight for metro in METROS]
    now = dt.datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S+00")
    until = (today + dt.timedelta(days=HORIZON_DAYS)).isoformat()
    tables = Tables()
    sitters: list[Sitter] = []
    for number in range(count):
        metro = rng.choices(METROS, weights=metro_weights)[0]
        sitter_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        template = _pick(rng, TEMPLATES)
        sitters.append(Sitter(sitter_id, metro, template, rng.getrandbits(32)))
        tables.add(
            "users",
            sitter_id,
            password_hash,
            None,
            "f",
            f"sitter{number:06d}@{EMAIL_DOMAIN}",
            "sitter",
            rng.choice(FIRST_NAMES),
            rng.choice(LAST_NAMES),
            "",
            now,
            "t",
            "f",
            now,
            now,
        )
        photo = _file_row(tables, rng, sitter_id, "avatar", "not_required", now) if rng.random() < 0.7 else None
        lat, lon = _point(rng, metro)
        rate = int(round(metro.rate * math.exp(rng.gauss(0, 0.25)) / 50) * 50)
        rated = rng.random() < 0.7
        status = _pick(rng, ((0.7, "verified"), (0.15, "pending"), (0.1, "unverified"), (0.05, "rejected")))
        languages = _languages(rng, metro)
        tables.add(
            "profiles",
            sitter_id,
            f"Sitter near {metro.name}: {rng.randint(1, 20)} years with kids, references on request.",
            max(500, min(8000, rate)),
            "eur",
            rng.randint(0, 25),
            json.dumps(languages),
            _age_mask(rng),
            _sealed(lat, sitter_id=sitter_id, column="latitude"),
            _sealed(lon, sitter_id=sitter_id, column="longitude"),
            # The search point is the location itself here (the service moves it by up to 500 m): the
            # locations are random already, and search reads only these two columns either way.
            lat,
            lon,
            rng.choice((5, 10, 10, 15, 20, 25)),
            metro.tz,
            photo,
            status,
            now if status == "verified" else None,
            f"{max(1.0, min(5.0, rng.gauss(4.5, 0.4))):.2f}" if rated else None,
            int(rng.expovariate(1 / 12)) + 1 if rated else 0,
            until,
            now,
            now,
        )
        for code in languages:
            tables.add("languages", sitter_id, code)
        for kind, chance, valid_years in CERTIFICATIONS:
            if rng.random() >= chance:
                continue
            issued = today - dt.timedelta(days=rng.randint(10, 900 if valid_years == 2 else 3000))
            expires = None if valid_years is None else issued + dt.timedelta(days=365 * valid_years)
            review = _pick(rng, ((0.85, "approved"), (0.1, "pending"), (0.05, None)))
            document = None if review is None else _file_row(tables, rng, sitter_id, "certification", review, now)
            cert_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            tables.add("certifications", cert_id, sitter_id, kind, issued, expires, document, None, now, now)
        for weekday, ranges in sorted(template_windows(template).items()):
            for start, end in ranges:
                tables.add("windows", sitter_id, weekday, start, end)
    return sitters, tables


def spans_and_holds(sitters: list[Sitter], today: dt.date) -> Iterator[tuple[str, list[str]]]:
    """Per sitter: its span rows (a few days off dropped), and hold rows inside some of its spans."""
    first_day = today - dt.timedelta(days=1)  # a span in progress now stays searchable
    days = HORIZON_DAYS + 2
    evening = search_day(today).isoformat()
    now = dt.datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S+00")
    for sitter in sitters:
        rng = random.Random(sitter.seed)
        every = template_spans(sitter.template, sitter.metro.tz, first_day, days)
        spans = [span for span in every if rng.random() >= DAY_OFF_CHANCE]
        lines = "".join(f"{sitter.id}\t{start}\t{end}\n" for _, start, end in spans)
        holds: list[str] = []
        chosen: list[tuple[str, str, str]] = []
        if rng.random() < 0.35:
            chosen = rng.sample(spans, min(len(spans), rng.randint(1, 3)))
        on_search_day = [span for span in spans if span[0] == evening]
        if on_search_day and rng.random() < 0.15 and on_search_day[0] not in chosen:
            chosen.append(on_search_day[0])  # booked on the evening the searches ask about
        for _, start, end in chosen:  # one hold per span: holds never overlap
            begins, ends = dt.datetime.fromisoformat(start), dt.datetime.fromisoformat(end)
            if rng.random() < 0.5 and ends - begins > dt.timedelta(hours=3):
                if rng.random() < 0.5:  # the first three hours of the span
                    ends = begins + dt.timedelta(hours=3)
                else:  # from two hours in to the end
                    begins += dt.timedelta(hours=2)
            booking = rng.random() < 0.8
            holds.append(
                "\t".join(
                    (
                        str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                        sitter.id,
                        begins.strftime("%Y-%m-%d %H:%M:%S+00"),
                        ends.strftime("%Y-%m-%d %H:%M:%S+00"),
                        "booking" if booking else "blocked",
                        str(uuid.UUID(int=rng.getrandbits(128), version=4)) if booking else "\\N",
                        now,
                    )
                )
                + "\n"
            )
        yield lines, holds

"""Tables of the family subdomain: a parent's profile, children, emergency contacts, favourite sitters.

What a family tells us about a child's health or where it lives (address,
phone, the exact coordinates of home) is encrypted at rest (AES-256-GCM bound
to the row, see :mod:`guardiannest.crypto.fields`): a database dump or a
misdirected backup reveals none of it. Everything that is searched or compared
in SQL (dates, priorities, ids) stays in clear; distances to the home point are
computed in Python.
"""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from guardiannest.constraints import coordinates_together_constraint
from guardiannest.crypto.fields import EncryptedCharField, EncryptedTextField
from guardiannest.fields import encrypted_decimal_coordinate_field, encrypted_phone_field

__all__ = ["Child", "EmergencyContact", "FavoriteSitter", "ParentProfile"]

MAX_CHILD_AGE_YEARS = 18
PRIORITY_MIN, PRIORITY_MAX = 1, 10


def years_before(day: datetime.date, years: int) -> datetime.date:
    """The same calendar day ``years`` earlier; 29 February falls back to the 28th."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def validate_birth_date(value: datetime.date, *, today: datetime.date | None = None) -> None:
    """A child's birth date: not in the future, and at most 18 years ago (we look after minors only)."""
    today = today or timezone.localdate()
    if value > today:
        raise ValidationError("A birth date cannot be in the future.", code="future")
    if value < years_before(today, MAX_CHILD_AGE_YEARS):
        raise ValidationError(f"We look after children up to {MAX_CHILD_AGE_YEARS} years old.", code="too_old")


class ParentProfile(models.Model):
    """Where a family lives and how to reach it; one per parent, made on first access."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="parent_profile")
    address = EncryptedTextField(blank=True, default="")
    phone = encrypted_phone_field(blank=True, default="")
    # Six decimals is about 11 cm: more than enough, and what DRF validates (ranges too) on the way in.
    latitude = encrypted_decimal_coordinate_field()
    longitude = encrypted_decimal_coordinate_field()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [coordinates_together_constraint("accounts_parentprofile")]

    def __str__(self) -> str:
        return f"Profile of {self.user_id}"

    @property
    def coordinates(self) -> tuple[Decimal, Decimal] | None:
        if self.latitude is None or self.longitude is None:
            return None
        return (self.latitude, self.longitude)


class Child(models.Model):
    """A child a parent books care for. Health details are encrypted; read them through the selectors."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    parent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="children")
    first_name = models.CharField(max_length=100)
    birth_date = models.DateField()
    allergies = EncryptedTextField(blank=True, default="")
    medical_notes = EncryptedTextField(blank=True, default="")
    special_needs = EncryptedTextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "children"
        indexes = [models.Index(fields=["parent", "created_at"], name="accounts_child_parent_created")]

    def __str__(self) -> str:
        return f"Child {self.pk}"

    def clean(self) -> None:
        super().clean()
        if self.birth_date is not None:
            try:
                validate_birth_date(self.birth_date)
            except ValidationError as exc:
                raise ValidationError({"birth_date": exc.messages}) from exc


class EmergencyContact(models.Model):
    """Who to call when the parents cannot be reached; priority 1 is called first, one contact per priority."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    parent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="emergency_contacts")
    name = EncryptedCharField(max_length=200)
    phone = encrypted_phone_field()
    relationship = models.CharField(max_length=100, blank=True)
    priority = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["parent", "priority"], name="accounts_emergencycontact_priority_unique"),
            models.CheckConstraint(
                condition=models.Q(priority__gte=PRIORITY_MIN, priority__lte=PRIORITY_MAX),
                name="accounts_emergencycontact_priority_range",
            ),
        ]

    def __str__(self) -> str:
        return f"Emergency contact {self.priority} of {self.parent_id}"


class FavoriteSitter(models.Model):
    """A sitter a parent bookmarked. The pair is unique, so adding one twice is harmless."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    parent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="favorite_sitters")
    sitter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="favorited_by")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["parent", "sitter"], name="accounts_favoritesitter_unique"),
            models.CheckConstraint(
                condition=~models.Q(parent=models.F("sitter")), name="accounts_favoritesitter_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.parent_id} likes {self.sitter_id}"

"""Users and roles. Families and sessions arrive with the identity issue."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import connections, models
from django.db.models.functions import Lower
from django.utils import timezone

from guardiannest.fields import phone_field


class Role(models.TextChoices):
    PARENT = "parent", "Parent"
    SITTER = "sitter", "Sitter"
    STAFF = "staff", "Support staff"


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("A user needs an email address.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.update(role=Role.STAFF, is_staff=True, is_superuser=True)
        return self.create_user(email, password, **extra)

    def get_for_authentication(self, user_id: Any) -> User | None:
        """The user a token names, as API authentication loads it: with ``mfa_on`` in the same query.

        Raw SQL on purpose: this runs on every authenticated request, and compiling
        the equivalent ORM query (an EXISTS annotation) cost ~2 ms of Python per
        request in bench/profile_auth_me.py; the raw query costs the round trip.
        """
        from django_otp.plugins.otp_totp.models import TOTPDevice

        users, devices = self.model._meta.db_table, TOTPDevice._meta.db_table
        sql = (
            f'SELECT u.*, EXISTS (SELECT 1 FROM "{devices}" d WHERE d.user_id = u.id AND d.confirmed) AS mfa_on '  # noqa: S608 - table names from _meta
            f'FROM "{users}" u WHERE u.id = %s'
        )
        try:
            user_uuid = uuid.UUID(str(user_id))
        except ValueError:
            return None
        # As each backend stores a UUID (PostgreSQL: uuid; SQLite: 32 hex characters).
        param = self.model._meta.pk.get_db_prep_value(user_uuid, connections[self.db])
        return next(iter(self.raw(sql, [param])), None)

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email__iexact=username or "")


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in: a parent, a sitter, or a member of support staff.

    The email is the login and is unique whatever its case. ``role`` decides
    what the API offers; ``is_staff`` opens the admin and always goes with the
    staff role.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(max_length=254, unique=True, help_text="Stored lower-case; the login.")
    role = models.CharField(max_length=10, choices=Role.choices)
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    phone = phone_field(blank=True, help_text="E.164, e.g. +14155550100")
    email_verified_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="May sign in to the admin (with MFA).")
    date_joined = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(email=Lower("email")), name="accounts_user_email_lowercase"),
            models.CheckConstraint(condition=models.Q(role__in=Role.values), name="accounts_user_role_valid"),
            models.CheckConstraint(
                condition=models.Q(is_staff=False) | models.Q(role=Role.STAFF),
                name="accounts_user_staff_has_staff_role",
            ),
        ]
        ordering = ["email"]

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        super().clean()
        self.email = self.email.strip().lower()

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.email = self.email.strip().lower()
        super().save(*args, **kwargs)

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def mfa_enabled(self) -> bool:
        annotated = self.__dict__.get("mfa_on")  # set by UserManager.for_authentication()
        if annotated is not None:
            return bool(annotated)
        from django_otp.plugins.otp_totp.models import TOTPDevice

        return TOTPDevice.objects.filter(user=self, confirmed=True).exists()

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self) -> str:
        return self.first_name

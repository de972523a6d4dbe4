"""Users and roles: who signs in, and what the API and the admin offer them.

Families, sessions, second factors, passkeys, Firebase links and data exports
hang off the user, each in its own module of this package.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import connections, models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Exists, F, OuterRef
from django.db.models.functions import Lower
from django.utils import timezone

from accounts import auth_snapshot
from accounts.auth_snapshot import SnapshotLookup, UserQuerySet
from accounts.models.mfa import mfa_devices
from accounts.models.sessions import SESSION_CLAIM, staff_second_factor_missing
from guardiannest.cache import RedisBatch
from guardiannest.fields import phone_field
from guardiannest.prepared import prepared_cursor

# Stands for the id while the authentication query is compiled (``UserManager._authentication_query``).
_ID_MARKER = uuid.UUID("00000000-0000-4000-8000-00000000a117")
_SESSION_MARKER = uuid.UUID("00000000-0000-4000-8000-00000005e551")


@dataclass(frozen=True)
class _CompiledLoad:
    """A compiled ORM query that loads one model row, run as raw SQL without the ORM's per-call work.

    What Django's iterables work out from the compiler on every call (which
    columns make the instance, which are annotations, which need converting)
    is worked out once here, from that same compiler.
    """

    sql: str
    params: tuple[Any, ...]
    slots: tuple[tuple[int, ...], tuple[int, ...]]  # where the user id and the session id go among params
    model: type[models.Model]
    init_names: tuple[str, ...]
    init_positions: tuple[int, ...]
    annotations: tuple[tuple[str, int], ...]
    converters: tuple[tuple[int, tuple[Any, ...], Any], ...]  # (position, functions, expression)

    @classmethod
    def of(
        cls, compiler: Any, sql: str, params: tuple[Any, ...], slots: tuple[tuple[int, ...], tuple[int, ...]]
    ) -> _CompiledLoad:
        model = compiler.klass_info["model"]
        positions = tuple(compiler.klass_info["select_fields"])
        names = tuple(compiler.select[position][0].target.attname for position in positions)
        converters = compiler.get_converters([expression for expression, _, _ in compiler.select])
        return cls(
            sql=sql,
            params=params,
            slots=slots,
            model=model,
            init_names=names,
            init_positions=positions,
            annotations=tuple(compiler.annotation_col_map.items()),
            converters=tuple(
                (position, tuple(functions), expression) for position, (functions, expression) in converters.items()
            ),
        )

    def load(
        self, row: Sequence[Any], *, db: str, connection: BaseDatabaseWrapper, deferred: frozenset[str] = frozenset()
    ) -> Any:
        """The instance for a row of ``sql``, with its annotations set, as the ORM would build it.

        The fields named in ``deferred`` are left out (their values in ``row``
        are ignored): the instance loads them from the database if read.
        """
        names, positions, skipped = self.init_names, self.init_positions, frozenset[int]()
        if deferred:
            skipped = frozenset(p for n, p in zip(names, positions, strict=True) if n in deferred)
            names = tuple(name for name in names if name not in deferred)
            positions = tuple(position for position in positions if position not in skipped)
        values = list(row)
        for position, functions, expression in self.converters:
            if position in skipped:
                continue
            value = values[position]
            for function in functions:
                value = function(value, expression, connection)
            values[position] = value
        instance = self.model.from_db(db, names, [values[position] for position in positions])
        for name, position in self.annotations:
            setattr(instance, name, values[position])
        return instance


# Never copied into an authentication snapshot (Redis): the password hash. A user made from a snapshot
# loads it from the database if something reads it (a password check).
_NOT_KEPT = frozenset({"password"})

# ``get_for_authentication``'s statement, per database alias (``UserManager._authentication_query``).
_AUTHENTICATION_SQL: dict[str, _CompiledLoad] = {}


def authentication_ids(user_id: Any, claims: Mapping[str, Any] | None) -> tuple[uuid.UUID, uuid.UUID] | None:
    """The user id and the session id (``sid`` claim) a token names, as UUIDs; None when either is not one."""
    try:
        return uuid.UUID(str(user_id)), uuid.UUID(str((claims or {}).get(SESSION_CLAIM)))
    except ValueError:
        return None


class Role(models.TextChoices):
    PARENT = "parent", "Parent"
    SITTER = "sitter", "Sitter"
    STAFF = "staff", "Support staff"


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def get_queryset(self) -> UserQuerySet:
        """Bulk writes make the users' authentication snapshots stale (``accounts.auth_snapshot``)."""
        return UserQuerySet(self.model, using=self._db)

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

    def authentication_snapshot(
        self, batch: RedisBatch, user_id: Any, claims: Mapping[str, Any] | None
    ) -> SnapshotLookup | None:
        """The look-up of the answer kept for this token's session, as commands of ``batch``.

        None when snapshots are off or the token names no session.
        """
        ids = authentication_ids(user_id, claims)
        if ids is None or not auth_snapshot.enabled():
            return None
        return SnapshotLookup(batch, *ids)

    def get_for_authentication(
        self, user_id: Any, claims: Mapping[str, Any] | None = None, *, snapshot: SnapshotLookup | None = None
    ) -> User | None:
        """The user a token names, as API authentication loads it, or None when the token's session is over.

        One query answers both: the user row (with ``mfa_on``) comes back only
        while the session named by the token's ``sid`` claim is live, so an
        access token dies with its session (logout, revoke, password change or
        reset, deactivation) instead of living on to its expiry. The session's
        sign-in method rides along as ``session_method``; a staff account's
        token from a one-factor sign-in is refused.

        This runs on every authenticated request, and compiling the ORM query
        cost ~2 ms of Python per request in bench/profile_auth_me.py. So it is
        compiled once per database, from the one definition of "MFA is on"
        (``mfa_devices``), and run as raw SQL with the ids put in their places.

        With ``snapshot`` (``authentication_snapshot``, sent), a current kept
        answer is used instead, and the database's answer is kept otherwise.
        """
        ids = authentication_ids(user_id, claims)
        if ids is None:
            return None
        if snapshot is not None and (kept := snapshot.row()) is not None:
            return self.user_from_authentication_row(kept, deferred=_NOT_KEPT)
        row = self.authentication_row(*ids)
        if row is not None and snapshot is not None:
            snapshot.keep(self._without(row, _NOT_KEPT))
        return self.user_from_authentication_row(row)

    def authentication_row(self, user_uuid: uuid.UUID, session_uuid: uuid.UUID) -> tuple[Any, ...] | None:
        """The authentication query's row for the user and their live session, as the database answers it; else None."""
        connection = connections[self.db]
        compiled = self._authentication_query(connection)
        params = list(compiled.params)
        pk = self.model._meta.pk
        # As each backend stores a UUID (PostgreSQL: uuid; SQLite: 32 hex characters).
        for slot, value in zip(compiled.slots, (user_uuid, session_uuid), strict=True):
            for index in slot:
                params[index] = pk.get_db_prep_value(value, connection)
        with prepared_cursor(self.db) as cursor:  # prepared once per pooled connection (guardiannest.prepared)
            cursor.execute(compiled.sql, params)
            row = cursor.fetchone()
        return None if row is None else tuple(row)

    def user_from_authentication_row(
        self, row: Sequence[Any] | None, *, deferred: frozenset[str] = frozenset()
    ) -> User | None:
        """The user of an ``authentication_row`` (from the database or a snapshot of it); None if refused.

        ``deferred`` fields are left for the database to load if they are read.
        """
        if row is None:
            return None
        connection = connections[self.db]
        user = self._authentication_query(connection).load(row, db=self.db, connection=connection, deferred=deferred)
        if staff_second_factor_missing(is_staff=user.is_staff, method=str(user.__dict__.get("session_method"))):
            return None  # a staff token from a one-factor sign-in made before that was refused
        return user

    def _without(self, row: Sequence[Any], fields: frozenset[str]) -> tuple[Any, ...]:
        """``row`` with the columns of ``fields`` blanked (None), for a snapshot that must not hold them."""
        compiled = self._authentication_query(connections[self.db])
        blank = {p for n, p in zip(compiled.init_names, compiled.init_positions, strict=True) if n in fields}
        return tuple(None if position in blank else value for position, value in enumerate(row))

    def _authentication_query(self, connection: BaseDatabaseWrapper) -> _CompiledLoad:
        """``get_for_authentication``'s statement, compiled once per database."""
        compiled = _AUTHENTICATION_SQL.get(connection.alias)
        if compiled is None:
            pk = self.model._meta.pk
            user_marker = pk.get_db_prep_value(_ID_MARKER, connection)
            session_marker = pk.get_db_prep_value(_SESSION_MARKER, connection)
            # The live session is joined (one row at most: its primary key), and its method read off the join.
            query = (
                self.get_queryset()
                .filter(pk=_ID_MARKER, sessions__pk=_SESSION_MARKER, sessions__ended_at__isnull=True)
                .annotate(
                    mfa_on=Exists(mfa_devices().filter(user=OuterRef("pk"))),
                    session_method=F("sessions__method"),
                )
                .order_by()
            )
            compiler = query.query.get_compiler(connection=connection)
            sql, params = compiler.as_sql()
            slots = tuple(
                tuple(i for i, value in enumerate(params) if value == marker)
                for marker in (user_marker, session_marker)
            )
            compiled = _AUTHENTICATION_SQL[connection.alias] = _CompiledLoad.of(
                compiler, sql, tuple(params), (slots[0], slots[1])
            )
        return compiled

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
        """Whether sign-in asks this user for a second factor (``accounts.models.mfa.mfa_devices`` says when).

        Read from the row when ``UserManager.get_for_authentication`` loaded it
        (as ``mfa_on``), otherwise asked of the database now.
        """
        annotated = self.__dict__.get("mfa_on")
        if annotated is not None:
            return bool(annotated)
        return mfa_devices().filter(user=self).exists()

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self) -> str:
        return self.first_name

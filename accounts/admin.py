from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.models import BackupCode, FirebaseIdentity, Passkey, Role, TOTPDevice, User, UserSession
from accounts.models.family import Child, EmergencyContact, FavoriteSitter, ParentProfile
from accounts.models.gdpr import DataExport
from accounts.services import family as family_services
from accounts.services.auth import user_update
from accounts.services.firebase import firebase_identity_unlink
from accounts.services.passkeys import passkey_revoke
from accounts.services.roles import user_role_change, user_staff_grant
from accounts.services.sessions import session_revoke
from guardiannest.admin import ReadOnlyAdmin, service_action
from guardiannest.errors import ApplicationError

# Written through accounts.services.auth.user_update when staff edit them on a user's page.
SERVICE_FIELDS = ("first_name", "last_name", "phone")


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "role", "first_name", "last_name", "is_active", "is_staff", "date_joined"]
    list_filter = ["role", "is_active", "is_staff"]
    search_fields = ["email", "first_name", "last_name"]
    readonly_fields = ["id", "date_joined", "updated_at", "last_login", "email_verified_at"]
    # Who the account is and what it may do change only through audited services (the actions below).
    protected_fields = ["email", "role", "is_active", "is_staff", "is_superuser"]
    fieldsets = (
        (None, {"fields": ("id", "email", "password", "role")}),
        ("Person", {"fields": ("first_name", "last_name", "phone", "email_verified_at")}),
        ("Access", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("date_joined", "last_login", "updated_at")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "role", "password1", "password2")}),)
    actions = ["deactivate", "make_parent", "make_sitter", "grant_staff"]

    def get_readonly_fields(self, request: HttpRequest, obj: User | None = None) -> list[str]:
        """On an existing account the protected fields are read-only; creating one still names email and role."""
        fields = list(super().get_readonly_fields(request, obj))
        return fields if obj is None else [*fields, *self.protected_fields]

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        """Names and phone change through ``user_update`` (audited; a new name sends a verified identity to review)."""
        through_service = {name: getattr(obj, name) for name in SERVICE_FIELDS if change and name in form.changed_data}
        for name in through_service:
            setattr(obj, name, form.initial.get(name, ""))
        super().save_model(request, obj, form, change)
        if through_service:
            user_update(user=obj, actor=cast(User, request.user), data=through_service)
            obj.refresh_from_db()

    def _each(self, request: HttpRequest, queryset: QuerySet[User], change: Callable[[User], bool], done: str) -> None:
        count = 0
        for user in queryset:
            try:
                count += bool(change(user))
            except ApplicationError as exc:
                self.message_user(request, f"{user}: {exc.detail}", level=messages.WARNING)
        self.message_user(request, f"{count} account(s) {done}.")

    @admin.action(description="Deactivate (sign out of every device)", permissions=["change"])
    def deactivate(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        """Through the service, so every session ends and each one is audited (unticking is_active does neither)."""
        from accounts.services.gdpr import user_deactivate

        actor = cast(User, request.user)
        self._each(request, queryset, lambda user: user_deactivate(user=user, actor=actor), "deactivated")

    @admin.action(description="Change role to parent", permissions=["change"])
    def make_parent(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        actor = cast(User, request.user)
        self._each(request, queryset, lambda u: user_role_change(user=u, role=Role.PARENT, actor=actor), "changed")

    @admin.action(description="Change role to sitter", permissions=["change"])
    def make_sitter(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        actor = cast(User, request.user)
        self._each(request, queryset, lambda u: user_role_change(user=u, role=Role.SITTER, actor=actor), "changed")

    @admin.action(description="Grant staff (superusers only)", permissions=["change"])
    def grant_staff(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        actor = cast(User, request.user)
        self._each(request, queryset, lambda user: user_staff_grant(user=user, actor=actor), "made staff")


@admin.register(Passkey)
class PasskeyAdmin(ReadOnlyAdmin):
    """Support can see a user's passkeys and revoke one (through the service, so it is audited).

    Only the owner's device can register a passkey: nobody adds one here.
    """

    list_display = ["name", "user", "created_at", "last_used_at", "backed_up"]
    list_filter = ["backed_up"]
    search_fields = ["user__email", "name"]
    list_select_related = ["user"]
    readonly_fields = ("id", "user", "name", "created_at", "last_used_at", "sign_count", "aaguid", "backed_up")
    fields = readonly_fields

    def delete_row(self, obj: Passkey, actor: User) -> None:
        passkey_revoke(passkey=obj, actor=actor)


@admin.register(BackupCode)
class BackupCodeAdmin(ReadOnlyAdmin):
    """Read-only: support can see whether codes are left, never a code. Changes go through the MFA services."""

    list_display = ["user", "created_at", "used_at"]
    list_filter = [("used_at", admin.EmptyFieldListFilter)]
    search_fields = ["user__email"]
    fields = ["user", "created_at", "used_at"]
    readonly_fields = ["user", "created_at", "used_at"]
    list_select_related = ["user"]


@admin.register(TOTPDevice)
class TOTPDeviceAdmin(ReadOnlyAdmin):
    """Read-only: support can see who has an authenticator, never its secret (encrypted at rest).

    Enrolment and removal go through the MFA services (the owner's step-up, an audit event, an email).
    """

    list_display = ["user", "name", "confirmed", "created_at", "last_used_at"]
    list_filter = ["confirmed"]
    search_fields = ["user__email"]
    fields = readonly_fields = ("id", "user", "name", "confirmed", "created_at", "last_used_at")
    list_select_related = ["user"]


class FamilyAdmin(ReadOnlyAdmin):
    """Family rows for support: view and delete (where ``delete_row`` says how) only, never the encrypted columns.

    Addresses, phones, contact names and health details are left out of every
    list and form: a staff member reading them would be a read by someone other
    than the parent, which must go through the audited selectors. Deleting goes
    through the services, so it is audited too.
    """

    list_select_related = ["parent"]
    search_fields = ["parent__email"]
    list_filter = [("created_at", admin.DateFieldListFilter)]


@admin.register(ParentProfile)
class ParentProfileAdmin(FamilyAdmin):
    """Never deleted on its own: erased with the account (GDPR)."""

    list_display = ["user", "created_at", "updated_at"]
    list_select_related = ["user"]
    search_fields = ["user__email"]
    fields = readonly_fields = ("id", "user", "created_at", "updated_at")


@admin.register(Child)
class ChildAdmin(FamilyAdmin):
    list_display = ["first_name", "parent", "birth_date", "created_at"]
    fields = readonly_fields = ("id", "parent", "first_name", "birth_date", "created_at", "updated_at")

    def delete_row(self, obj: Child, actor: User) -> None:
        family_services.child_delete(child=obj, actor=actor)


@admin.register(EmergencyContact)
class EmergencyContactAdmin(FamilyAdmin):
    list_display = ["parent", "priority", "relationship", "created_at"]
    list_filter = ["priority", ("created_at", admin.DateFieldListFilter)]
    fields = readonly_fields = ("id", "parent", "priority", "relationship", "created_at", "updated_at")

    def delete_row(self, obj: EmergencyContact, actor: User) -> None:
        family_services.emergency_contact_delete(contact=obj, actor=actor)


@admin.register(FavoriteSitter)
class FavoriteSitterAdmin(FamilyAdmin):
    list_display = ["parent", "sitter", "created_at"]
    list_select_related = ["parent", "sitter"]
    fields = readonly_fields = ("id", "parent", "sitter", "created_at")

    def delete_row(self, obj: FavoriteSitter, actor: User) -> None:
        family_services.favorite_remove(favorite=obj, actor=actor)


@admin.register(FirebaseIdentity)
class FirebaseIdentityAdmin(ReadOnlyAdmin):
    """Support can see a user's Firebase links and remove one (through the service, so it is audited).

    Only the owner's Firebase token can make a link: nobody adds one here.
    """

    list_display = ["user", "provider", "trusted", "created_at", "last_used_at"]
    list_filter = ["provider", "trusted"]
    search_fields = ["user__email"]
    list_select_related = ["user"]
    readonly_fields = ("id", "user", "uid", "provider", "trusted", "created_at", "last_used_at")
    fields = readonly_fields

    def delete_row(self, obj: FirebaseIdentity, actor: User) -> None:
        firebase_identity_unlink(identity=obj, actor=actor)


def _session_revoke(session: UserSession, actor: User) -> object:
    return session_revoke(session=session, actor=actor)


@admin.register(UserSession)
class UserSessionAdmin(ReadOnlyAdmin):
    """A user's signed-in devices; support can end one (the user's own "sign out that device", audited).

    The refresh token's id stays out of the page: it names a live credential.
    """

    list_display = ["user", "method", "created_at", "last_used_at", "ended_at", "end_reason"]
    list_filter = ["method", "end_reason", ("ended_at", admin.EmptyFieldListFilter)]
    search_fields = ["user__email", "=id"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"
    ordering = ["-created_at"]
    fields = readonly_fields = (
        "id",
        "user",
        "method",
        "created_at",
        "authenticated_at",
        "last_used_at",
        "ip",
        "user_agent",
        "ended_at",
        "end_reason",
    )
    actions = [service_action("end_session", "End the session (sign out that device)", "revoke", _session_revoke)]

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("accounts.change_usersession"))


@admin.register(DataExport)
class DataExportAdmin(ReadOnlyAdmin):
    """GDPR exports: whether a user's export was made and when it expires; never the file itself."""

    list_display = ["user", "status", "created_at", "completed_at", "expires_at", "size_bytes"]
    list_filter = ["status", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["user__email", "=id"]
    list_select_related = ["user"]
    ordering = ["-created_at"]
    fields = readonly_fields = ("id", "user", "status", "size_bytes", "created_at", "completed_at", "expires_at")

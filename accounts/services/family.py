"""Every change to a family's data: one function, one transaction, one audit event.

Writes of one family are serialised on its profile row (``_lock_family``), so
rules that span rows (one emergency contact per priority, a cap on children)
hold under concurrent requests without relying on the caller. Audit events
name the fields that changed, never their values: the values are the secret.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction

from accounts.errors import FamilyError
from accounts.models import Child, EmergencyContact, FavoriteSitter, ParentProfile, Role, User
from accounts.models.family import PRIORITY_MAX, PRIORITY_MIN, validate_birth_date
from guardiannest.audit.services import audit_record
from guardiannest.errors import ApplicationError, invalid

MAX_CHILDREN = 20
PROFILE_FIELDS = ("address", "latitude", "longitude", "phone")
CHILD_FIELDS = ("first_name", "birth_date", "allergies", "medical_notes", "special_needs")
CONTACT_FIELDS = ("name", "phone", "relationship", "priority")


def _require_parent(user: User) -> None:
    if user.role != Role.PARENT:
        raise ApplicationError(FamilyError.NOT_A_PARENT, "Only parents have family data.")


def _lock_family(parent: User) -> ParentProfile:
    """The parent's profile, locked until the caller's transaction ends; made if missing."""
    _require_parent(parent)
    profile = parent_profile_get_or_create(parent=parent)
    return ParentProfile.objects.select_for_update().get(pk=profile.pk)


def _changes(instance: Any, data: dict[str, Any], allowed: tuple[str, ...]) -> dict[str, Any]:
    """The allowed keys of ``data`` whose value differs from the instance's (decrypting to compare)."""
    return {key: value for key, value in data.items() if key in allowed and getattr(instance, key) != value}


# --- profile ------------------------------------------------------------------------------------


def parent_profile_get_or_create(*, parent: User) -> ParentProfile:
    """The parent's profile, created empty on first access (a concurrent first access gets the same row)."""
    _require_parent(parent)
    profile, _ = ParentProfile.objects.get_or_create(user=parent)
    return profile


@transaction.atomic
def parent_profile_update(*, parent: User, actor: User, data: dict[str, Any]) -> ParentProfile:
    """Change the address, coordinates or phone. Coordinates come in pairs: both set or both empty."""
    profile = _lock_family(parent)
    changed = _changes(profile, data, PROFILE_FIELDS)
    if not changed:
        return profile
    for key, value in changed.items():
        setattr(profile, key, value)
    if (profile.latitude is None) != (profile.longitude is None):
        missing = "longitude" if profile.longitude is None else "latitude"
        raise invalid(missing, "Send latitude and longitude together (or both null).")
    profile.save(update_fields=[*changed, "updated_at"])
    audit_record(action="family.profile_updated", actor=actor, target=parent, data={"fields": sorted(changed)})
    return profile


# --- children -----------------------------------------------------------------------------------


def _check_birth_date(data: dict[str, Any]) -> None:
    if "birth_date" not in data:
        return
    try:
        validate_birth_date(data["birth_date"])
    except DjangoValidationError as exc:
        raise invalid("birth_date", exc.messages[0]) from exc


@transaction.atomic
def child_create(*, parent: User, actor: User, data: dict[str, Any]) -> Child:
    """Add a child. ``first_name`` and ``birth_date`` are required; health details may be blank."""
    _lock_family(parent)
    _check_birth_date(data)
    if Child.objects.filter(parent=parent).count() >= MAX_CHILDREN:
        raise ApplicationError(FamilyError.TOO_MANY_CHILDREN, f"A family can list at most {MAX_CHILDREN} children.")
    child = Child(parent=parent, **{key: value for key, value in data.items() if key in CHILD_FIELDS})
    child.save()
    audit_record(
        action="family.child_created",
        actor=actor,
        target=child,
        data={"fields": sorted(key for key in CHILD_FIELDS if getattr(child, key) not in ("", None))},
    )
    return child


@transaction.atomic
def child_update(*, child: Child, actor: User, data: dict[str, Any]) -> Child:
    """Change some of a child's details; the caller has already checked the child is the actor's."""
    _lock_family(child.parent)
    locked = Child.objects.select_for_update().get(pk=child.pk)
    _check_birth_date(data)
    changed = _changes(locked, data, CHILD_FIELDS)
    if not changed:
        return locked
    for key, value in changed.items():
        setattr(locked, key, value)
    locked.save(update_fields=[*changed, "updated_at"])
    audit_record(action="family.child_updated", actor=actor, target=locked, data={"fields": sorted(changed)})
    return locked


@transaction.atomic
def child_delete(*, child: Child, actor: User) -> None:
    _lock_family(child.parent)
    child_id = child.pk
    Child.objects.filter(pk=child_id).delete()
    audit_record(action="family.child_deleted", actor=actor, target_type="accounts.child", target_id=child_id)


# --- emergency contacts -------------------------------------------------------------------------


def _priority_taken(priority: int) -> ApplicationError:
    return ApplicationError(
        FamilyError.PRIORITY_TAKEN,
        f"Another emergency contact already has priority {priority}: move that one first.",
        errors={"priority": [f"Priority {priority} is taken."]},
    )


def _first_free_priority(parent: User) -> int:
    taken = set(EmergencyContact.objects.filter(parent=parent).values_list("priority", flat=True))
    for priority in range(PRIORITY_MIN, PRIORITY_MAX + 1):
        if priority not in taken:
            return priority
    raise ApplicationError(
        FamilyError.PRIORITY_TAKEN,
        f"Every priority from {PRIORITY_MIN} to {PRIORITY_MAX} is taken: remove a contact first.",
        errors={"priority": ["No priority is free."]},
    )


def _save_contact(contact: EmergencyContact, **kwargs: Any) -> None:
    """Save, answering a clash on (parent, priority) as ``priority_taken`` rather than a database error."""
    try:
        with transaction.atomic():
            contact.save(**kwargs)
    except IntegrityError as exc:
        raise _priority_taken(contact.priority) from exc


@transaction.atomic
def emergency_contact_create(*, parent: User, actor: User, data: dict[str, Any]) -> EmergencyContact:
    """Add a contact; without a priority it takes the first free one. A taken priority is a conflict."""
    _lock_family(parent)
    values = {key: value for key, value in data.items() if key in CONTACT_FIELDS}
    if values.get("priority") is None:
        values["priority"] = _first_free_priority(parent)
    elif EmergencyContact.objects.filter(parent=parent, priority=values["priority"]).exists():
        raise _priority_taken(values["priority"])
    contact = EmergencyContact(parent=parent, **values)
    _save_contact(contact)
    audit_record(
        action="family.contact_created",
        actor=actor,
        target=contact,
        data={"fields": sorted(key for key in CONTACT_FIELDS if getattr(contact, key) not in ("", None))},
    )
    return contact


@transaction.atomic
def emergency_contact_update(*, contact: EmergencyContact, actor: User, data: dict[str, Any]) -> EmergencyContact:
    _lock_family(contact.parent)
    locked = EmergencyContact.objects.select_for_update().get(pk=contact.pk)
    changed = _changes(locked, data, CONTACT_FIELDS)
    if not changed:
        return locked
    if "priority" in changed:
        others = EmergencyContact.objects.filter(parent_id=locked.parent_id, priority=changed["priority"])
        if others.exclude(pk=locked.pk).exists():
            raise _priority_taken(changed["priority"])
    for key, value in changed.items():
        setattr(locked, key, value)
    _save_contact(locked, update_fields=[*changed, "updated_at"])
    audit_record(action="family.contact_updated", actor=actor, target=locked, data={"fields": sorted(changed)})
    return locked


@transaction.atomic
def emergency_contact_delete(*, contact: EmergencyContact, actor: User) -> None:
    _lock_family(contact.parent)
    contact_id = contact.pk
    EmergencyContact.objects.filter(pk=contact_id).delete()
    audit_record(
        action="family.contact_deleted", actor=actor, target_type="accounts.emergencycontact", target_id=contact_id
    )


# --- favourites ---------------------------------------------------------------------------------


@transaction.atomic
def favorite_add(*, parent: User, actor: User, sitter_id: UUID) -> tuple[FavoriteSitter, bool]:
    """Bookmark an active sitter; ``(favourite, created)``. Adding one already there changes nothing."""
    _lock_family(parent)
    sitter = User.objects.filter(pk=sitter_id, role=Role.SITTER, is_active=True).first()
    if sitter is None:
        raise invalid("sitter_id", "No sitter has this id.", FamilyError.NOT_A_SITTER)
    existing = FavoriteSitter.objects.select_related("sitter").filter(parent=parent, sitter=sitter).first()
    if existing is not None:
        return existing, False
    favorite = FavoriteSitter.objects.create(parent=parent, sitter=sitter)
    audit_record(action="family.favorite_added", actor=actor, target=favorite)
    return favorite, True


@transaction.atomic
def favorite_remove(*, favorite: FavoriteSitter, actor: User) -> None:
    _lock_family(favorite.parent)
    favorite_id = favorite.pk
    FavoriteSitter.objects.filter(pk=favorite_id).delete()
    audit_record(
        action="family.favorite_removed", actor=actor, target_type="accounts.favoritesitter", target_id=favorite_id
    )


# --- GDPR ---------------------------------------------------------------------------------------


def family_export(user: User) -> dict[str, Any]:
    """Everything the family part holds about ``user``, decrypted: the GDPR export's "family" section."""
    profile = ParentProfile.objects.filter(user=user).first()
    return {
        "profile": None
        if profile is None
        else {
            "address": profile.address,
            "latitude": None if profile.latitude is None else str(profile.latitude),
            "longitude": None if profile.longitude is None else str(profile.longitude),
            "phone": profile.phone,
        },
        "children": [
            {key: str(getattr(child, key)) if key == "birth_date" else getattr(child, key) for key in CHILD_FIELDS}
            | {"id": str(child.pk)}
            for child in Child.objects.filter(parent=user).order_by("created_at")
        ],
        "emergency_contacts": [
            {key: getattr(contact, key) for key in CONTACT_FIELDS} | {"id": str(contact.pk)}
            for contact in EmergencyContact.objects.filter(parent=user).order_by("priority")
        ],
        "favorite_sitters": [
            str(sitter_id)
            for sitter_id in FavoriteSitter.objects.filter(parent=user)
            .order_by("created_at")
            .values_list("sitter_id", flat=True)
        ],
    }


@transaction.atomic
def family_erase(user: User) -> None:
    """Account deletion: children, contacts and favourites (either side) go; the profile is blanked.

    The profile row stays (empty) so rows that point at the family, such as
    past bookings, keep a valid reference without keeping anything personal.
    """
    children, _ = Child.objects.filter(parent=user).delete()
    contacts, _ = EmergencyContact.objects.filter(parent=user).delete()
    favorites, _ = FavoriteSitter.objects.filter(parent=user).delete()
    favorited, _ = FavoriteSitter.objects.filter(sitter=user).delete()
    profile = ParentProfile.objects.select_for_update().filter(user=user).first()
    if profile is not None:
        profile.address, profile.phone, profile.latitude, profile.longitude = "", "", None, None
        profile.save(update_fields=["address", "phone", "latitude", "longitude", "updated_at"])
    audit_record(
        action="family.erased",
        target=user,
        data={"children": children, "contacts": contacts, "favorites": favorites + favorited},
    )

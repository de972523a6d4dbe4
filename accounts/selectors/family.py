"""Read queries of the family subdomain: what a parent may see, and audited reads by others.

A parent sees only their own children, contacts and favourites; anything
else is "not found", never "forbidden", so ids of other families cannot be
probed. A child's health details and a family's address are read by someone
other than the parent (a booked sitter, later) only through
:func:`child_medical_read_for` and :func:`family_address_read_for`, which
write the audit event the parent sees under ``GET security/events``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

from django.conf import settings
from django.db.models import QuerySet

from accounts.models import Child, EmergencyContact, FavoriteSitter, ParentProfile, User
from guardiannest.audit.services import audit_record, audit_record_read
from guardiannest.errors import not_found


def child_list_for_parent(*, parent: User) -> QuerySet[Child]:
    return Child.objects.filter(parent=parent).order_by("created_at")


def child_get_for_parent(*, child_id: UUID, parent: User) -> Child:
    """The parent's own child; another family's is simply not found."""
    child = Child.objects.filter(pk=child_id, parent=parent).first()
    if child is None:
        raise not_found()
    return child


def emergency_contact_list_for_parent(*, parent: User) -> QuerySet[EmergencyContact]:
    return EmergencyContact.objects.filter(parent=parent).order_by("priority")


def emergency_contact_get_for_parent(*, contact_id: UUID, parent: User) -> EmergencyContact:
    contact = EmergencyContact.objects.filter(pk=contact_id, parent=parent).first()
    if contact is None:
        raise not_found()
    return contact


def favorite_list_for_parent(*, parent: User) -> QuerySet[FavoriteSitter]:
    """The parent's favourites whose sitter still has an active account."""
    return (
        FavoriteSitter.objects.filter(parent=parent, sitter__is_active=True)
        .select_related("sitter")
        .order_by("-created_at")
    )


def favorite_get_for_parent(*, sitter_id: UUID, parent: User) -> FavoriteSitter:
    """The parent's favourite of this sitter; not found when the sitter is not one of their favourites."""
    favorite = FavoriteSitter.objects.filter(parent=parent, sitter_id=sitter_id).first()
    if favorite is None:
        raise not_found()
    return favorite


# --- reads by someone other than the parent -----------------------------------------------------


@dataclass(frozen=True)
class ChildMedical:
    child_id: UUID
    allergies: str
    medical_notes: str
    special_needs: str


@dataclass(frozen=True)
class FamilyAddress:
    parent_id: UUID
    address: str
    latitude: Decimal | None
    longitude: Decimal | None


def child_medical_read_for(*, child: Child, reader: User, through: str | None = None) -> ChildMedical:
    """A child's health details for ``reader``; a read by anyone but the parent is audited.

    Precondition: the caller has decided that ``reader`` may see them (the
    parent; a sitter with a booking of this child in its window). This
    function does not decide that, it makes sure the read leaves a trace. The
    event names the parent as its target, so it shows in their security
    events, and carries the child's id but none of the details.

    ``through`` names what the read is made through (``booking:<id>``): repeated
    reads through it are audited once per ``FAMILY_READ_AUDIT_MINUTES`` per
    reader and child, with the count of reads (:func:`audit_record_read`).
    """
    medical = ChildMedical(
        child_id=child.pk,
        allergies=child.allergies,
        medical_notes=child.medical_notes,
        special_needs=child.special_needs,
    )
    if reader.pk != child.parent_id:
        _audit_read(
            action="family.medical_notes_read",
            reader=reader,
            parent_id=child.parent_id,
            through=through,
            data={"child_id": str(child.pk)},
        )
    return medical


def family_home_point(*, parent_id: UUID) -> tuple[Decimal, Decimal] | None:
    """Where the family lives, for distances computed in Python only (never shown, so not an audited read).

    The coordinates are encrypted at rest, so they cannot be read with
    ``values()`` or compared in SQL: the row is loaded and decrypted here.
    """
    profile = ParentProfile.objects.filter(user_id=parent_id).only("id", "latitude", "longitude").first()
    return None if profile is None else profile.coordinates


def family_address_read_for(*, parent: User, reader: User, through: str | None = None) -> FamilyAddress | None:
    """A family's address and coordinates for ``reader``; None when they gave none. Audited like medical notes.

    Same precondition (and ``through``) as :func:`child_medical_read_for`: the
    caller decided ``reader`` may see it. Only a read that returns something is audited.
    """
    profile = ParentProfile.objects.filter(user=parent).first()
    if profile is None or (not profile.address and profile.latitude is None):
        return None
    found = FamilyAddress(
        parent_id=parent.pk, address=profile.address, latitude=profile.latitude, longitude=profile.longitude
    )
    if reader.pk != parent.pk:
        _audit_read(action="family.address_read", reader=reader, parent_id=parent.pk, through=through, data={})
    return found


def _audit_read(*, action: str, reader: User, parent_id: UUID, through: str | None, data: dict[str, str]) -> None:
    """Audit a read of the family's data on the parent's trail: each one, or bounded per ``through``."""
    target_type = User._meta.label_lower
    if through is None:
        audit_record(action=action, actor=reader, target_type=target_type, target_id=parent_id, data=data)
        return
    audit_record_read(
        action=action,
        actor=reader,
        scope=":".join((through, str(reader.pk), *data.values())),
        every=settings.FAMILY_READ_AUDIT_MINUTES * 60,
        target_type=target_type,
        target_id=parent_id,
        data=data,
    )

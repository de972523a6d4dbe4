"""Cache invalidation for changes made outside the sitters services (ARCHITECTURE.md: signals for observers only).

Public profiles and search show or filter on rows other apps own, and those
apps know nothing of sitters, so these observers forget a sitter's cached
entries (after commit, through :mod:`sitters.cache`) when:

- the sitter's account changes a field profiles and search depend on:
  ``first_name`` (shown), ``is_active`` and ``role`` (a deactivated account,
  or one no longer a sitter, is neither found nor shown). Whoever saves it:
  the accounts services (``auth/me``, deactivation, erasure) or staff in the
  admin. A save that names only other fields (a login's ``last_login``, a
  password change) invalidates nothing: it would empty every cached search;
- a profile is deleted without a service (its account deleted in the admin,
  the cascade takes the profile): its cached entries would outlive it;
- a file a profile shows changes: its photo, or a certification's document
  (staff approve one in ``file_review``, a sitter deletes one), which decides
  the badges. A file nothing points at yet (an upload being processed)
  invalidates nothing. The scanner records its verdict with a queryset
  update, which sends no signal: the files pipeline scans before a file is
  ready, so before a profile can point at it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from accounts.models import User
from files.models import Purpose, StoredFile
from sitters.cache import sitter_changed_on_commit
from sitters.models import Certification, SitterProfile

SHOWN_ON_PROFILES = frozenset({Purpose.AVATAR, Purpose.CERTIFICATION})
# The account fields public profiles and search show or filter on.
USER_FIELDS_SHOWN = frozenset({"first_name", "is_active", "role"})


def _invalidate_if_sitter(user_id: Any) -> None:
    if SitterProfile.objects.filter(pk=user_id).exists():
        sitter_changed_on_commit(user_id)


def stored_file_changed(sender: type[StoredFile], instance: StoredFile, **kwargs: Any) -> None:
    """Only a file a profile shows: the photo or a certification's document (not one still being processed)."""
    if kwargs.get("created") or instance.owner_id is None or instance.purpose not in SHOWN_ON_PROFILES:
        return
    shown = (
        SitterProfile.objects.filter(pk=instance.owner_id, photo_id=instance.pk).exists()
        if instance.purpose == Purpose.AVATAR
        else Certification.objects.filter(sitter_id=instance.owner_id, document_id=instance.pk).exists()
    )
    if shown:
        sitter_changed_on_commit(instance.owner_id)


def user_saved(
    sender: type[User], instance: User, created: bool, update_fields: Iterable[str] | None, **kwargs: Any
) -> None:
    """A new account has no profile yet; a save naming fields invalidates only if one is shown."""
    if created or (update_fields is not None and USER_FIELDS_SHOWN.isdisjoint(update_fields)):
        return
    _invalidate_if_sitter(instance.pk)


def sitter_profile_deleted(sender: type[SitterProfile], instance: SitterProfile, **kwargs: Any) -> None:
    sitter_changed_on_commit(instance.pk)

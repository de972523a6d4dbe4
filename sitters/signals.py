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
- a file shown on profiles changes: the avatar, or a certification document
  (staff approve one in ``file_review``, a sitter deletes one, a scan
  rejects one), which decides the badges.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from accounts.models import User
from files.models import Purpose, StoredFile
from sitters.cache import sitter_changed_on_commit
from sitters.models import SitterProfile

SHOWN_ON_PROFILES = frozenset({Purpose.AVATAR, Purpose.CERTIFICATION})
# The account fields public profiles and search show or filter on.
USER_FIELDS_SHOWN = frozenset({"first_name", "is_active", "role"})


def _invalidate_if_sitter(user_id: Any) -> None:
    if SitterProfile.objects.filter(pk=user_id).exists():
        sitter_changed_on_commit(user_id)


def stored_file_changed(sender: type[StoredFile], instance: StoredFile, **kwargs: Any) -> None:
    # A file just uploaded is pending and nothing points at it yet: nothing shown changes.
    if kwargs.get("created") or instance.owner_id is None or instance.purpose not in SHOWN_ON_PROFILES:
        return
    _invalidate_if_sitter(instance.owner_id)


def user_saved(
    sender: type[User], instance: User, created: bool, update_fields: Iterable[str] | None, **kwargs: Any
) -> None:
    """A new account has no profile yet; a save naming fields invalidates only if one is shown."""
    if created or (update_fields is not None and USER_FIELDS_SHOWN.isdisjoint(update_fields)):
        return
    _invalidate_if_sitter(instance.pk)


def sitter_profile_deleted(sender: type[SitterProfile], instance: SitterProfile, **kwargs: Any) -> None:
    sitter_changed_on_commit(instance.pk)

"""Cache invalidation for changes made outside the sitters services (ARCHITECTURE.md: signals for observers only).

A sitter's avatar and certification documents live in the files app, which
knows nothing of sitters: staff approve a document there (``file_review``), a
sitter deletes one, a scan rejects one. Each of these changes what the public
profile and search show (photo, badges), so the owner's cached entries go.
"""

from __future__ import annotations

from typing import Any

from files.models import Purpose, StoredFile
from sitters.cache import sitter_changed_on_commit
from sitters.models import SitterProfile

SHOWN_ON_PROFILES = frozenset({Purpose.AVATAR, Purpose.CERTIFICATION})


def stored_file_changed(sender: type[StoredFile], instance: StoredFile, **kwargs: Any) -> None:
    if instance.owner_id is None or instance.purpose not in SHOWN_ON_PROFILES:
        return
    if SitterProfile.objects.filter(pk=instance.owner_id).exists():
        sitter_changed_on_commit(instance.owner_id)

"""What the GDPR tests share: their routes and task, and a temporary media root for the export files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

EXPORT = "/api/v1/security/export"
DELETE_ACCOUNT = "/api/v1/security/delete-account"
BUILD_TASK = "accounts.data_export_build"


@pytest.fixture
def private_media(settings: Any, tmp_path: Path) -> Path:
    """Export files go to a temporary media root, never to var/media."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"

"""State changes of files, one module per stage: uploads, pipeline (scan and process), links, lifecycle."""

from files.services.lifecycle import (
    file_delete,
    file_orphans_purge,
    file_purge_detached,
    file_review,
    files_erase,
    files_export,
)
from files.services.links import file_link, file_links, file_open_signed
from files.services.pipeline import (
    file_pending_retry,
    file_process,
    file_process_failed,
    file_quarantine,
    file_reject_unprocessable,
)
from files.services.uploads import file_create, upload_check

__all__ = [
    "file_create",
    "file_delete",
    "file_link",
    "file_links",
    "file_open_signed",
    "file_orphans_purge",
    "file_pending_retry",
    "file_process",
    "file_process_failed",
    "file_purge_detached",
    "file_quarantine",
    "file_reject_unprocessable",
    "file_review",
    "files_erase",
    "files_export",
    "upload_check",
]

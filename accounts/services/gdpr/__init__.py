"""GDPR: a copy of everything we hold about a user, erasure of the account, and deactivation.

Each app contributes through ``guardiannest.registries``: ``gdpr_exporters``
return the app's data about a user as a JSON-able dict under the app's name,
``gdpr_erasers`` erase or anonymise it (financial and audit records stay,
pointing at the kept, anonymised user row). ``accounts_data`` holds the
"accounts" contributions; ``exports`` and ``erasure`` the flows that ask every app.
"""

from accounts.services.gdpr.accounts_data import accounts_erase, accounts_export
from accounts.services.gdpr.erasure import user_deactivate, user_erase, user_erase_confirmed
from accounts.services.gdpr.exports import (
    data_export_build,
    data_export_download_url,
    data_export_open,
    data_export_purge_expired,
    data_export_request,
)

__all__ = [
    "accounts_erase",
    "accounts_export",
    "data_export_build",
    "data_export_download_url",
    "data_export_open",
    "data_export_purge_expired",
    "data_export_request",
    "user_deactivate",
    "user_erase",
    "user_erase_confirmed",
]

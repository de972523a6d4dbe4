"""The fixtures of the accounts tests, each defined in its subdomain's helpers module beside what it serves."""

from accounts.tests.family_helpers import child, contact, favorite  # noqa: F401
from accounts.tests.firebase_helpers import _google, google, other_key  # noqa: F401
from accounts.tests.gdpr_helpers import private_media  # noqa: F401
from accounts.tests.mfa_helpers import caller, device, mfa_parent_api  # noqa: F401
from accounts.tests.passkeys_helpers import authenticator, relying_party  # noqa: F401

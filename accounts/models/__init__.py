"""Account tables, one module per subdomain; each module lists its models in ``__all__``."""

from accounts.models.family import *  # noqa: F403
from accounts.models.firebase import *  # noqa: F403
from accounts.models.gdpr import *  # noqa: F403
from accounts.models.mfa import *  # noqa: F403
from accounts.models.passkeys import *  # noqa: F403
from accounts.models.sessions import UserSession as UserSession
from accounts.models.user import Role as Role
from accounts.models.user import User as User
from accounts.models.user import UserManager as UserManager

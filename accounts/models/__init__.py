"""Account tables, one module per subdomain."""

from accounts.models.sessions import UserSession
from accounts.models.user import Role, User, UserManager

__all__ = ["Role", "User", "UserManager", "UserSession"]

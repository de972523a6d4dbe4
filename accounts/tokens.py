"""The one module of the domain that speaks to simplejwt, the JWT library behind our token pairs.

Services issue, read and blacklist refresh tokens through these names; the
library's HTTP pieces (its authentication class and views) stay with the API.
"""

from __future__ import annotations

from rest_framework_simplejwt.exceptions import TokenBackendError, TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.state import token_backend
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

__all__ = [
    "BlacklistedToken",
    "OutstandingToken",
    "RefreshToken",
    "TokenBackendError",
    "TokenError",
    "jwt_settings",
    "token_backend",
]

"""Permissions by role, for the routes only one kind of account may use."""

from __future__ import annotations

from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView


def role_permission(role: str, message: str) -> type[BasePermission]:
    """A permission class letting in signed-in accounts of ``role`` only (others get 403 with ``message``)."""

    class HasRole(BasePermission):
        def __init__(self) -> None:
            self.message = message

        def has_permission(self, request: Request, view: APIView) -> bool:
            return bool(request.user and request.user.is_authenticated and request.user.role == role)

    HasRole.__name__ = HasRole.__qualname__ = f"Is{role.capitalize()}"
    return HasRole

"""The back office: django-otp's admin site, with codes checked the way the API checks them, and every change audited.

django-otp's own check (verify, then save) lets two racing logins spend one
code; the admin's form uses the MFA service instead, which spends a code under
a row lock, and counts a wrong code toward the lockout like every other way in.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.admin import ModelAdmin
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite

from accounts.api.lockout import lockout_failure
from accounts.services.mfa import totp_code_clean, totp_verify_device
from guardiannest.admin import audited_admin_class
from guardiannest.dashboard import dashboard_context
from guardiannest.errors import ApplicationError


class LockedOTPAdminAuthenticationForm(OTPAdminAuthenticationForm):
    def _verify_token(self, user: Any, token: str, device: Any = None) -> Any:
        code = totp_code_clean(token)
        verified = totp_verify_device(user=user, code=code) if code is not None else None
        if verified is None:
            if self.request is not None:
                try:
                    lockout_failure(request=self.request, email=user.email, way="admin_totp")
                except ApplicationError as locked:  # the lockout middleware answers 429 for this request
                    raise forms.ValidationError(locked.detail, code=locked.code) from locked
            raise forms.ValidationError(self.otp_error_messages["invalid_token"], code="invalid_token")
        return verified


class GuardianNestAdminSite(OTPAdminSite):
    """``admin.site`` (``accounts.apps.BackOfficeAdminConfig``): staff get in only with a verified one-time password."""

    login_form = LockedOTPAdminAuthenticationForm
    site_header = "GuardianNest back office"
    site_title = "GuardianNest"

    def __init__(self, name: str = "admin") -> None:
        # OTPAdminSite names itself "otpadmin"; the default site keeps Django's name, so "admin:…" URLs resolve.
        super().__init__(name)

    def index(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> TemplateResponse:
        """The home is a dashboard: the panels and charts the apps register (guardiannest.dashboard),
        those this staff member has the permission for."""
        context = {**dashboard_context(user=request.user), **(extra_context or {})}
        return super().index(request, extra_context=context)

    def register(self, model_or_iterable: Any, admin_class: Any = None, **options: Any) -> None:
        """Every admin, ours and third parties' (users, groups, waffle), records its changes in the audit log."""
        super().register(model_or_iterable, audited_admin_class(admin_class or ModelAdmin), **options)

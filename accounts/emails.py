"""Account emails: one template pair (HTML + text) per kind, rendered the same way everywhere.

Rendering lives apart from sending so a password reset for an unknown address
can do the same work as one for a known address without anything leaving.
Each kind has ``email/<kind>.txt`` (the body every client can show) and
``email/<kind>.html`` (the alternative), both translatable, under templates/
(``mfa_changed``: under accounts/templates/).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from accounts.models import User

# Subjects are code, not templates: a template's trailing newline would end up in a header.
SUBJECTS = {
    "verify_email": _("Confirm your email address"),
    "password_reset": _("Reset your GuardianNest password"),
    "password_changed": _("Your GuardianNest password was changed"),
    "mfa_changed": _("A way to sign in to your GuardianNest account changed"),
}


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def frontend_link(path: str, **fragment: str) -> str:
    """A link into the app with its parameters in the fragment, which never reaches a server log."""
    link = f"{settings.FRONTEND_URL}/{path.lstrip('/')}"
    return f"{link}#{urlencode(fragment)}" if fragment else link


def email_render(*, kind: str, context: dict[str, Any]) -> RenderedEmail:
    """Render the subject, text body and HTML body of one kind of email."""
    context = {"site_name": "GuardianNest", "frontend_url": settings.FRONTEND_URL, **context}
    with translation.override(settings.LANGUAGE_CODE):
        return RenderedEmail(
            subject=str(SUBJECTS[kind]),
            text=render_to_string(f"email/{kind}.txt", context),
            html=render_to_string(f"email/{kind}.html", context),
        )


def email_message(*, to: str, rendered: RenderedEmail) -> EmailMultiAlternatives:
    """The message as sent: the text body, with the HTML as its alternative."""
    message = EmailMultiAlternatives(subject=rendered.subject, body=rendered.text, to=[to])
    message.attach_alternative(rendered.html, "text/html")
    return message


def change_notice_send(*, user_id: uuid.UUID | str, kind: str, changed_at: str, **context: Any) -> bool:
    """Tell the owner that something about their account changed, with the way back if it was not them.

    The way back is the password reset. Nothing goes to an account gone or
    switched off since the change; True when sent.
    """
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return False
    context.update(
        first_name=user.first_name, changed_at=datetime.fromisoformat(changed_at), link=frontend_link("forgot-password")
    )
    email_message(to=user.email, rendered=email_render(kind=kind, context=context)).send()
    return True

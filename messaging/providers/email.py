"""Email through Django's configured backend: SMTP in production, files in var/outbox embedded.

SMTP has no way to ask a server whether it already took a message, so an email
whose worker died between the server's 250 and the outbox recording it is sent
again. The repeat is made harmless: each delivery has one ``Message-ID``
(:func:`message_id`, from its delivery key), the same on every attempt, and
mail clients, archives and Gmail's threading show one message per Message-ID.
"""

from __future__ import annotations

import re
import smtplib
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.utils import DNS_NAME

from messaging.providers.base import DeliveryResult, EmailMessage, PermanentFailure, TemporaryFailure

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def message_id(idempotency_key: str) -> str:
    """``<key@domain>``: the same on every attempt of a delivery; the domain is the sender's."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or str(DNS_NAME)
    return f"<{_UNSAFE.sub('_', idempotency_key)[:120]}@{domain}>"


class DjangoEmailProvider:
    @property
    def name(self) -> str:
        return "smtp" if settings.EMAIL_BACKEND.endswith("smtp.EmailBackend") else "django"

    def send_email(self, message: EmailMessage, *, idempotency_key: str) -> DeliveryResult:
        mail = EmailMultiAlternatives(
            subject=message.subject,
            body=message.text,
            to=[message.to],
            headers={
                **message.headers,
                "Message-ID": message_id(idempotency_key),
                "X-GuardianNest-Delivery": idempotency_key,
            },
            connection=get_connection(fail_silently=False),
        )
        if message.html:
            mail.attach_alternative(message.html, "text/html")
        try:
            mail.send()
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            worst = max(codes, default=550)
            if worst >= 500:
                raise PermanentFailure("recipient refused", provider_code=str(worst)) from exc
            raise TemporaryFailure("recipient deferred", provider_code=str(worst)) from exc
        except smtplib.SMTPResponseException as exc:
            if 500 <= exc.smtp_code < 600:
                raise PermanentFailure(f"SMTP {exc.smtp_code}", provider_code=str(exc.smtp_code)) from exc
            raise TemporaryFailure(f"SMTP {exc.smtp_code}", provider_code=str(exc.smtp_code)) from exc
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            raise TemporaryFailure(type(exc).__name__) from exc
        return DeliveryResult(provider=self.name, provider_id=mail.extra_headers.get("Message-ID", ""))

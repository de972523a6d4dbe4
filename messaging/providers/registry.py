"""The configured provider for each channel: the real one when its variables are set."""

from __future__ import annotations

from django.conf import settings

from messaging.providers.base import EmailProvider, PushProvider, SmsProvider
from messaging.providers.email import DjangoEmailProvider
from messaging.providers.outbox import OutboxPushProvider, OutboxSmsProvider


def email_provider() -> EmailProvider:
    return DjangoEmailProvider()


def sms_provider() -> SmsProvider:
    if settings.TWILIO_ACCOUNT_SID:
        from messaging.providers.sms import TwilioSmsProvider

        return TwilioSmsProvider()
    return OutboxSmsProvider()


def push_provider() -> PushProvider:
    if settings.FIREBASE_PROJECT_ID:
        from messaging.providers.push import FcmPushProvider

        return FcmPushProvider()
    return OutboxPushProvider()

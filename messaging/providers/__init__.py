"""Delivery providers behind one small interface, each with an embedded twin.

Only the provider modules import a third party's SDK: ``email.py`` (Django's
email backends: SMTP in production), ``sms.py`` (Twilio), ``push.py``
(Firebase Cloud Messaging through firebase-admin). Everything else talks to
:mod:`messaging.providers.base`.
"""

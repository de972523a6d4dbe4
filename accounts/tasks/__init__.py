"""Celery tasks of accounts, one module per subdomain: thin wrappers around the services they are named after.

Importing the package registers every task, so the worker knows them whatever
autodiscovery looks at (``AccountsConfig.ready`` imports it too).
"""

from accounts.tasks import emails, gdpr, tokens

__all__ = ["emails", "gdpr", "tokens"]

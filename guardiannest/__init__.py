"""GuardianNest: the backend of a babysitting marketplace."""

from guardiannest.celery import app as celery_app

__all__ = ["celery_app"]

"""Celery tasks of the sitters app (one module per subdomain, imported so workers register them)."""

from sitters.tasks import calendar, certifications, verification  # noqa: F401

"""WSGI entry point: production HTTP is served by gunicorn with sync workers."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guardiannest.settings")

application = get_wsgi_application()

"""WSGI entry point for the bare DRF baseline: ``gunicorn bench.wsgi_bare:application``."""

import os

from django.core.wsgi import get_wsgi_application

# This entry point only makes sense with the bare settings, whatever the environment says.
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings_bare"

application = get_wsgi_application()

"""WSGI entry point for the bare DRF baseline: ``gunicorn bench.wsgi_bare:application``."""

import os

from django.core.wsgi import get_wsgi_application

# This entry point only makes sense with the bare settings, whatever the environment says.
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings_bare"

application = get_wsgi_application()

from guardiannest.startup import freeze_loaded_objects  # noqa: E402

freeze_loaded_objects()  # as guardiannest.wsgi does, so the baseline's workers are the app's but for the app

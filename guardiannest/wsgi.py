"""WSGI entry point: production HTTP is served by gunicorn with sync workers."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guardiannest.settings")

application = get_wsgi_application()

from guardiannest.startup import freeze_loaded_objects  # noqa: E402

freeze_loaded_objects()  # the loaded app's objects leave the garbage collector's work (guardiannest.startup)

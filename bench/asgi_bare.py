"""ASGI entry point for the bare DRF baseline: ``uvicorn bench.asgi_bare:application``.

Django's own ASGI handler, no Channels router: the HTTP path only.
"""

import os

from django.core.asgi import get_asgi_application

os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings_bare"

application = get_asgi_application()

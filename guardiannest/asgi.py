"""ASGI entry point: websockets in production (uvicorn), and everything in ``make run``.

HTTP under ASGI pays a thread hop for every sync middleware and view, so
production serves HTTP from gunicorn (WSGI) and only ``/ws`` from here.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guardiannest.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from guardiannest.realtime.middleware import origin_and_ticket  # noqa: E402
from guardiannest.realtime.routing import websocket_urlpatterns  # noqa: E402
from guardiannest.startup import freeze_loaded_objects  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": origin_and_ticket(URLRouter(websocket_urlpatterns)),
    }
)
freeze_loaded_objects()  # the loaded app's objects leave the garbage collector's work (guardiannest.startup)

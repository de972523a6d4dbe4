"""WSGI entry point of bench/chat.py: the app, and the same-work floor views in the same gunicorn workers.

``/bench/…`` goes to a Django handler with no middleware and the bench URLconf
(bench/urls_bare.py: the floor's POST, one INSERT and one PUBLISH); everything
else to the app, exactly as ``guardiannest.wsgi``. Both run in the same worker
processes, on the same database pool and Redis.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guardiannest.settings")

app = get_wsgi_application()

from bench._inprocess import wsgi_application  # noqa: E402  (after Django is set up)

bare = wsgi_application(middleware=[], urlconf="bench.urls_bare")

from guardiannest.startup import freeze_loaded_objects  # noqa: E402

freeze_loaded_objects()  # as guardiannest.wsgi does: for the app and the floor alike (the same workers)


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    if environ.get("PATH_INFO", "").startswith("/bench/"):
        return bare(environ, start_response)
    return app(environ, start_response)

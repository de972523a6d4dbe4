"""Bench-only settings: the real settings with no middleware and a one-view URLconf.

The baseline for "what does DRF itself cost": same apps, database, cache and
logging as production, but no middleware and a view without authentication,
permissions or throttles (see bench/urls_bare.py).
"""

from guardiannest.settings import *  # noqa: F403

MIDDLEWARE: list[str] = []
ROOT_URLCONF = "bench.urls_bare"

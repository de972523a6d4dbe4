"""Bench-only settings for bench/search.py: the real settings, with a URLconf that adds a no-op view."""

from guardiannest.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls_search"

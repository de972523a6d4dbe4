"""No API route shadows another: each resolves to itself, so the order of guardiannest/urls.py is free."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

from django.urls import URLPattern, URLResolver, resolve

from guardiannest.urls import api_v1

# A sample value per path converter in use; an unknown converter fails the test (add its sample here).
SAMPLES = {"uuid": str(uuid.uuid4()), "int": "7", "str": "sample", "slug": "sample"}
_PARAMETER = re.compile(r"<(?:(?P<converter>\w+):)?\w+>")


def _routes(patterns: Sequence[Any], prefix: str) -> Iterator[str]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            assert isinstance(pattern, URLPattern)
            yield prefix + str(pattern.pattern)


def test_every_api_route_resolves_to_itself() -> None:
    routes = list(_routes(api_v1, "api/v1/"))
    assert len(routes) > 100

    shadowed = {}
    for route in routes:
        path = "/" + _PARAMETER.sub(lambda match: SAMPLES[match.group("converter") or "str"], route)
        if (found := resolve(path).route) != route:
            shadowed[route] = found

    assert shadowed == {}

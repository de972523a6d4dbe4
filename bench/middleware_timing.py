"""Timing shims for benchmarks: each middleware's own time within one request.

``interleave(MIDDLEWARE)`` puts a shim before every middleware and one before
the view. Each shim records how long everything inside it took, so within the
same request middleware *i* cost ``inclusive[i] - inclusive[i + 1]`` (its
request and response halves together) and the last shim holds the view path
(URL resolution, view middleware hooks such as CSRF's ``process_view``, the
view). Differences within one request are immune to the machine's drift.
Bench only: sync (WSGI) stacks only.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

MAX_LAYERS = 40
# ns spent inside shim i during the last request (one process, one thread: WSGI sync worker).
inclusive_ns: list[int] = [0] * (MAX_LAYERS + 1)


class _Shim:
    index = 0
    sync_capable = True
    async_capable = False

    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        started = time.perf_counter_ns()
        try:
            return self.get_response(request)
        finally:
            inclusive_ns[self.index] = time.perf_counter_ns() - started


# Shim0 ... Shim40: Django builds middleware from dotted paths, so each index is a class here.
for _index in range(MAX_LAYERS + 1):
    globals()[f"Shim{_index}"] = type(f"Shim{_index}", (_Shim,), {"index": _index})


def interleave(middleware: list[str]) -> list[str]:
    """``middleware`` with a shim before each entry and one before the view."""
    if len(middleware) > MAX_LAYERS:
        raise ValueError(f"at most {MAX_LAYERS} middleware")
    shimmed: list[str] = []
    for index, name in enumerate(middleware):
        shimmed += [f"{__name__}.Shim{index}", name]
    shimmed.append(f"{__name__}.Shim{len(middleware)}")
    return shimmed

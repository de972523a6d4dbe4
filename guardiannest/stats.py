"""In-process rolling figures shown to operators (per process, not a metrics store)."""

from __future__ import annotations

import threading
from collections import deque


class RollingWindow:
    """The last ``size`` samples, with percentiles on demand; thread safe."""

    def __init__(self, size: int = 2000) -> None:
        self._samples: deque[float] = deque(maxlen=size)
        self._lock = threading.Lock()

    def add(self, value: float) -> None:
        with self._lock:
            self._samples.append(value)

    def percentiles(self, *points: int) -> dict[str, float | None]:
        with self._lock:
            ordered = sorted(self._samples)
        result: dict[str, float | None] = {}
        for point in points:
            if not ordered:
                result[f"p{point}"] = None
                continue
            index = min(len(ordered) - 1, max(0, round(point / 100 * len(ordered)) - 1))
            result[f"p{point}"] = round(ordered[index], 2)
        return result

    def __len__(self) -> int:
        return len(self._samples)


response_times = RollingWindow()

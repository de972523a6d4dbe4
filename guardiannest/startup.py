"""What a server process does once the app is loaded, before it serves anything."""

from __future__ import annotations

import gc


def freeze_loaded_objects() -> None:
    """Keep the objects made while loading (Django, the apps, the URLconf) out of every later garbage collection.

    A loaded app holds hundreds of thousands of objects that live as long as
    the process. Each full collection walked them all: in a realtime process
    fanning one event out to 250 sockets, those pauses were the slowest
    sockets' wait (bench/README.md, "fan-out and the garbage collector").
    Frozen (``gc.freeze``), they are never scanned again; what the process
    makes afterwards is collected as before.
    """
    gc.collect()  # what loading left behind goes now; the survivors are frozen
    gc.freeze()

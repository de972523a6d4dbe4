"""A server process freezes what loading the app made (guardiannest/startup.py): both entry points."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


@pytest.mark.parametrize("entry_point", ["guardiannest.wsgi", "guardiannest.asgi"])
def test_loading_an_entry_point_freezes_the_loaded_objects(entry_point: str) -> None:
    script = f"import gc; assert gc.get_freeze_count() == 0; import {entry_point}; print(gc.get_freeze_count())"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "guardiannest.settings_test"}

    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120)

    assert result.returncode == 0, result.stderr
    assert int(result.stdout.strip().splitlines()[-1]) > 50_000  # Django and the apps, frozen

"""Seams that must hold as code grows: one module imports Stripe's SDK, and payments never imports bookings."""

from __future__ import annotations

import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAYMENTS = ROOT / "payments"
SKIP = {".venv", "var", "node_modules", ".git"}


def _python_files(under: Path) -> list[Path]:
    files = []
    for folder, subfolders, names in os.walk(under):
        subfolders[:] = [name for name in subfolders if name not in SKIP]  # the virtualenv's stripe is not ours
        files += [Path(folder) / name for name in names if name.endswith(".py")]
    return files


def _importing(pattern: str, under: Path) -> list[str]:
    found = re.compile(rf"^\s*(from|import)\s+{pattern}\b", re.MULTILINE)
    return sorted(str(path.relative_to(ROOT)) for path in _python_files(under) if found.search(path.read_text()))


def test_only_stripe_client_imports_the_stripe_sdk() -> None:
    assert _importing("stripe", ROOT) == ["payments/stripe_client.py"]


def test_payments_never_imports_the_apps_that_call_it() -> None:
    assert _importing("(bookings|emergencies)", PAYMENTS) == []


def test_the_checks_can_see_an_import() -> None:
    assert _importing("payments", PAYMENTS)  # payments imports itself all over

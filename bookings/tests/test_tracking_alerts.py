"""bookings.tracking.alerts: emergencies reach bookings' safety timers through it, and bookings never import them."""

from __future__ import annotations

import ast
from pathlib import Path

from bookings.tracking.alerts import safety_alerter, safety_alerters

BOOKINGS = Path(__file__).resolve().parent.parent


def test_emergencies_fill_the_registry_when_they_load() -> None:
    from emergencies.services.timers import emergency_timer_raise, emergency_timer_resolve

    assert [key for key, _ in safety_alerters.items()] == ["emergencies"]
    alerter = safety_alerter()
    assert alerter.raise_ is emergency_timer_raise and alerter.resolve is emergency_timer_resolve


def imports_of(app: Path, other: str) -> list[str]:
    """Where a module of ``app`` (its tests and migrations aside) imports a module of the app ``other``."""
    found = []
    for path in sorted(app.rglob("*.py")):
        if {"tests", "migrations"} & set(path.relative_to(app).parts):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            found += [f"{path.relative_to(app)}:{node.lineno} {name}" for name in names if name.split(".")[0] == other]
    return found


def test_no_module_of_bookings_imports_emergencies() -> None:
    """Emergencies sit above bookings (ARCHITECTURE.md): the timers hand over through the registry, not an import."""
    assert imports_of(BOOKINGS, "emergencies") == []
    # the check sees imports where there are some: emergencies' of bookings
    assert "apps.py" in " ".join(imports_of(BOOKINGS.parent / "emergencies", "bookings"))

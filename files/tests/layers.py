"""An app's own source read as text: which modules are its domain, and what each one imports.

The domain (services, selectors, models, validation, storage, tasks …) speaks
the domain, not HTTP; only the API layer (``api/``) may use DRF, and the admin
is Django's own HTTP edge. Tests of each app use these to hold that line.
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path
from types import ModuleType

EDGES = frozenset({"api", "tests", "migrations"})
_LEGACY = frozenset({"status", "headers"})  # the transitional ApplicationError keywords


def domain_modules(package: ModuleType) -> list[str]:
    """The dotted name of every module of ``package`` but its HTTP edges (``api/``, ``admin*``), tests, migrations."""
    root = Path(str(package.__file__)).parent
    names = []
    for path in root.rglob("*.py"):
        parts = path.relative_to(root).with_suffix("").parts
        if EDGES & set(parts) or parts[0].startswith("admin"):
            continue
        names.append(".".join([package.__name__, *(parts[:-1] if parts[-1] == "__init__" else parts)]))
    return sorted(names)


def _tree(module: str) -> ast.Module:
    spec = importlib.util.find_spec(module)
    assert spec is not None and spec.origin is not None, module
    path = Path(spec.origin)
    return ast.parse(path.read_text(), filename=str(path))


def imported_names(module: str) -> set[str]:
    """``m`` for each ``import m``; ``m`` and ``m.name`` for each ``from m import name`` (read, not imported)."""
    names: set[str] = set()
    for node in ast.walk(_tree(module)):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def http_leaks(module: str) -> list[str]:
    """What ``module`` knows of HTTP (DRF, Django's request, a status given to ApplicationError): none in the domain."""
    leaks = sorted(
        name
        for name in imported_names(module)
        if name == "rest_framework" or name.startswith("rest_framework.") or name == "django.http.HttpRequest"
    )
    for node in ast.walk(_tree(module)):
        if isinstance(node, ast.Call) and _called(node) == "ApplicationError":
            leaks += [f"ApplicationError({kw.arg}=…) line {node.lineno}" for kw in node.keywords if kw.arg in _LEGACY]
    return leaks


def _called(call: ast.Call) -> str:
    return str(getattr(call.func, "id", getattr(call.func, "attr", "")))

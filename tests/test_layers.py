"""The shape every app keeps (ARCHITECTURE.md, STYLE.md), read from each app's source.

One test per rule, parametrised per app (``pytest tests/test_layers.py -k accounts``
checks one). The source is parsed, not imported, so a rule is checked without
running the module, and a failure names the file and line.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
# Our apps: the installed apps that are top-level folders of this repository (the platform excepted).
APPS = [
    name
    for name in settings.INSTALLED_APPS
    if "." not in name and name != "guardiannest" and (ROOT / name / "apps.py").is_file()
]

# A layer is one module or one package with a module per subdomain, never ``<layer>_<subdomain>.py``.
# ``admin_site.py`` names the admin site itself, not a subdomain of the admin.
SUFFIX_MODULE = re.compile(r"^(models|services|selectors|tasks|admin|errors)_(?!site\.py$)\w+\.py$")
# What STYLE.md names a selector: ``<entity>_get``, ``<entity>_list``, ``…_get_for_<who>``, ``…_list_for_<who>``.
SELECTOR_NAME = re.compile(r"_(get|list)(_for_[a-z_]+)?$")


def _python_files(folder: Path) -> Iterator[Path]:
    yield from sorted(path for path in folder.rglob("*.py") if "migrations" not in path.parts)


def _service_modules(app: str) -> Iterator[Path]:
    package = ROOT / app / "services"
    if package.is_dir():
        yield from _python_files(package)
    if (ROOT / app / "services.py").is_file():
        yield ROOT / app / "services.py"


def _where(path: Path, node: ast.AST) -> str:
    return f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"


@pytest.mark.parametrize("app", APPS)
def test_layers_are_packages_not_suffix_modules(app: str) -> None:
    suffixed = sorted(path.name for path in (ROOT / app).glob("*.py") if SUFFIX_MODULE.match(path.name))

    assert suffixed == [], f"{app}: make these modules of a package (selectors/chat.py, not selectors_chat.py)"


@pytest.mark.parametrize("app", APPS)
def test_service_modules_hold_no_selectors(app: str) -> None:
    """A read query a caller uses is a selector and lives in ``selectors``; services change state."""
    found = [
        f"{_where(path, node)} {node.name}"
        for path in _service_modules(app)
        for node in ast.parse(path.read_text()).body
        if isinstance(node, ast.FunctionDef) and not node.name.startswith("_") and SELECTOR_NAME.search(node.name)
    ]

    assert found == [], f"{app}: move these to {app}/selectors"

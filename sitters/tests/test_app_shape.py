"""The sitters app's layers: reads are selectors, services write and may read through them, never the reverse."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

SITTERS = Path(__file__).resolve().parent.parent
SERVICES = sorted((SITTERS / "services").rglob("*.py"))
SELECTORS = sorted((SITTERS / "selectors").rglob("*.py"))
# STYLE.md's selector names: <entity>_get, <entity>_list, <entity>_list_for_<role> ...
SELECTOR_NAME = re.compile(r"(^|_)(get|list)(_|$)")


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(), filename=str(path))


@pytest.mark.parametrize("path", SERVICES, ids=lambda path: str(path.relative_to(SITTERS)))
def test_service_modules_define_no_selectors(path: Path) -> None:
    functions = [node.name for node in _tree(path).body if isinstance(node, ast.FunctionDef)]

    assert [name for name in functions if SELECTOR_NAME.search(name.lstrip("_"))] == []


@pytest.mark.parametrize("path", SELECTORS, ids=lambda path: str(path.relative_to(SITTERS)))
def test_selectors_do_not_reach_into_services(path: Path) -> None:
    imported = [node.module or "" for node in ast.walk(_tree(path)) if isinstance(node, ast.ImportFrom)]

    assert [name for name in imported if name.startswith("sitters.services")] == []

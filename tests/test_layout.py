"""One test layout in every app (README, Layout), so a test is found where the code it tests says it is.

    <app>/tests/api/test_<subject>_api.py     through HTTP against the app's api/
    <app>/tests/services/test_<subject>.py    calling the app's services directly
    <app>/tests/selectors/test_<subject>.py   calling the app's selectors directly
    <app>/tests/test_<module>.py              anything else, named after the module it tests
    <app>/tests/factories.py, conftest.py …   support modules, at the top of tests/ only

Each folder keeps its ``__init__.py``: module names repeat across apps (``test_admin.py``).
The platform's packages (``guardiannest/*/tests``) and the cross-app tests (``tests/``) are not apps.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = ("api", "services", "selectors")
# The apps whose tests this checks: every app folder with a tests/ folder (an app gains one with its first test).
APPS_WITH_TESTS = sorted(
    path.parent.name
    for path in ROOT.glob("*/tests")
    if (path.parent / "apps.py").is_file() and path.parent.name != "guardiannest"
)


def layout_problems(tests: Path) -> list[str]:
    """What in ``tests`` (an app's tests/ folder) is out of the layout, one line each, by path under it."""
    problems = [] if (tests / "__init__.py").is_file() else ["__init__.py: missing"]
    for path in sorted(tests.rglob("*")):
        parts = path.relative_to(tests).parts
        if "__pycache__" in parts:
            continue
        where = "/".join(parts)
        if path.is_dir():
            if len(parts) > 1 or parts[0] not in FOLDERS:
                problems.append(f"{where}/: a test sits in api/, services/, selectors/ or at the top of tests/")
            elif not (path / "__init__.py").is_file():
                problems.append(f"{where}/__init__.py: missing")
            continue
        name, in_folder = parts[-1], len(parts) == 2 and parts[0] in FOLDERS
        if name == "__init__.py" or not (in_folder or len(parts) == 1):  # a folder out of the layout is named once
            continue
        is_test, in_api = name.startswith("test_") and path.suffix == ".py", parts[0] == "api"
        if in_folder and not is_test:
            problems.append(f"{where}: support modules stay at the top of tests/")
        elif in_api and not name.endswith("_api.py"):
            problems.append(f"{where}: a test under api/ is named test_<subject>_api.py")
        elif not in_api and is_test and name.endswith("_api.py"):
            problems.append(f"{where}: a test through HTTP sits in api/")
    return problems


@pytest.mark.parametrize("app", APPS_WITH_TESTS)
def test_each_apps_tests_keep_the_layout(app: str) -> None:
    assert layout_problems(ROOT / app / "tests") == []


def test_the_check_finds_each_way_out_of_the_layout(tmp_path: Path) -> None:
    for name in [
        "__init__.py",
        "conftest.py",
        "factories.py",
        "test_models.py",
        "api/__init__.py",
        "api/test_booking_accept_api.py",
        "services/__init__.py",
        "services/test_booking_accept.py",
        "selectors/test_booking_get.py",
        "selectors/helpers.py",
        "api/test_booking_accept.py",
        "services/test_booking_cancel_api.py",
        "test_booking_list_api.py",
        "chat/__init__.py",
        "chat/test_chat.py",
        "chat/test_chat_api.py",
        "services/chat/test_chat.py",
    ]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).touch()

    assert layout_problems(tmp_path) == [
        "api/test_booking_accept.py: a test under api/ is named test_<subject>_api.py",
        "chat/: a test sits in api/, services/, selectors/ or at the top of tests/",
        "selectors/__init__.py: missing",
        "selectors/helpers.py: support modules stay at the top of tests/",
        "services/chat/: a test sits in api/, services/, selectors/ or at the top of tests/",
        "services/test_booking_cancel_api.py: a test through HTTP sits in api/",
        "test_booking_list_api.py: a test through HTTP sits in api/",
    ]

"""The shape every app keeps (ARCHITECTURE.md, STYLE.md), read from each app's source.

One test per rule, parametrised per app (``pytest tests/test_layers.py -k accounts``
checks one). The source is parsed, not imported, so a rule is checked without
running the module, and a failure names the file and line.
"""

from __future__ import annotations

import ast
import functools
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
# Where HTTP is spoken: these may use DRF and take requests. Everything else in an app is its domain.
INTERFACE_PARTS = {"api", "tests", "migrations", "management", "consumers", "routing", "urls", "apps"}
# The HTTP layer of the platform; the domain imports ``guardiannest.errors``, never ``guardiannest.api``.
HTTP_PACKAGES = ("rest_framework", "guardiannest.api")
# A request, in any of its types: the domain is handed a ``guardiannest.client.Client`` instead.
REQUEST_TYPE = re.compile(r"\b(HttpRequest|WSGIRequest|ASGIRequest|Request)\b")
# Each provider's SDK is imported by one module of ours (STYLE.md, habit 6); the rest talks to that module.
# Tests may reach for an SDK themselves (to build a payload the way the provider would).
SDK_OWNERS = {
    "firebase_admin": "accounts/firebase_client.py",
    "google": "accounts/firebase_client.py",  # google-auth, under firebase-admin
    "twilio": "messaging/providers/sms.py",
    "boto3": "files/storage.py",
    "stripe": "payments/stripe_client.py",
    "botocore": "files/storage.py",
}
# What STYLE.md names a selector: ``<entity>_get``, ``<entity>_list``, ``…_get_for_<who>``, ``…_list_for_<who>``.
SELECTOR_NAME = re.compile(r"_(get|list)(_for_[a-z_]+)?$")


def _python_files(folder: Path) -> Iterator[Path]:
    yield from sorted(path for path in folder.rglob("*.py") if "migrations" not in path.parts)


def _domain_modules(app: str) -> Iterator[Path]:
    for path in _python_files(ROOT / app):
        parts = [*path.relative_to(ROOT / app).parts[:-1], path.stem]
        if not INTERFACE_PARTS.intersection(parts) and not parts[0].startswith("admin"):
            yield path


def _service_modules(app: str) -> Iterator[Path]:
    package = ROOT / app / "services"
    if package.is_dir():
        yield from _python_files(package)
    if (ROOT / app / "services.py").is_file():
        yield ROOT / app / "services.py"


def _where(path: Path, node: ast.AST) -> str:
    return f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"


def _imported(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom) and node.module and not node.level:
        return [node.module]
    return []


def _is_http(module: str) -> bool:
    return any(module == package or module.startswith(f"{package}.") for package in HTTP_PACKAGES)


def _application_errors(tree: ast.AST) -> Iterator[ast.Call]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            if name == "ApplicationError":
                yield node


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


@pytest.mark.parametrize("app", APPS)
def test_selectors_do_not_reach_into_services(app: str) -> None:
    """Services write and may read through selectors; a selector calling a service would hide a write in a read."""
    package = ROOT / app / "selectors"
    paths = [*(_python_files(package) if package.is_dir() else []), ROOT / app / "selectors.py"]
    found = [
        f"{_where(path, node)} {module}"
        for path in paths
        if path.is_file()
        for node in ast.walk(ast.parse(path.read_text()))
        for module in _imported(node)
        if module == f"{app}.services" or module.startswith(f"{app}.services.")
    ]

    assert found == [], f"{app}: a selector reads; move what it needs from services into {app}/selectors"


@pytest.mark.parametrize("app", APPS)
def test_the_domain_imports_nothing_of_http(app: str) -> None:
    """Services, selectors and the rest of the domain speak the domain: no DRF, no ``guardiannest.api``."""
    found = [
        f"{_where(path, node)} {module}"
        for path in _domain_modules(app)
        for node in ast.walk(ast.parse(path.read_text()))
        for module in _imported(node)
        if _is_http(module)
    ]

    assert found == [], f"{app}: raise guardiannest.errors.ApplicationError, leave HTTP to {app}/api"


@pytest.mark.parametrize("app", APPS)
def test_domain_errors_carry_a_declared_code_and_no_status(app: str) -> None:
    """A code is a member of an ``ErrorCodes`` enum (its refusal declared with it); the API picks the status."""
    found = []
    for path in _domain_modules(app):
        tree = ast.parse(path.read_text())
        for call in _application_errors(tree):
            if call.args and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str):
                found.append(f"{_where(path, call)} code {call.args[0].value!r} as a plain string")
            found += [f"{_where(path, call)} {kw.arg}=" for kw in call.keywords if kw.arg in ("status", "headers")]
        found += [
            f"{_where(path, node)} HTTPStatus"
            for node in ast.walk(tree)
            if isinstance(node, ast.Name) and node.id == "HTTPStatus"
        ]

    assert found == [], f"{app}: declare the code in {app}/errors.py with its Refusal; use retry_after= for Retry-After"


@pytest.mark.parametrize("app", APPS)
def test_domain_functions_take_no_request(app: str) -> None:
    """Services know the caller as a ``Client`` (address, browser), built once in the API from the request.

    Public functions only: a private helper may handle the request a library
    needs made from a client (``accounts/services/lockout.py`` for django-axes).
    """
    found = [
        f"{_where(path, node)} {node.name}({argument.arg}: {ast.unparse(argument.annotation)})"
        for path in _domain_modules(app)
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and not node.name.startswith("_")
        for argument in [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]
        if argument.annotation is not None and REQUEST_TYPE.search(ast.unparse(argument.annotation))
    ]

    assert found == [], f"{app}: take a guardiannest.client.Client (guardiannest.api.net.client_of builds it)"


@functools.cache
def _our_modules() -> tuple[Path, ...]:
    """Every module of the project's packages but tests and migrations."""
    packages = [path for path in ROOT.iterdir() if (path / "__init__.py").is_file() and path.name != "tests"]
    return tuple(
        path
        for package in packages
        for path in _python_files(package)
        if "tests" not in path.parts and path.name != "conftest.py"
    )


@functools.cache
def _imports_of(path: Path) -> frozenset[str]:
    return frozenset(module for node in ast.walk(ast.parse(path.read_text())) for module in _imported(node))


@pytest.mark.parametrize("sdk", SDK_OWNERS)
def test_each_provider_sdk_is_imported_by_one_module(sdk: str) -> None:
    importers = sorted(
        {
            str(path.relative_to(ROOT))
            for path in _our_modules()
            for module in _imports_of(path)
            if module == sdk or module.startswith(f"{sdk}.")
        }
    )

    assert importers == [SDK_OWNERS[sdk]], f"only {SDK_OWNERS[sdk]} imports {sdk}; the others ask it"


def _private_uses(tree: ast.AST, sdk: str) -> Iterator[str]:
    """Private modules or names of ``sdk`` that ``tree`` imports or reaches into (``messaging._MessagingService``)."""
    bound: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and (node.module + ".").startswith(sdk + "."):
            for alias in node.names:
                bound.add(alias.asname or alias.name)
                if any(part.startswith("_") for part in [*node.module.split("."), alias.name]):
                    yield f"from {node.module} import {alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if (alias.name + ".").startswith(sdk + "."):
                    bound.add(alias.asname or alias.name.split(".")[0])
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in bound
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
        ):
            yield f"{node.value.id}.{node.attr}"


@pytest.mark.parametrize("sdk", SDK_OWNERS)
def test_sdk_owners_use_only_the_sdks_public_api(sdk: str) -> None:
    """A private attribute changes without notice between releases; patching one changes it for the whole process."""
    owner = ROOT / SDK_OWNERS[sdk]

    assert sorted(set(_private_uses(ast.parse(owner.read_text()), sdk))) == []


@pytest.mark.parametrize("app", APPS)
def test_the_domain_reaches_the_jwt_library_through_one_module(app: str) -> None:
    """simplejwt is a library of tokens and of HTTP pieces: the domain uses its tokens through ``accounts.tokens``."""
    owner = ROOT / "accounts" / "tokens.py"
    found = [
        f"{_where(path, node)} {module}"
        for path in _domain_modules(app)
        if path != owner
        for node in ast.walk(ast.parse(path.read_text()))
        for module in _imported(node)
        if module == "rest_framework_simplejwt" or module.startswith("rest_framework_simplejwt.")
    ]

    assert found == [], f"{app}: import token pieces from accounts.tokens"


def test_no_app_imports_analytics() -> None:
    """Analytics sits below every app (it reads them all): only the URL conf mounts it (benchmarks may use it)."""
    mounts = {ROOT / "guardiannest" / "urls.py"}
    others = {*APPS, "guardiannest"} - {"analytics"}
    found = [
        f"{path.relative_to(ROOT)} {module}"
        for path in _our_modules()
        if path.parts[len(ROOT.parts)] in others and path not in mounts
        for module in _imports_of(path)
        if module == "analytics" or module.startswith("analytics.")
    ]

    assert found == []


def test_the_replica_router_knows_no_app() -> None:
    """guardiannest.dbrouters routes by a block callers open (replica_reads), never by naming an app's models."""
    apps = {name.split(".")[0] for name in APPS}

    assert {module.split(".")[0] for module in _imports_of(ROOT / "guardiannest" / "dbrouters.py")} & apps == set()

"""The domain says no with a code; the API alone decides the status, from one map."""

from __future__ import annotations

import importlib
import pkgutil
from collections import defaultdict

import pytest
from django.apps import apps
from rest_framework.test import APIRequestFactory

from guardiannest.api.errors import STATUS_BY_REFUSAL, exception_handler, http_status
from guardiannest.errors import ApplicationError, ErrorCode, ErrorCodes, Refusal, invalid, invalid_fields, not_found


def _all_error_enums() -> list[type[ErrorCodes]]:
    """Every app's error-code enum: each app keeps its codes in ``<app>/errors.py`` (or an errors package)."""
    for config in apps.get_app_configs():
        try:
            module = importlib.import_module(f"{config.name}.errors")
        except ModuleNotFoundError:
            continue
        if hasattr(module, "__path__"):
            for info in pkgutil.iter_modules(module.__path__):
                importlib.import_module(f"{module.__name__}.{info.name}")
    found: list[type[ErrorCodes]] = []
    pending = list(ErrorCodes.__subclasses__())
    while pending:
        enum = pending.pop()
        found.append(enum)
        pending.extend(enum.__subclasses__())
    return found


def test_every_refusal_has_exactly_one_status() -> None:
    assert set(STATUS_BY_REFUSAL) == set(Refusal)
    assert all(400 <= status < 600 for status in STATUS_BY_REFUSAL.values())


def test_every_declared_code_has_a_refusal_the_api_can_answer() -> None:
    enums = _all_error_enums()
    assert ErrorCode in enums
    for enum in enums:
        for member in enum:
            assert member.refusal in STATUS_BY_REFUSAL, (enum.__name__, member)


def test_one_code_means_one_kind_of_refusal_across_every_app() -> None:
    """A code declared in two apps must not drift apart: clients read the code, and expect one status for it."""
    kinds: dict[str, set[Refusal]] = defaultdict(set)
    for enum in _all_error_enums():
        for member in enum:
            kinds[str(member)].add(member.refusal)
    assert {code: refusals for code, refusals in kinds.items() if len(refusals) > 1} == {}


def test_a_plain_member_is_a_conflict_and_a_declared_one_keeps_its_kind() -> None:
    class Sample(ErrorCodes):
        TAKEN = "sample_taken"
        LOCKED = "sample_locked", Refusal.RATE_LIMITED

    assert Sample.TAKEN.refusal is Refusal.CONFLICT
    assert Sample.LOCKED.refusal is Refusal.RATE_LIMITED
    assert Sample.LOCKED == "sample_locked"
    assert Sample("sample_locked") is Sample.LOCKED


def test_helpers_make_invalid_input_and_not_found() -> None:
    error = invalid("start", "Start in the future.")
    assert (error.code, error.refusal, error.errors, error.detail) == (
        ErrorCode.INVALID,
        Refusal.INVALID,
        {"start": ["Start in the future."]},
        "Start in the future.",
    )
    several = invalid_fields({"a": ["x"], "b": ["y"]})
    assert several.detail == "The request is invalid: see errors."
    assert http_status(not_found()) == 404


def test_the_api_answers_the_refusal_status_with_retry_after() -> None:
    request = APIRequestFactory().get("/")
    error = ApplicationError(ErrorCode.THROTTLED, "Slow down.", retry_after=30)
    response = exception_handler(error, {"request": request})
    assert response.status_code == 429
    assert response["Retry-After"] == "30"
    assert response.data["code"] == "throttled"


@pytest.mark.parametrize("refusal", list(Refusal))
def test_a_context_refusal_overrides_the_declared_one(refusal: Refusal) -> None:
    error = ApplicationError(ErrorCode.CONFLICT, "x", refusal=refusal)
    assert http_status(error) == STATUS_BY_REFUSAL[refusal]

"""What the server refuses is what the schema says it refuses (issue 11, item 12): strict bodies, strict pages.

``guardiannest.api.serializers.StrictInputMixin``, ``guardiannest.api.parsers.JSONParser`` and
``guardiannest.api.pagination.CursorPagination`` through HTTP on the test routes
(``guardiannest/tests/urls.py``); ``tests/test_schemathesis_live.py`` checks the whole API from outside.
"""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.tests.factories import ParentFactory
from guardiannest.tests.test_errors import assert_problem

pytestmark = [pytest.mark.django_db, pytest.mark.urls("guardiannest.tests.urls")]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", 0, "Must be a string."),
        ("name", ["x"], "Must be a string."),
        ("count", "5", "Must be a whole number."),
        ("count", 5.0, "Must be a whole number."),
        ("count", True, "Must be a whole number."),
        ("ratio", "0.5", "Must be a number."),
        ("ratio", False, "Must be a number."),
        ("on", "true", "Must be true or false."),
        ("on", 1, "Must be true or false."),
    ],
)
def test_a_json_value_of_another_type_than_the_schema_says_is_400(
    parent_api: APIClient, field: str, value: Any, message: str
) -> None:
    body = assert_problem(parent_api.post("/api/v1/test/typed", {field: value}, format="json"), 400, "invalid")
    assert body["errors"] == {field: [message]}


def test_json_values_of_their_own_type_pass(parent_api: APIClient) -> None:
    sent = {"name": "Ada", "count": 5, "ratio": 1, "on": False}
    response = parent_api.post("/api/v1/test/typed", sent, format="json")
    assert response.status_code == 200, response.content
    assert response.json() == {"name": "Ada", "count": 5, "ratio": 1.0, "on": False}


def test_a_form_body_is_text_and_keeps_its_parsing(parent_api: APIClient) -> None:
    """Forms and query strings carry text: the JSON type rule is for JSON bodies only."""
    form = "count=5&on=true"
    response = parent_api.post("/api/v1/test/typed", form, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200, response.content
    assert response.json() == {"count": 5, "on": True}


@pytest.mark.parametrize("raw", ["null", "3", '"text"', "true"])
def test_a_json_body_that_is_no_object_or_array_is_400(parent_api: APIClient, raw: str) -> None:
    response = parent_api.post("/api/v1/test/typed", raw, content_type="application/json")
    assert_problem(response, 400, "parse_error")


def test_json_nested_too_deeply_is_400_not_500(parent_api: APIClient) -> None:
    deep = "[" * 50_000 + "]" * 50_000
    response = parent_api.post("/api/v1/test/typed", deep, content_type="application/json")
    assert_problem(response, 400, "parse_error")


@pytest.mark.parametrize(
    ("sent", "errors"),
    [
        ({"c": "x"}, {"non_field_errors": ["Send either a or b."]}),
        ({"a": "x", "b": "y", "c": "x"}, {"non_field_errors": ["Send either a or b."]}),
        ({"a": "x"}, {"c": ["Send c or d."]}),
        ({"a": "x", "c": "", "d": ""}, {"c": ["Send c or d."]}),
    ],
)
def test_one_of_and_any_of_are_enforced(parent_api: APIClient, sent: dict[str, str], errors: dict) -> None:
    body = assert_problem(parent_api.post("/api/v1/test/either", sent, format="json"), 400, "invalid")
    assert body["errors"] == errors


def test_one_of_and_any_of_satisfied_pass(parent_api: APIClient) -> None:
    response = parent_api.post("/api/v1/test/either", {"b": "y", "c": "", "d": "z"}, format="json")
    assert response.status_code == 200, response.content


@pytest.mark.parametrize(
    "query",
    [
        "page_size=null",
        "page_size=",
        "page_size=0",
        "page_size=101",
        "page_size=1.5",
        "page_size=-1",
        "page_size=1&page_size=2",
        "page_size=%201",
    ],
)
def test_a_page_size_out_of_its_range_is_400_naming_it(parent_api: APIClient, query: str) -> None:
    body = assert_problem(parent_api.get(f"/api/v1/test/users?{query}"), 400, "invalid")
    assert set(body["errors"]) == {"page_size"}


def test_page_size_in_range_pages(parent_api: APIClient) -> None:
    ParentFactory.create_batch(3)
    assert len(parent_api.get("/api/v1/test/users?page_size=1").json()["results"]) == 1
    assert len(parent_api.get("/api/v1/test/users?page_size=100").json()["results"]) == 4
    assert len(parent_api.get("/api/v1/test/users").json()["results"]) == 2  # the view's default

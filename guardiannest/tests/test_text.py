"""Input hygiene: no markup survives clean_text, whatever the encoding trick; lengths are bounded."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nh3
import pytest
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.problems import assert_problem
from guardiannest.api.serializers import CleanTextField, StrictSerializer
from guardiannest.errors import ApplicationError, ErrorCode, Refusal
from guardiannest.text import clean_text as clean_field_text


def clean_text(value: str, *, max_length: int, multiline: bool = True) -> str:
    return clean_field_text(value, field="note", max_length=max_length, multiline=multiline)


# Anything a browser would parse as an element, an end tag, a comment or a doctype.
TAG = re.compile(r"<\s*/?\s*[a-zA-Z!?]")

PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<svg/onload=alert(1)>",
    '<a href="javascript:alert(1)">click</a>',
    '<a href="jav&#x09;ascript:alert(1)">click</a>',
    "<iframe src=javascript:alert(1)>",
    "<scr<script>ipt>alert(1)</script>",
    "<<script>script>alert(1)<</script>/script>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#x3C;script&#x3E;alert(1)&#x3C;/script&#x3E;",
    "&#60;img src=x onerror=alert(1)&#62;",
    "&amp;lt;script&amp;gt;alert(1)&amp;lt;/script&amp;gt;",
    "<textarea><script>alert(1)</script></textarea>",
    "<xmp><script>alert(1)</script></xmp>",
    "<plaintext><img src=x onerror=alert(1)>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "<math><mi><style><img src=x onerror=alert(1)>",
    "<!--<script>alert(1)</script>-->",
    "<style>body{background:url(javascript:alert(1))}</style>",
    '<div style="x:expression(alert(1))" onclick="alert(1)">hi</div>',
    "<b onmouseover=alert(1)>bold</b",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_no_markup_survives_a_round_trip(payload: str) -> None:
    cleaned = clean_text(payload, max_length=500)

    assert not TAG.search(cleaned), cleaned
    assert "script>" not in cleaned.lower()
    assert "href" not in cleaned
    assert clean_text(cleaned, max_length=500) == cleaned  # stable: cleaning twice changes nothing
    # Rendered raw as HTML by a client that forgets to escape, nothing becomes an element.
    assert nh3.clean(cleaned, tags=set(), strip_comments=False) == nh3.clean(cleaned, tags=None, strip_comments=False)


def test_the_link_text_stays_without_the_link() -> None:
    assert clean_text('<a href="javascript:alert(1)">click</a>', max_length=50) == "click"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mac & cheese", "Mac & cheese"),
        ("AT&T", "AT&T"),
        ("3 < 5 and 7 > 2", "3 < 5 and 7 > 2"),
        ("Peanuts; <b>severe</b>", "Peanuts; severe"),
        ("Zoë Ørsted-Łukasz 李", "Zoë Ørsted-Łukasz 李"),
        ("  padded  ", "padded"),
        ("line one\r\nline two\rline three", "line one\nline two\nline three"),
        ("tab\tinside", "tab\tinside"),
        ("café &eacute;clair", "café éclair"),
    ],
)
def test_plain_text_keeps_its_meaning(text: str, expected: str) -> None:
    assert clean_text(text, max_length=100) == expected


def test_single_line_refuses_line_breaks_but_trims_trailing_ones() -> None:
    assert clean_text("Ann\n", max_length=10, multiline=False) == "Ann"
    with pytest.raises(ApplicationError, match="single line"):
        clean_text("Ann\nBob", max_length=10, multiline=False)
    with pytest.raises(ApplicationError, match="single line"):
        clean_text("Ann\u2028Bob", max_length=10, multiline=False)


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\x7f", "\x9b", "\ud800", "\u202e", "\u2066"])
def test_control_surrogate_and_bidi_override_characters_are_refused(char: str) -> None:
    with pytest.raises(ApplicationError):
        clean_text(f"ab{char}cd", max_length=10)


def test_a_control_character_spelled_as_an_entity_is_refused_too() -> None:
    with pytest.raises(ApplicationError, match="Control character"):
        clean_text("a&#27;[31mred", max_length=20)


def test_length_is_counted_after_cleaning() -> None:
    assert clean_text("<b>" + "a" * 10 + "</b>", max_length=10) == "a" * 10
    with pytest.raises(ApplicationError, match="no more than 10 characters") as caught:
        clean_text("a" * 11, max_length=10)
    assert "it has 11 after cleaning" in caught.value.detail


def test_a_huge_input_is_refused_before_any_parsing() -> None:
    with pytest.raises(ApplicationError, match="no more than 10 characters"):
        clean_text("<b></b>" * 10_000, max_length=10)


def test_markup_nested_too_deep_is_refused_not_looped_on() -> None:
    payload = "&" + "amp;" * 10 + "lt;script&gt;"
    with pytest.raises(ApplicationError, match="nested too deeply"):
        clean_text(payload, max_length=200)


def test_non_strings_are_refused() -> None:
    with pytest.raises(ApplicationError):
        clean_text(42, max_length=10)  # type: ignore[arg-type]


def test_a_refusal_is_bad_input_naming_the_field_with_no_http_in_sight() -> None:
    with pytest.raises(ApplicationError) as caught:
        clean_field_text("a\u202eb", field="comment", max_length=10)

    assert (caught.value.code, caught.value.refusal) == (ErrorCode.INVALID, Refusal.INVALID)
    assert caught.value.errors == {"comment": ["Text direction override U+202E is not allowed."]}
    assert caught.value.detail == "Text direction override U+202E is not allowed."


def test_the_domain_helpers_import_nothing_from_the_api_framework() -> None:
    """Only the API layers (api/, views, serializers) speak DRF; services and helpers raise ApplicationError."""
    root = Path(__file__).resolve().parents[1]
    api_layer = {"settings.py", "views.py", "serializers.py"}
    modules = [path for path in root.rglob("*.py") if "tests" not in path.parts and "api" not in path.parts]
    assert root / "text.py" in modules

    for path in modules:
        if path.name in api_layer:
            continue
        imported = [
            node.module if isinstance(node, ast.ImportFrom) else alias.name
            for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, ast.Import | ast.ImportFrom)
            for alias in node.names
        ]
        assert not [name for name in imported if name and name.startswith("rest_framework")], path


# --- the DRF field -------------------------------------------------------------------------------


class NoteSerializer(StrictSerializer):
    name = CleanTextField(max_length=20, multiline=False)
    note = CleanTextField(max_length=50, required=False, allow_blank=True)


def test_the_field_cleans_and_names_itself_in_errors() -> None:
    ok = NoteSerializer(data={"name": " <i>Ann</i> ", "note": "<script>x</script>fine"})
    assert ok.is_valid(), ok.errors
    assert ok.validated_data == {"name": "Ann", "note": "fine"}

    too_long = NoteSerializer(data={"name": "Ann", "note": "n" * 51})
    assert not too_long.is_valid()
    assert too_long.errors == {"note": ["Ensure this field has no more than 50 characters (it has 51 after cleaning)."]}


def test_a_value_that_cleans_to_nothing_is_blank() -> None:
    blank = NoteSerializer(data={"name": "<script>alert(1)</script>"})
    assert not blank.is_valid()
    assert blank.errors["name"][0].code == "blank"

    allowed = NoteSerializer(data={"name": "Ann", "note": "<img src=x onerror=alert(1)>"})
    assert allowed.is_valid() and allowed.validated_data["note"] == ""


@pytest.mark.parametrize("value", [True, ["a"], {"a": 1}])
def test_the_field_refuses_non_text(value: object) -> None:
    assert not NoteSerializer(data={"name": value}).is_valid()


def test_the_schema_shows_the_bound() -> None:
    assert NoteSerializer().fields["note"].max_length == 50


# --- through the API: names on sign-up and on the profile ----------------------------------------


@pytest.mark.django_db
def test_register_stores_names_without_markup(api: APIClient) -> None:
    response = api.post(
        "/api/v1/auth/register",
        {
            "email": "new@example.com",
            "password": "a-long-enough-passphrase-42",
            "role": "parent",
            "first_name": "<b>Ann</b><script>alert(1)</script>",
            "last_name": '<img src=x onerror="alert(1)">Lee',
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    user = User.objects.get(email="new@example.com")
    assert (user.first_name, user.last_name) == ("Ann", "Lee")


@pytest.mark.django_db
def test_me_refuses_a_name_that_is_only_markup(parent: User, parent_api: APIClient) -> None:
    before = parent.first_name

    body = assert_problem(parent_api.patch("/api/v1/auth/me", {"first_name": "<script>x</script>"}), 400, "invalid")

    assert list(body["errors"]) == ["first_name"]
    parent.refresh_from_db()
    assert parent.first_name == before


@pytest.mark.django_db
def test_me_cleans_a_name(parent: User, parent_api: APIClient) -> None:
    response = parent_api.patch("/api/v1/auth/me", {"last_name": "O'Brien <3"}, format="json")

    assert response.status_code == 200
    assert response.json()["last_name"] == "O'Brien <3"

"""Plain text people write: cleaned once, on the way in, before it is stored.

Every free-text field (a child's allergies, a contact's name, an address) is
plain text. Nobody needs markup there, and a stored ``<script>`` is a bomb
waiting for the one client, admin page or email template that forgets to
escape. So :func:`clean_text` removes every HTML tag with nh3 (the Rust
``ammonia`` sanitizer, which parses like a browser does), decodes entities so
the stored value is the text a person sees, and repeats until nothing changes:
an escaped tag (``&lt;script&gt;``, ``<textarea><script>``) decoded by one pass
is removed by the next, so no tag survives a round trip whatever the layering.

What remains may still contain ``<`` or ``&`` as text (``a < b``, ``AT&T``):
clients escape it when they render, as they must for any text.

It also refuses what has no place in text: control characters (tabs and
newlines only where the field is multi-line), lone surrogates (they cannot be
encoded and would fail deep in the database driver), and the bidi override
characters used to make text read differently than it is stored
("Trojan Source", CVE-2021-42574). Line endings become ``\\n``, and the text is
trimmed. Lengths are counted after cleaning, which is what gets stored.

A refusal is an invalid-input :class:`~guardiannest.errors.ApplicationError`
naming the field: services call :func:`clean_text` as they are, and the
API's ``CleanTextField`` turns the refusal into its field's message.
"""

from __future__ import annotations

import html
import unicodedata

import nh3

from guardiannest.errors import invalid

# A legitimate text settles after one pass, or two when it held escaped markup.
MAX_PASSES = 6
# Refused before any parsing work: cleaning only ever shortens text that much.
RAW_LENGTH_FACTOR = 4
RAW_LENGTH_SLACK = 256

_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_LINE_BREAKS = {"\r\n": "\n", "\r": "\n", "\u2028": "\n", "\u2029": "\n", "\x85": "\n"}


class _Refused(Exception):
    """What is wrong with the text; :func:`clean_text` names the field."""


def _normalise_line_endings(value: str) -> str:
    for old, new in _LINE_BREAKS.items():
        value = value.replace(old, new)
    return value


def _refuse_unsafe_characters(value: str, *, multiline: bool) -> None:
    allowed = {"\n", "\t"} if multiline else set()
    for char in value:
        if char in allowed:
            continue
        if char == "\n":
            raise _Refused("Line breaks are not allowed here: use a single line.")
        category = unicodedata.category(char)
        if category == "Cc":
            raise _Refused(f"Control character U+{ord(char):04X} is not allowed.")
        if category == "Cs":
            raise _Refused("The text contains an invalid character (a lone surrogate).")
        if char in _BIDI_CONTROLS:
            raise _Refused(f"Text direction override U+{ord(char):04X} is not allowed.")


def _strip_markup(value: str) -> str:
    """Remove all tags, comments and script/style content; return entity-decoded text."""
    text = value
    for _ in range(MAX_PASSES):
        cleaned = html.unescape(nh3.clean(text, tags=set(), attributes={}, strip_comments=True, link_rel=None))
        if cleaned == text:
            return text
        text = cleaned
    raise _Refused("The text holds markup nested too deeply to clean; send plain text.")


def clean_text(value: str, *, max_length: int, multiline: bool = True, field: str = "text") -> str:
    """The plain text to store for ``value``; an invalid-input ApplicationError on ``field`` saying what is wrong.

    ``field`` names the input in the refusal: pass the name the caller's client
    sent it under, and there is nothing to catch. ``max_length`` bounds the
    cleaned text. ``multiline`` allows newlines and tabs; single-line fields
    (names) refuse them. An empty result is returned as ``""``: whether blank
    is acceptable is the field's decision.
    """
    try:
        return _clean(value, max_length=max_length, multiline=multiline)
    except _Refused as refused:
        raise invalid(field, str(refused)) from None


def _clean(value: str, *, max_length: int, multiline: bool) -> str:
    if not isinstance(value, str):
        raise _Refused("Not a valid string.")
    if len(value) > max_length * RAW_LENGTH_FACTOR + RAW_LENGTH_SLACK:
        raise _Refused(f"Ensure this field has no more than {max_length} characters.")
    text = _normalise_line_endings(value)
    # Checked on the raw text for a clear message, and again on the decoded
    # text, since an entity (&#27;) can spell a control character.
    _refuse_unsafe_characters(text, multiline=True)
    text = _strip_markup(text)
    text = _normalise_line_endings(text).strip()
    _refuse_unsafe_characters(text, multiline=multiline)
    if len(text) > max_length:
        raise _Refused(
            f"Ensure this field has no more than {max_length} characters (it has {len(text)} after cleaning)."
        )
    return text

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
"""

from __future__ import annotations

import html
import unicodedata

import nh3
from rest_framework.exceptions import ValidationError

# A legitimate text settles after one pass, or two when it held escaped markup.
MAX_PASSES = 6
# Refused before any parsing work: cleaning only ever shortens text that much.
RAW_LENGTH_FACTOR = 4
RAW_LENGTH_SLACK = 256

_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_LINE_BREAKS = {"\r\n": "\n", "\r": "\n", "\u2028": "\n", "\u2029": "\n", "\x85": "\n"}


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
            raise ValidationError("Line breaks are not allowed here: use a single line.", code="multiline")
        category = unicodedata.category(char)
        if category == "Cc":
            raise ValidationError(f"Control character U+{ord(char):04X} is not allowed.", code="control_character")
        if category == "Cs":
            raise ValidationError("The text contains an invalid character (a lone surrogate).", code="surrogate")
        if char in _BIDI_CONTROLS:
            raise ValidationError(f"Text direction override U+{ord(char):04X} is not allowed.", code="bidi_control")


def _strip_markup(value: str) -> str:
    """Remove all tags, comments and script/style content; return entity-decoded text."""
    text = value
    for _ in range(MAX_PASSES):
        cleaned = html.unescape(nh3.clean(text, tags=set(), attributes={}, strip_comments=True, link_rel=None))
        if cleaned == text:
            return text
        text = cleaned
    raise ValidationError("The text holds markup nested too deeply to clean; send plain text.", code="markup")


def clean_text(value: str, *, max_length: int, multiline: bool = True) -> str:
    """The plain text to store for ``value``, or a DRF ValidationError saying what is wrong.

    ``max_length`` bounds the cleaned text. ``multiline`` allows newlines and
    tabs; single-line fields (names) refuse them. An empty result is returned
    as ``""``: whether blank is acceptable is the field's decision.
    """
    if not isinstance(value, str):
        raise ValidationError("Not a valid string.", code="invalid")
    if len(value) > max_length * RAW_LENGTH_FACTOR + RAW_LENGTH_SLACK:
        raise ValidationError(f"Ensure this field has no more than {max_length} characters.", code="max_length")
    text = _normalise_line_endings(value)
    # Checked on the raw text for a clear message, and again on the decoded
    # text, since an entity (&#27;) can spell a control character.
    _refuse_unsafe_characters(text, multiline=True)
    text = _strip_markup(text)
    text = _normalise_line_endings(text).strip()
    _refuse_unsafe_characters(text, multiline=multiline)
    if len(text) > max_length:
        raise ValidationError(
            f"Ensure this field has no more than {max_length} characters (it has {len(text)} after cleaning).",
            code="max_length",
        )
    return text

"""Spot chat messages that ask to pay outside the platform.

A sitter paid by bank transfer, Zelle or gift card has no insurance, no
dispute, no receipt, and it is how the common marketplace scams start. A
message that looks like such a request is still delivered: its recipient sees
a warning, staff see a flag. A warning is cheap, so the detector leans
towards finding; but "I'll check", "check in at 6" or "my family and friends"
are everyday chat, and a warning on every third message would teach people to
ignore it. So:

* names that only mean a way to move money (Zelle, Venmo, Cash App, IBAN,
  routing number, wire transfer, Western Union...) are enough on their own;
* words that mean money only in context (a check, cash, PayPal, a gift card,
  bitcoin, a bank account) need a payment word near them;
* account numbers are recognised by their shape and checked where a checksum
  exists (an IBAN's mod-97), so a phone number is not an IBAN.

The text is normalised first so the easy evasions do not work: case and
width (NFKC, casefold), accents, zero-width characters, letters spelled out
with spaces or dots (``z e l l e``, ``v.e.n.m.o``) and digits for letters
inside a word (``v3nm0``).

Pure functions of the text, no I/O: the service calls :func:`detect` before
it stores the message.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Characters that render as nothing and would split a word the reader sees whole.
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"), None)
# Digits and symbols used for letters, replaced only inside words that also have letters.
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"})
_LEET_WORD = re.compile(r"\b(?=[\w@$]*[a-z])(?=[\w@$]*[0-9@$])[\w@$]{3,}\b")
# Three or more single letters separated by a space, dot, dash, underscore or star: "z e l l e".
_SPELLED_OUT = re.compile(r"(?<![\w])(?:[a-z][ .\-_*]){2,}[a-z](?![\w])")

# How far (characters) a payment word may be from a word that needs context.
CONTEXT_WINDOW = 60

_PAYMENT_CONTEXT = re.compile(
    r"\b(pay|pays|paid|paying|payment|payments|transfer|transferring|money|deposit|owe|owed|owing|"
    r"fee|fees|invoice|reimburse|wage|wages|salary)\b|[$€£]\s?\d|\b\d+\s?(dollars|euros|pounds|usd|eur|gbp)\b"
)
# A "check" that is a place on a list or a time of arrival, not a cheque.
_NOT_A_CHEQUE = r"(?!-|\s(in|out|up|list|box|mark|on\s+(him|her|them|the\s+kids?))\b)"


@dataclass(frozen=True)
class _Rule:
    category: str
    pattern: re.Pattern[str]
    needs_context: bool = False


def _rule(category: str, pattern: str, *, needs_context: bool = False) -> _Rule:
    return _Rule(category, re.compile(pattern), needs_context)


# Patterns run on the normalised (lower-case, unaccented) text.
_RULES: tuple[_Rule, ...] = (
    # Bank transfers and the numbers they need.
    _rule("bank_transfer", r"\b(bank|wire|wired|interac)\s?transfers?\b"),
    _rule("bank_transfer", r"\be-?\s?transfers?\b"),
    _rule("bank_transfer", r"\b(routing|account)\s+(and\s+(routing|account)\s+)?(numbers?|nr)\b"),
    _rule("bank_transfer", r"\b(sort\s+code|swift(/bic)?\s+code|bic\s+code|aba\s+number)s?\b"),
    _rule("bank_transfer", r"\b(bank|banking)\s+(details|info|information)\b"),
    _rule("bank_transfer", r"\bdirect\s+deposit\b"),
    _rule("bank_transfer", r"\bwire\s+(you|me|the\s+(money|payment|funds)|money|funds|[$€£]?\s?\d+)\b"),
    _rule("bank_transfer", r"\b(by|via|send\s+a|through\s+a)\s+wire\b"),
    _rule("bank_transfer", r"\bbank\s+account\b", needs_context=True),
    _rule("bank_transfer", r"\biban\b"),
    _rule("money_transfer", r"\b(western\s+union|moneygram|remitly|worldremit)\b"),
    # Payment apps.
    _rule("zelle", r"\bzelle\b"),
    _rule("venmo", r"\bvenmo\b"),
    _rule("cash_app", r"\bcash\s?app\b"),
    _rule("paypal", r"\bpaypal\W+(friends|f\s?&\s?f|f\s?and\s?f|family)\b"),
    _rule("paypal", r"\bpaypal\.me\b|\bpaypal\s+(me|you)\b|\b(my|your)\s+paypal\b"),
    _rule("paypal", r"\b(friends\s+(and|&)\s+family|f\s?&\s?f)\b", needs_context=True),
    _rule("paypal", r"\bpaypal\b", needs_context=True),
    # Gift cards, and the store cards sold for scams.
    _rule("gift_card", r"\bgift\s?cards?\b", needs_context=True),
    _rule("gift_card", r"\b(in|with|by|as)\s+(a\s+)?gift\s?cards?\b"),
    _rule("gift_card", r"\bgift\s?cards?\s+(codes?|numbers?|pins?)\b"),
    _rule("gift_card", r"\b(buy|purchase)\s+(me\s+)?(a\s+|some\s+|\d+\s+)?(\w+\s+)?gift\s?cards?\b"),
    _rule("gift_card", r"\b(itunes|google\s+play|steam|vanilla|razer\s+gold)\s+(gift\s+)?cards?\b"),
    # Cheques; "check" only where it can only be a cheque.
    _rule("cheque", r"\bcheques?\b"),
    _rule("cheque", r"\b(cashier'?s|personal|certified|bank|paper|blank|signed)\s+checks?\b" + _NOT_A_CHEQUE),
    _rule(
        "cheque",
        r"\b(write|writes|writing|wrote|written|mail|mailing|mailed|cash|cashing|cashed|deposit|deposited)"
        r"\s+(you\s+|me\s+|him\s+|her\s+|them\s+)?(a|the|your|my|this|that)\s+checks?\b" + _NOT_A_CHEQUE,
    ),
    _rule("cheque", r"\b(pay|paid|paying|payment)\s+(you\s+|me\s+)?(by|with|via|in)\s+(a\s+)?checks?\b"),
    _rule(
        "cheque",
        r"\bchecks?\s+(for|of)\s+([$€£]\s?\d|\d+\s?(dollars|euros|pounds|usd|eur|gbp)\b)",
    ),
    # Cash in hand.
    _rule("cash", r"\bcash\s+(in\s+hand|only|payments?)\b"),
    _rule("cash", r"\b(pay|paying)\s+(you|me)\s+(in\s+|with\s+)?cash\b(?!\s?app)"),
    _rule("cash", r"\b(pay|paid|paying)\s+(in|with)\s+cash\b(?!\s?app)"),
    # Crypto.
    _rule("crypto", r"\b(crypto|bitcoin|btc|usdt|ethereum|eth|tether|binance)\s+(wallet|address)\b"),
    _rule("crypto", r"\b(wallet\s+address|seed\s+phrase)\b"),
    _rule(
        "crypto",
        r"\b(crypto|cryptocurrency|bitcoins?|btc|usdt|tether|ethereum|litecoin|dogecoin)\b",
        needs_context=True,
    ),
    # Plain requests to go around the platform.
    _rule(
        "off_platform",
        r"\b(pay|paid|paying|payment)\s+(you\s+|me\s+)?(directly\s+)?(outside|off)\s+(of\s+)?(the\s+)?"
        r"(app|platform|site|website|guardiannest)\b",
    ),
    _rule(
        "off_platform",
        r"\b(avoid|skip|save|dodge|bypass)\s+(on\s+)?(the\s+)?(app'?s?\s+|platform'?s?\s+)?(fees?|commission)\b",
    ),
)

# Account numbers recognised by their shape.
_IBAN_START = re.compile(r"\b[a-z]{2}\d{2}")
_IBAN_GROUP = re.compile(r"[a-z0-9]+")
_BTC_ADDRESS = re.compile(r"\b(bc1[ac-hj-np-z02-9]{25,59}|[13][a-km-zA-HJ-NP-Z1-9]{25,34})\b")
_ETH_ADDRESS = re.compile(r"\b0x[0-9a-f]{40}\b")


@dataclass(frozen=True)
class Finding:
    """What was found: the kinds of off-platform payment named, in order of first appearance."""

    categories: tuple[str, ...]


def _plain(text: str) -> str:
    """Lower-case text without invisible characters, whitespace runs made one space."""
    text = unicodedata.normalize("NFKC", text).translate(_INVISIBLE).casefold()
    return re.sub(r"\s+", " ", text)


def normalise(text: str) -> str:
    """Lower-case, unaccented text with spelled-out and digit-for-letter words put back together."""
    text = "".join(char for char in unicodedata.normalize("NFKD", _plain(text)) if not unicodedata.combining(char))
    text = _SPELLED_OUT.sub(lambda match: re.sub(r"[ .\-_*]", "", match.group(0)), text)
    return _LEET_WORD.sub(lambda match: match.group(0).translate(_LEET), text)


def _iban_valid(compact: str) -> bool:
    """ISO 13616 mod-97 check, so a long reference or phone number is not taken for an IBAN."""
    if not 15 <= len(compact) <= 34 or not compact.isalnum() or not compact.isascii():
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(char, 36)) for char in rearranged)) % 97 == 1


def _has_iban(plain: str) -> bool:
    """An IBAN written compact or in groups: every prefix ending between two groups is tried."""
    for start in _IBAN_START.finditer(plain):
        compact, position = "", start.start()
        while len(compact) <= 34:
            group = _IBAN_GROUP.match(plain, position)
            if group is None:
                break
            compact += group.group(0)
            if _iban_valid(compact):
                return True
            position = group.end()
            if plain[position : position + 1] != " ":
                break
            position += 1
    return False


def _btc_like(candidate: str) -> bool:
    # A base58 run of digits only is a number, not an address; an address mixes both.
    return any(char.isalpha() for char in candidate) and any(char.isdigit() for char in candidate[1:])


def _has_context(text: str, start: int, end: int) -> bool:
    window = text[max(0, start - CONTEXT_WINDOW) : end + CONTEXT_WINDOW]
    return _PAYMENT_CONTEXT.search(window) is not None


def detect(text: str) -> Finding | None:
    """The off-platform payment request in ``text``, or None when there is none."""
    if not text:
        return None
    normal = normalise(text)
    found: dict[str, int] = {}
    for rule in _RULES:
        if rule.category in found:
            continue
        for match in rule.pattern.finditer(normal):
            if not rule.needs_context or _has_context(normal, match.start(), match.end()):
                found[rule.category] = match.start()
                break
    plain = _plain(text)
    if "bank_transfer" not in found and _has_iban(plain):
        found["bank_transfer"] = len(normal)
    # Crypto addresses are case-sensitive: look for them in the text as written.
    if "crypto" not in found:
        raw = unicodedata.normalize("NFKC", text).translate(_INVISIBLE)
        if any(_btc_like(match.group(1)) for match in _BTC_ADDRESS.finditer(raw)) or _ETH_ADDRESS.search(plain):
            found["crypto"] = len(normal)
    if not found:
        return None
    return Finding(categories=tuple(sorted(found, key=lambda category: (found[category], category))))

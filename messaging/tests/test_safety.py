"""The off-platform payment detector: what it must catch, and everyday chat it must leave alone."""

from __future__ import annotations

import pytest

from messaging.safety import detect, normalise

ASKS_TO_PAY_OFF_PLATFORM = [
    # bank transfers, wires and the numbers they need
    ("Can you just do a bank transfer instead?", "bank_transfer"),
    ("I'll wire you the money tonight", "bank_transfer"),
    ("Happy to pay by wire", "bank_transfer"),
    ("send me an e-transfer", "bank_transfer"),
    ("Interac transfer works for me", "bank_transfer"),
    ("What's your routing number?", "bank_transfer"),
    ("I need your account and routing numbers", "bank_transfer"),
    ("My IBAN is below", "bank_transfer"),
    ("DE89 3704 0044 0532 0130 00 thanks!", "bank_transfer"),
    ("GB82WEST12345698765432", "bank_transfer"),
    ("Sort code 12-34-56", "bank_transfer"),
    ("send your bank details and I'll pay you", "bank_transfer"),
    ("I can pay into your bank account directly", "bank_transfer"),
    ("Western Union is easiest for me", "money_transfer"),
    # payment apps, also spelled to slip past a filter
    ("Zelle me the $80?", "zelle"),
    ("do you have zelle", "zelle"),
    ("Venmo is fine", "venmo"),
    ("v e n m o me", "venmo"),
    ("V.E.N.M.O works", "venmo"),
    ("v3nm0 me please", "venmo"),
    ("Ve\u200bnmo @anna", "venmo"),
    ("\uff36\uff25\uff2e\uff2d\uff2f", "venmo"),  # full-width letters
    ("my cashapp is $annaK", "cash_app"),
    ("Cash App works", "cash_app"),
    ("paypal friends and family please", "paypal"),
    ("PayPal F&F so there are no fees", "paypal"),
    ("my paypal is anna@example.com", "paypal"),
    ("paypal.me/annak", "paypal"),
    ("I'll pay you through paypal", "paypal"),
    ("pay via friends & family", "paypal"),
    # gift cards
    ("Can you pay in gift cards?", "gift_card"),
    ("Send me the gift card codes", "gift_card"),
    ("buy 3 Apple gift cards and I'll reimburse", "gift_card"),
    ("Steam cards are fine", "gift_card"),
    ("I want $200 as a gift card", "gift_card"),
    # cheques and checks
    ("I can give you a cheque", "cheque"),
    ("I'll write you a check for $60", "cheque"),
    ("I'll mail the check Monday", "cheque"),
    ("Can I pay by check?", "cheque"),
    ("a cashier's check is fine", "cheque"),
    ("Here's a check for 120 dollars", "cheque"),
    # cash in hand
    ("I'd rather pay you cash", "cash"),
    ("Cash only please", "cash"),
    ("we can pay in cash", "cash"),
    # crypto
    ("my bitcoin wallet is ready", "crypto"),
    ("pay me in btc", "crypto"),
    ("send to 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", "crypto"),
    ("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", "crypto"),
    ("0x52908400098527886E0F7030069857D2E4169EE7", "crypto"),
    # going around the platform
    ("Let's pay outside the app", "off_platform"),
    ("we can skip the fees if I pay you directly", "off_platform"),
    ("Pay me off the platform and we both save", "off_platform"),
]

EVERYDAY_CHAT = [
    "I'll check",
    "I'll check and get back to you",
    "Let me check the schedule",
    "Check in at 6?",
    "Please sign the check-in sheet",
    "I'll check for 5 minutes then leave",
    "check on the kids after dinner",
    "Thanks for checking!",
    "Can you check out the park?",
    "Did you get the gift card Emma made for you?",
    "My friends and family call me Annie",
    "We'll pay attention to her allergies",
    "Is the usual rate ok? I'll book in the app",
    "I'll pay through GuardianNest as usual",
    "The bank is closed on Sunday",
    "I transferred her to the new school",
    "She loves the wire sculpture at the museum",
    "Call me at +44 7700 900123",
    "Booking ref AB12 3456 7890 1234",
    "See you at 5 p.m. tomorrow",
    "Can you update your account details in the app?",
    "My account no longer shows the booking",
    "She ate cashews, is that ok?",
    "Taylor Swift is her favourite",
    "I have 3 kids: 4, 7 and 10",
    "",
]


@pytest.mark.parametrize(("text", "category"), ASKS_TO_PAY_OFF_PLATFORM)
def test_requests_to_pay_outside_are_found(text: str, category: str) -> None:
    finding = detect(text)
    assert finding is not None, text
    assert category in finding.categories


@pytest.mark.parametrize("text", EVERYDAY_CHAT)
def test_everyday_chat_is_left_alone(text: str) -> None:
    assert detect(text) is None


def test_a_message_naming_several_ways_lists_each_once() -> None:
    finding = detect("Zelle or Venmo, or a check for $50. Zelle is best.")
    assert finding is not None
    assert finding.categories == ("zelle", "venmo", "cheque")


def test_normalising_undoes_the_easy_disguises() -> None:
    assert normalise("Z E L L E  Vé\u200bnmo c4sh") == "zelle venmo cash"

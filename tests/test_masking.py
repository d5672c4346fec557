"""What an anonymised submission keeps of a resident's text: the idea, not how to reach them."""
from __future__ import annotations

import pytest

from dialogs.privacy.masking import mask_personal

NAMES = ["Ada Lovelace", "Ada L."]


@pytest.mark.parametrize(("typed", "kept"), [
    ("Ruft mich an: 0176 5550 9731!", "Ruft mich an: ***!"),
    ("+49 30 5550 9731", "***"),
    ("Tel. +49 (30) 555-09731 oder 030/5550973", "Tel. *** oder ***"),
    ("00491765550973", "***"),
    ("Tel 555 0973", "Tel ***"),
    ("ada.l@example.org schreibt", "*** schreibt"),
    ("auf Telegram @ada_lovelace", "auf Telegram ***"),
    ("IBAN DE89 3704 0044 0532 0130 00", "IBAN ***"),
    ("Ich bin Ada Lovelace, ada mag Bänke", "Ich bin ***, *** mag Bänke"),
    ("LOVELACE", "***"),
])
def test_contact_details_and_the_residents_names_are_masked(typed, kept):
    assert mask_personal(typed, NAMES) == kept


@pytest.mark.parametrize("typed", [
    "am 01.03.2027 um 18:00", "Kosten: 1.500.000 € oder 1500 Euro", "Projekt 2026-2027", "siehe BAD-2026-014",
    "Badstraße 10, 13357 Berlin", "Badstraße 10 13357 Berlin", "Adam und Adalbert kommen", "2 500 000 Euro",
    "Zimmer 12", "im Jahr 2026",
])
def test_the_idea_itself_stays_dates_amounts_addresses_references(typed):
    assert mask_personal(typed, NAMES) == typed

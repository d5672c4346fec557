"""The office finder as residents use it: typed addresses, picked areas, the office card.

On the memory store (tests/memory_store.py) with Berlin's address list in memory: these test the flow,
not storage; tests/test_store_contract.py holds the memory store to what the SQL stores do.
"""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from tests.memory_store import MemoryUnitOfWork, memory_dialogs


@pytest.fixture
def memory():
    return MemoryUnitOfWork()


@pytest.fixture
def dialogs(memory, clock):
    return memory_dialogs(memory, clock)

# (what a resident types, the area kiezbot must name) — checked against Berlin's address list.
SPELLINGS = [
    ("swinemünder str 64", "QM Brunnenviertel-Brunnenstraße"),
    ("Prinz Eugen Str. 1", "QM Pankstraße"),
    ("Koloniestrasse 129 13359", "QM Soldiner Straße/Wollankstraße"),
    ("Bellermanstr 81", "QM Badstraße"),
    ("badstr. 10", "QM Badstraße"),
    ("Prinzenallee 10", "QM Badstraße"),
]


@pytest.mark.parametrize(("typed", "area"), SPELLINGS)
async def test_typed_address_leads_to_the_right_office(english, typed, area):
    await english.taps("Find my office")
    answer = await english.says(typed)
    assert f"lies in or near the area of {area}" in answer.text
    assert "Office:" in answer.text


async def test_area_can_be_picked_instead(english):
    start = await english.taps("Find my office")
    assert "QM Pankstraße" in start.buttons
    card = await english.taps("QM Badstraße")
    assert "Bellermannstraße 81, 13357 Berlin" in card.text
    assert "030 221 90 900" in card.text
    assert "qm-badstrasse@list-gmbh.de" in card.text


async def test_unknown_facts_are_said_to_be_unknown(english):
    await english.taps("Find my office")
    card = await english.taps("QM Pankstraße")          # phone, e-mail and hours are null in the data
    assert "Phone: not known" in card.text
    assert "E-mail: not known" in card.text
    assert "Opening hours: not known yet" in card.text
    assert all(r.venue is None for r in card.replies)   # no coordinates: no invented pin


async def test_open_now_is_computed_in_berlin_time(english, memory, clock):
    memory.data.set_office("badstrasse", opening_hours={"tue": ["10:00-13:00"], "thu": ["14:00-18:00"]},
                           latitude=52.5531, longitude=13.3831)
    clock.now = datetime(2026, 11, 24, 9, 30, tzinfo=timezone.utc)     # Tuesday 10:30 in Berlin
    await english.taps("Find my office")
    card = await english.taps("QM Badstraße")
    assert "Open now, until 1:00 PM" in card.text
    assert any(r.venue is not None and r.venue.latitude == 52.5531 for r in card.replies)
    clock.now = datetime(2026, 11, 24, 12, 30, tzinfo=timezone.utc)    # Tuesday 13:30: closed
    await english.taps("Other area")
    card = await english.taps("QM Badstraße")
    assert "Closed now, opens Thursday at 2:00 PM" in card.text


async def test_street_elsewhere_in_berlin_is_not_forced_into_our_areas(english):
    await english.taps("Find my office")
    answer = await english.says("Unter den Linden 1")
    assert "not in one of our four neighbourhood areas" in answer.text
    assert "Mitte" in answer.text                        # the district office to turn to
    assert "QM Pankstraße" in answer.buttons             # and our four offices to choose from


async def test_street_that_exists_twice_asks_which_one(english):
    await english.taps("Find my office")
    answer = await english.says("Koloniestraße 10")
    assert "more than one street" in answer.text
    labels = " ".join(answer.buttons)
    assert "Lichterfelde" in labels and "Gesundbrunnen" in labels
    card = await english.taps("Gesundbrunnen")
    assert "Koloniestraße 10" in card.text


async def test_postcode_decides_between_equal_street_names(english):
    await english.taps("Find my office")
    answer = await english.says("Koloniestraße 10, 12209")
    assert "not in one of our four neighbourhood areas" in answer.text
    assert "Steglitz-Zehlendorf" in answer.text


async def test_missing_house_number_on_a_crossing_street_is_asked_for(english):
    await english.taps("Find my office")
    answer = await english.says("Badstraße")
    assert "Which house number" in answer.text
    card = await english.says("10")
    assert "QM Badstraße" in card.text


@pytest.mark.parametrize("nonsense", ["asdf", "1234", "🙂", "hallo"])
async def test_nonsense_gets_a_hint_with_an_example(english, nonsense):
    await english.taps("Find my office")
    answer = await english.says(nonsense)
    assert "Badstraße 10" in answer.text                 # the example
    assert "QM Pankstraße" in answer.buttons


async def test_voice_note_in_the_finder_is_answered_kindly(english):
    await english.taps("Find my office")
    answer = await english.sends("voice", file_id="abc", duration=3)
    assert "as text" in answer.text


async def test_address_typed_at_the_menu_goes_straight_to_the_finder(english, memory):
    answer = await english.says("Swinemünder Straße 64")
    assert "QM Brunnenviertel-Brunnenstraße" in answer.text
    assert memory.data.residents[english.sender.chat_id].area_key == "brunnenstrasse"              # remembered for later flows


async def test_office_card_in_german(german):
    await german.taps("Büro finden")
    card = await german.taps("QM Badstraße")
    assert "Telefon" in card.text and "Öffnungszeiten" in card.text


async def test_a_square_without_house_numbers_is_found(english):
    await english.taps("Find my office")
    answer = await english.says("Nettelbeckplatz")
    assert "Nettelbeckplatz, Berlin-Wedding lies in or near the area of QM Pankstraße" in answer.text


async def test_a_house_number_that_does_not_exist_is_said_so(english):
    await english.taps("Find my office")
    answer = await english.says("Prinz-Eugen-Straße 31")
    assert "could not find house number 31 on Prinz-Eugen-Straße" in answer.text
    assert "QM Pankstraße" in answer.text


async def test_closures_close_the_office_and_are_named_on_the_card(english, memory, clock):
    hours = {"tue": ["10:00-13:00"], "thu": ["14:00-18:00"],
             "closures": [{"from": "2026-11-24", "note": {"de": "Teamtag", "en": "Team day"}},
                          {"from": "2026-11-26", "to": "2026-12-09"}]}
    memory.data.set_office("badstrasse", opening_hours=hours)
    clock.now = datetime(2026, 11, 24, 9, 30, tzinfo=timezone.utc)     # Tuesday 10:30: open by the weekly hours
    await english.taps("Find my office")
    card = await english.taps("QM Badstraße")
    assert "Open now" not in card.text
    assert "Closed on Nov 24, 2026: Team day" in card.text
    assert "Closed from Nov 26, 2026 to Dec 9, 2026" in card.text
    assert "Closed now, opens on Dec 10, 2026 at 2:00 PM" in card.text         # the first Thursday after both


def test_closures_are_read_from_the_areas_file_and_written_back():
    from datetime import date

    from dialogs.core.model import OpeningHours
    hours = OpeningHours.from_mapping({"mon": ["10-13"], "closures": [{"from": date(2026, 12, 24), "to": "26.12.2026",
                                                                        "note": "Weihnachten"}]})
    assert hours.to_mapping() == {"mon": ["10:00-13:00"], "closures": [
        {"from": "2026-12-24", "to": "2026-12-26", "note": {"de": "Weihnachten"}}]}
    assert OpeningHours.from_mapping(hours.to_mapping()) == hours
    with pytest.raises(ValueError, match="ends before it starts"):
        OpeningHours.from_mapping({"closures": [{"from": "2026-12-24", "to": "2026-12-20"}]})

"""Addresses as residents of issue 20 typed them: other scripts' digits, swapped letters in "straße",
Cyrillic and Arabic-script street names, a weak near-match that must ask instead of answering, and a
postcode on its own."""
from __future__ import annotations

import pytest

from dialogs.office.addresses import Found, NoStreet, NotAnAddress, PostcodeAreas, resolve
from dialogs.office.transliterate import to_latin
from tests.address_book_memory import load_address_book, load_area_map
from tests.chat import ChatClient


@pytest.fixture(scope="module")
def book():
    return load_address_book()


@pytest.fixture(scope="module")
def areas():
    return load_area_map()


@pytest.mark.parametrize(("text", "street", "number", "area"), [
    ("Badstraße ١٠", "Badstraße", 10, "badstrasse"),             # Arabic-Indic digits
    ("Badstraße ۱۰", "Badstraße", 10, "badstrasse"),             # Persian digits
    ("Badstraße १०", "Badstraße", 10, "badstrasse"),             # Devanagari digits
    ("Pankstraße ２０", "Pankstraße", 20, "pankstrasse"),         # full-width digits
    ("Badsrtaße 10", "Badstraße", 10, "badstrasse"),             # swapped letters inside "straße"
    ("Pankstarße 20", "Pankstraße", 20, "pankstrasse"),
    ("Baddstraße 10", "Badstraße", 10, "badstrasse"),            # a doubled letter
    ("Bellermannstrrasse 81", "Bellermannstraße", 81, "badstrasse"),
    ("Бадштрассе 10", "Badstraße", 10, "badstrasse"),            # Cyrillic
    ("Панкштрассе 20", "Pankstraße", 20, "pankstrasse"),
    ("Принценаллее 10", "Prinzenallee", 10, "badstrasse"),
    ("Свинемюндер штрассе 64", "Swinemünder Straße", 64, "brunnenstrasse"),
    ("Брунненштрассе 100", "Brunnenstraße", 100, "brunnenstrasse"),
    ("Колоништрассе 129", "Koloniestraße", 129, "soldiner"),
    ("Беллерманнштрассе 81", "Bellermannstraße", 81, "badstrasse"),
    ("بادشتراسه ١٠", "Badstraße", 10, "badstrasse"),             # Arabic script
    ("شارع باد ١٠", "Badstraße", 10, "badstrasse"),              # "street Bad 10"
    ("بانكشتراسه 20", "Pankstraße", 20, "pankstrasse"),          # no "p" in Arabic: ب
    ("برونينشتراسه 100", "Brunnenstraße", 100, "brunnenstrasse"),
    ("كولونيشتراسه 129", "Koloniestraße", 129, "soldiner"),      # و for "o"
])
async def test_spellings_find_the_address(book, areas, text, street, number, area):
    result = await resolve(text, book, areas)
    assert isinstance(result, Found), result
    assert (result.row.street, result.row.number, result.area_key) == (street, number, area)


async def test_soldiner_strasse_in_cyrillic_asks_which_of_the_two(book, areas):
    result = await resolve("Зольдинер штрассе 5", book, areas)
    assert {o.ortsteil for o in result.options} == {"Gesundbrunnen", "Lichtenrade"}


async def test_a_weak_match_outside_our_areas_asks_did_you_mean(book, areas):
    result = await resolve("Krönerstraße 48", book, areas)
    assert isinstance(result, NoStreet)
    assert "Krossener Straße" in result.suggestions and "Körnerstraße" in result.suggestions


async def test_a_close_typo_still_answers(book, areas):
    result = await resolve("Bellermanstr 81", book, areas)
    assert isinstance(result, Found) and result.row.street == "Bellermannstraße" and not result.street_exact


async def test_postcode_alone_names_its_areas(book, areas):
    result = await resolve("13357", book, areas)
    assert isinstance(result, PostcodeAreas)
    # 13357 reaches QM Badstraße and Pankstraße, and QM Brunnenstraße through Hanne-Sobek-Platz (a square
    # without house numbers in PLR 01300834 "Brunnenstraße"), as Berlin's address list has it.
    assert result.area_keys == {"badstrasse", "pankstrasse", "brunnenstrasse"} and result.outside
    assert (await resolve("13357 Berlin", book, areas)) == result
    outside = await resolve("12305", book, areas)                    # Lichtenrade
    assert isinstance(outside, PostcodeAreas) and not outside.area_keys
    assert isinstance(await resolve("12345", book, areas), NotAnAddress)      # not in Berlin's list


def test_transliteration_reads_german_sounds_back():
    assert to_latin("Бадштрассе 10") == "badstrasse 10"
    assert to_latin("Шпандау") == "spandau"
    assert to_latin("Badstraße 10") == "Badstraße 10"                 # Latin text untouched


# --- in the conversation ----------------------------------------------------------------------------

async def resident(dialogs, chat_id: int, code: str) -> ChatClient:
    client = ChatClient(dialogs, chat_id=chat_id, language_code="de")
    await client.onboard(code)
    return client


async def test_cyrillic_address_at_the_menu_finds_the_office(dialogs):
    client = await resident(dialogs, 7301, "ru")
    answer = await client.says("Бадштрассе 10")
    assert "QM Badstraße" in answer.text


async def test_arabic_digits_keep_the_house_number(dialogs):
    client = await resident(dialogs, 7302, "ar")
    answer = await client.says("Badstraße ١٠")
    assert "QM Badstraße" in answer.text and "Badstraße 10" in answer.text


@pytest.mark.parametrize("via_office", [True, False])
async def test_kroenerstrasse_gets_did_you_mean_buttons(dialogs, via_office):
    client = await resident(dialogs, 7303 + 10 * via_office, "en")
    if via_office:
        await client.says("/office")
    answer = await client.says("Krönerstraße 48")               # in the office finder, or at the menu
    assert "Did you mean" in answer.text and "Krossener Straße" in answer.buttons


async def test_postcode_only_answers_with_its_areas(dialogs):
    client = await resident(dialogs, 7304, "de")
    answer = await client.says("13357")
    assert "13357" in answer.text and "QM Badstraße" in answer.buttons and "QM Pankstraße" in answer.buttons
    assert "Hausnummer" in answer.text
    office = await client.taps("QM Badstraße")
    assert "Büro:" in office.text


async def test_the_area_buttons_come_with_qm_spelled_out(dialogs):
    client = await resident(dialogs, 7305, "en")
    answer = await client.says("/office")
    assert "QM = Quartiersmanagement" in answer.text and any(b.startswith("QM ") for b in answer.buttons)

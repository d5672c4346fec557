"""Event and session texts the team writes in German: the preview offers a machine translation for every
missing language (accept, edit, drop), and residents then read the text in their language, marked as a
machine translation — against the fake LibreTranslate (which "translates" by upper-casing)."""
from __future__ import annotations

import asyncio

import pytest_asyncio

from bot.translation.libretranslate import LibreTranslate
from dialogs.translation import flows as translation_flows
from dialogs.translation import offers
from dialogs.translation.jobs import TranslationPolicy
from dialogs.translation.ports import Detection, Translation
from dialogs.translation.protect import ProtectingTranslator
from tests.chat import ChatClient
from tests.event_helpers import add_resident, get_event
from tests.fake_translation import FakeLibreTranslate
from tests.meeting_tools import outbox
from tests.staff_tools import add_staff, staff_in_group

DANA = 42
TITLE = "Hoffest im Brunnenviertel"
DESCRIPTION = "Mit Musik und Kuchen. Bitte Teller mitbringen."
AGENDA = "1. Begrüßung\n2. Projektfonds 2027"


@pytest_asyncio.fixture
async def libre():
    async with FakeLibreTranslate() as server:
        yield server


@pytest_asyncio.fixture
async def translating(dialogs, libre):
    translation_flows.configure(dialogs, TranslationPolicy(translate=True, team_language="de"),
                                live=ProtectingTranslator(LibreTranslate(libre.base_url, timeout=0.5)))
    yield dialogs
    await translation_flows.settings(dialogs).live.close()


def offered_languages(answer, prefix: str) -> set[str]:
    return {b.data.rsplit(":", 1)[1] for r in answer.replies for row in r.buttons for b in row
            if b.data.startswith(f"{prefix}:mtok:")}


async def event_preview(dana) -> object:
    await dana.says("/newevent")
    await dana.says(TITLE)
    await dana.says(DESCRIPTION)
    await dana.taps("English")
    await dana.says("Courtyard party")                     # typed by the team: no machine translation for it
    await dana.taps("Skip")
    await dana.taps("Continue")
    await dana.taps("All areas")
    await dana.says("Hof, Swinemünder Straße 64")
    await dana.says("5.12.2026 15:00")
    await dana.says("18:00")
    await dana.presses("evadm:cap:none")
    await dana.taps("2")
    await dana.presses("evadm:dl:none")
    return await dana.taps("2 days and 2 hours before")


async def test_the_event_preview_offers_machine_translations_and_residents_read_their_language(translating, db):
    await add_staff(db, DANA)
    dana = staff_in_group(translating, DANA, "en")
    preview = await event_preview(dana)
    assert "🌐 Offer machine translations" in preview.buttons
    offered = await dana.presses("evadm:mt")
    languages = {lang.code for lang in translating.catalogs.languages}
    assert offered_languages(offered, "evadm") == languages - {"de", "de_simple", "en"}
    assert TITLE.upper() in offered.text and DESCRIPTION.upper() in offered.text
    await dana.presses("evadm:mtok:tr")                         # accept
    await dana.presses("evadm:mtno:ar")                         # drop: Arabic readers get German
    edit = await dana.presses("evadm:mted:ru")                  # edit: the team's own words win
    assert "title in Русский" in edit.text and TITLE.upper() in edit.text
    await dana.says("Праздник во дворе")
    await dana.says("С музыкой и пирогами.")
    again = await dana.taps("Continue")
    assert "Праздник во дворе" in again.text and TITLE.upper() in again.text   # the preview shows every version
    stale = await dana.presses("evadm:mtok:ar")                 # dropped: gone
    assert stale.toast == "This button is no longer valid."
    published = await dana.presses("evadm:publish")
    event = await get_event(db, int(published.text.split("event ")[1].split(".")[0]))
    assert event.texts["tr"].title == TITLE.upper()
    assert event.texts["ru"].title == "Праздник во дворе" and "🌐" not in event.texts["ru"].description
    assert "en" in event.texts and "ar" not in event.texts

    turkish = ChatClient(translating, chat_id=3001, language_code="tr")
    await add_resident(db, 3001, "tr")
    shown = await turkish.presses(f"ev:show:{event.id}:a")
    assert TITLE.upper() in shown.text and DESCRIPTION.upper() in shown.text
    assert "Makine çevirisi, kaynak dil: Almanca" in shown.text     # marked, in Turkish
    arabic = ChatClient(translating, chat_id=3002, language_code="ar")
    await add_resident(db, 3002, "ar")
    shown = await arabic.presses(f"ev:show:{event.id}:a")
    assert TITLE in shown.text and DESCRIPTION in shown.text    # no version: the German text, as before
    russian = ChatClient(translating, chat_id=3003, language_code="ru")
    await add_resident(db, 3003, "ru")
    shown = await russian.presses(f"ev:show:{event.id}:a")
    assert "Праздник во дворе" in shown.text and "Машинный перевод" not in shown.text


async def test_a_changed_german_text_withdraws_the_machine_translations_of_the_old_one(translating, db):
    await add_staff(db, DANA)
    dana = staff_in_group(translating, DANA, "en")
    await event_preview(dana)
    await dana.presses("evadm:mt")
    await dana.presses("evadm:mtok:tr")
    await dana.presses("evadm:fix:title")
    await dana.says("Hoffest am Samstag")
    preview = await dana.says("Mit Musik.")
    assert TITLE.upper() not in preview.text and "Courtyard party" in preview.text
    assert (await dana.presses("evadm:mtok:pl")).toast == "This button is no longer valid."
    offered = await dana.presses("evadm:mt")                   # offered afresh, from the new text
    assert "HOFFEST AM SAMSTAG" in offered.text and "tr" in offered_languages(offered, "evadm")


async def test_without_an_answer_in_time_the_event_preview_says_so_and_nothing_is_offered(translating, db, libre):
    await add_staff(db, DANA)
    dana = staff_in_group(translating, DANA, "en")
    await event_preview(dana)
    libre.mode = "down"
    answer = await dana.presses("evadm:mt")
    assert "did not answer in time" in answer.text and not offered_languages(answer, "evadm")
    assert "Preview" in answer.replies[-1].text


async def test_without_a_service_the_previews_offer_nothing(dialogs, db):
    await add_staff(db, DANA)
    dana = staff_in_group(dialogs, DANA, "en")
    preview = await event_preview(dana)
    assert "🌐 Offer machine translations" not in preview.buttons
    assert await offers.fill_missing(dialogs, {"title": TITLE}, ["de"], ["de", "tr"]) == {}


async def test_fill_missing_for_a_form_leaves_out_typed_languages_and_einfache_sprache(translating):
    done = await offers.fill_missing(translating, {"title": TITLE, "description": ""}, ["de", "en"],
                                     ["de", "de_simple", "en", "tr", "ar"])
    assert done == {"tr": {"title": TITLE.upper(), "description": ""}, "ar": {"title": TITLE.upper(),
                                                                              "description": ""}}
    stored = offers.accepted(translating, "tr", done["tr"], "description")
    assert stored["title"] == TITLE.upper() and stored["description"].startswith("🌐 Makine çevirisi")


async def plan_council(dana) -> object:
    await dana.says("/newmeeting")
    await dana.taps("Quartiersrat")
    await dana.taps("QM Pankstraße")
    await dana.says("14.02.2027 18:00")
    await dana.says("20:00")
    await dana.says("Vor-Ort-Büro, Prinzenallee 30")
    await dana.says(AGENDA)
    return await dana.taps("Continue")


async def test_the_session_preview_offers_machine_translations_of_the_agenda(translating, db):
    await add_staff(db, DANA)
    subscribers = {}
    for chat_id, code in ((1101, "tr"), (1102, "ar"), (1103, "pl")):
        client = ChatClient(translating, chat_id=chat_id, language_code=code)
        await client.onboard(code)
        await client.presses("meet:on:council:pankstrasse")
        subscribers[code] = chat_id
    dana = staff_in_group(translating, DANA, "en")
    preview = await plan_council(dana)
    assert "🌐 Offer machine translations" in preview.buttons
    offered = await dana.presses("meetstaff:mt:")
    assert offered_languages(offered, "meetstaff") >= {"tr", "ar", "pl", "en"}
    assert "2. PROJEKTFONDS 2027" in offered.text
    accepted = await dana.presses("meetstaff:mtok:tr")
    assert "Agenda in: Deutsch, Türkçe" in accepted.text
    await dana.presses("meetstaff:mtno:ar")
    edit = await dana.presses("meetstaff:mted:pl")
    assert "2. PROJEKTFONDS 2027" in edit.text
    back = await dana.says("1. Powitanie\n2. Fundusz projektowy 2027")
    assert "Preview" in back.text and "Polski" in back.text     # straight back to the preview
    await dana.taps("Save")
    rows = {row.chat_id: row.text for row in await outbox(db, state="pending") if ":1d:" in row.key}
    assert "2. PROJEKTFONDS 2027" in rows[subscribers["tr"]] and "Makine çevirisi" in rows[subscribers["tr"]]
    assert "2. Projektfonds 2027" in rows[subscribers["ar"]]     # dropped: German, as before
    assert "Fundusz projektowy" in rows[subscribers["pl"]] and "Tłumaczenie maszynowe" not in rows[subscribers["pl"]]


class GatedTranslator:
    """A translation service that answers only when the test lets it (the preview's wait, made visible)."""

    name = "gated"

    def __init__(self) -> None:
        self.asked = asyncio.Event()
        self.answer = asyncio.Event()

    async def translate(self, text: str, source: str | None, target: str, *, html: bool = False) -> Translation:
        self.asked.set()
        await self.answer.wait()
        return Translation(text.upper(), source, self.name)

    async def detect(self, text: str) -> Detection:
        return Detection(None)

    async def close(self) -> None:
        pass


async def test_while_the_preview_waits_for_the_service_other_updates_are_handled(dialogs, db, monkeypatch):
    """The wait happens outside the update's transaction — on SQLite that transaction holds the database's
    only write lock, so waiting inside it would stop every other resident and team member meanwhile."""
    monkeypatch.setattr(translation_flows, "PREVIEW_SECONDS", 600.0)     # the service answers when let
    gated = GatedTranslator()
    translation_flows.configure(dialogs, TranslationPolicy(translate=True, team_language="de"), live=gated)
    await add_staff(db, DANA)
    dana = staff_in_group(dialogs, DANA, "en")
    await event_preview(dana)
    offering = asyncio.create_task(dana.presses("evadm:mt"))
    await asyncio.wait_for(gated.asked.wait(), 60)
    english = ChatClient(dialogs, chat_id=3004, language_code="en")
    await add_resident(db, 3004, "en")
    events = await asyncio.wait_for(english.says("/events"), 60)        # handled while the translation waits
    assert "There are no upcoming events" in events.text
    assert not offering.done()
    gated.answer.set()
    offered = await offering
    assert offered_languages(offered, "evadm") == {lang.code for lang in dialogs.catalogs.languages} - {
        "de", "de_simple", "en"}
    assert TITLE.upper() in offered.text and "did not answer" not in offered.text
    preview = await dana.presses("evadm:mtok:tr")                       # the offers were kept: the second round's
    assert TITLE.upper() in preview.text

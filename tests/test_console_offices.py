"""Offices in the console: the team edits opening hours, closures, phone, e-mail, address and map position;
the bot's office card says the new facts at once; wrong input is named field by field and saves nothing."""
from __future__ import annotations

from sqlalchemy import select

from storage.models import OfficeRow
from tests.chat import ChatClient
from tests.console_tools import dana, desk, form_fields, page_text, signed_in  # noqa: F401

FORM = "/console/offices/badstrasse"


async def office(db, key: str = "badstrasse") -> OfficeRow:
    async with db.sessions() as session:
        return (await session.execute(select(OfficeRow).where(OfficeRow.area_key == key))).scalar_one()


async def submit(client, changes: dict[str, str], *, form: dict[str, str] | None = None):  # noqa: ANN001, ANN201
    if form is None:
        form = form_fields(await (await client.get(FORM)).text())
    return await client.post(FORM, data={**form, **changes}, allow_redirects=False)


async def office_card(resident: ChatClient) -> str:
    await resident.says("/office")
    return (await resident.taps("QM Badstraße")).text


async def test_new_opening_hours_show_in_the_bots_office_card_at_once(signed_in, db, dialogs):
    resident = ChatClient(dialogs, chat_id=5005, language_code="en")
    await resident.onboard("en")
    assert "Opening hours: not known yet" in await office_card(resident)
    done = await submit(signed_in, {"hours_tue": "9-12, 14:00 - 16:30", "hours_thu": "10.00–13.00",
                                    "phone": "030 221 90 901", "note_de": "und nach Vereinbarung",
                                    "note_en": "and by appointment", "latitude": "52.5531", "longitude": "13.3831"})
    assert done.status == 303 and done.headers["Location"] == FORM + "?saved=1"
    saved = await signed_in.get(done.headers["Location"])
    assert "Gespeichert." in await page_text(saved)
    card = await office_card(resident)                       # Tuesday 10:30 in Berlin (the test clock)
    assert "Open now, until 12:00 PM" in card
    assert "Tuesday: 9:00 AM–12:00 PM, 2:00 PM–4:30 PM" in card and "Thursday: 10:00 AM–1:00 PM" in card
    assert "030 221 90 901" in card and "and by appointment" in card
    row = await office(db)
    assert row.opening_hours["tue"] == ["09:00-12:00", "14:00-16:30"] and row.latitude == 52.5531


async def test_a_closure_closes_the_office_on_the_bots_card(signed_in, dialogs):
    resident = ChatClient(dialogs, chat_id=5006, language_code="en")
    await resident.onboard("en")
    done = await submit(signed_in, {"hours_tue": "10:00-13:00", "hours_thu": "14:00-18:00",
                                    "closure_0_from": "2026-11-24", "closure_0_to": "25.11.2026",
                                    "closure_0_note_de": "Teamtag", "closure_0_note_en": "Team day",
                                    "closure_1_from": "2026-12-24", "closure_1_to": "2026-12-26"})
    assert done.status == 303, await page_text(done)
    card = await office_card(resident)                       # today, Tuesday 24 November, is closed
    assert "Closed now, opens Thursday at 2:00 PM" in card
    assert "Closed from Nov 24, 2026 to Nov 25, 2026: Team day" in card
    assert "Closed from Dec 24, 2026 to Dec 26, 2026" in card
    form = form_fields(await (await signed_in.get(FORM)).text())
    assert form["closure_0_from"] == "24.11.2026" and form["closure_0_note_de"] == "Teamtag"
    await submit(signed_in, {"closure_0_remove": "1", "closure_1_remove": "1"}, form=form)
    assert "Open now, until 1:00 PM" in await office_card(resident)


async def test_wrong_input_is_named_field_by_field_and_nothing_is_saved(signed_in, db):
    before = await office(db)
    before_values = (before.address, before.phone, before.email, dict(before.opening_hours), before.latitude)
    response = await submit(signed_in, {
        "address": "🏠" * 4000, "phone": "call me", "email": "team@", "hours_mon": "10-25",
        "hours_tue": "13:00-10:00", "hours_wed": "10-13, 12-14", "latitude": "13.38", "longitude": "52.55",
        "closure_0_from": "2026-12-24", "closure_0_to": "2026-12-20", "closure_1_from": "31.02.2026"})
    assert response.status == 400
    text = await page_text(response)
    assert "Es wurde nichts gespeichert" in text
    for expected in ("Adresse ist zu lang: höchstens 256 Zeichen, hier sind es 4000",
                     "Telefon: Bitte nur Ziffern", "E-Mail: Das ist keine E-Mail-Adresse",
                     "Montag: „10-25“ ist keine Zeitspanne", "Dienstag: „13:00-10:00“ endet, bevor es beginnt",
                     "Mittwoch: Die Zeiten überschneiden sich", "Breiten- und Längengrad vertauscht",
                     "Schließzeit 1: Der letzte Tag liegt vor dem ersten",
                     "Schließzeit 2: „31.02.2026“ ist kein Datum"):
        assert expected in text, expected
    assert "Traceback" not in text
    after = await office(db)
    assert (after.address, after.phone, after.email, dict(after.opening_hours), after.latitude) == before_values


async def test_html_typed_into_the_form_is_refused_and_shown_as_text(signed_in, db):
    address = (await office(db)).address
    response = await submit(signed_in, {"address": "<script>alert(1)</script>", "note_de": '"><img src=x onerror=1>'})
    assert response.status == 400
    html = await response.text()
    assert "<script>alert(1)</script>" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html            # what was typed stays in the field, escaped
    assert "Adresse darf kein &lt; oder &gt; enthalten." in html
    assert (await office(db)).address == address


async def test_a_form_filled_in_before_someone_else_saved_is_refused(signed_in, db):
    stale_form = form_fields(await (await signed_in.get(FORM)).text())
    assert (await submit(signed_in, {"phone": "030 111"})).status == 303        # a colleague saves first
    response = await submit(signed_in, {"phone": "030 222"}, form=stale_form)
    assert response.status == 409
    assert "Jemand anderes hat dieses Büro inzwischen gespeichert" in await page_text(response)
    assert (await office(db)).phone == "030 111"
    assert form_fields(await response.text())["phone"] == "030 111"          # the current state to work from


async def test_empty_phone_and_e_mail_mean_not_known(signed_in, db, dialogs):
    assert (await submit(signed_in, {"phone": "", "email": ""})).status == 303
    row = await office(db)
    assert row.phone is None and row.email is None
    resident = ChatClient(dialogs, chat_id=5007, language_code="en")
    await resident.onboard("en")
    card = await office_card(resident)
    assert "Phone: not known" in card and "E-mail: not known" in card


async def test_the_offices_page_shows_every_office_and_switches_to_english(signed_in):
    page = await signed_in.get("/console/offices")
    text = await page_text(page)
    assert all(name in text for name in ("QM Pankstraße", "QM Badstraße", "QM Soldiner Straße/Wollankstraße"))
    assert "Bearbeiten" in text
    token = form_fields(await page.text())["csrf"]
    switched = await signed_in.post("/console/language", data={"csrf": token, "lang": "en",
                                                                 "next": "/console/offices"})
    assert str(switched.url).endswith("/console/offices")
    assert "Edit" in await page_text(switched) and "Bearbeiten" not in await page_text(switched)
    evil = await signed_in.post("/console/language", data={"csrf": token, "lang": "de", "next": "//evil.example/"})
    assert evil.url.host == "127.0.0.1" and evil.url.path == "/console/"

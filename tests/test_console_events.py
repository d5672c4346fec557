"""Events in the console: the team creates, changes and cancels events, uploads the team's calendar, sees
who signed up and who waits, downloads it, and writes to everyone signed up. Residents hear of changes
exactly as from the staff chat (the same services, through the outbox); wrong input saves nothing; a form
filled before someone else saved is refused; every change is in the staff access log."""
from __future__ import annotations

import csv
import io
from pathlib import Path

from aiohttp import FormData
from sqlalchemy import select

from dialogs.events.signups import book
from storage.privacy import AccessLogRow
from tests.chat import ChatClient
from tests.console_tools import (ask_for_link, console_client, csrf_token, dana, desk, form_fields,  # noqa: F401
                                 page_text, sign_in, signed_in)
from tests.event_helpers import add_event, add_resident, get_event, outbox, reply_of

DATA = Path(__file__).resolve().parent / "data"
NEW = "/console/events/new"


async def new_event(client, **changes: str):  # noqa: ANN001, ANN201
    form = form_fields(await (await client.get(NEW)).text())
    fields = {**form, "title_de": "Kiezfest im Hof", "description_de": "Musik, Kuchen und Spiele.",
              "title_en": "Courtyard party", "place": "Nachbarschaftsladen, Badstraße 10", "area": "badstrasse",
              "start": "03.12.2026 18:00", "end": "20:00", "capacity": "10", "max_party": "4", "reminders": "2d 2h",
              **changes}
    return await client.post(NEW, data=fields, allow_redirects=False)


async def sign_up(db, dialogs, event_id: int, chat_id: int, name: str, party: int = 1, language: str = "en"):  # noqa: ANN001, ANN201
    """A resident signed up through the chat's own rule (dialogs/events/signups.py)."""
    await add_resident(db, chat_id, language)
    async with dialogs.uow(chat_id) as store:
        return await book(store, dialogs, dialogs.clock(), event_id, chat_id, name, party)


async def access_lines(db, action: str) -> list[AccessLogRow]:  # noqa: ANN001
    async with db.sessions() as session:
        return list((await session.execute(select(AccessLogRow).where(AccessLogRow.action == action)
                                           .order_by(AccessLogRow.id))).scalars())


async def edit(client, event_id: int, **changes: str):  # noqa: ANN001, ANN201
    path = f"/console/events/{event_id}/edit"
    form = form_fields(await (await client.get(path)).text())
    return await client.post(path, data={**form, **changes}, allow_redirects=False)


async def test_an_event_created_in_the_console_is_in_the_bots_event_list(signed_in, db, dialogs):
    done = await new_event(signed_in)
    assert done.status == 303, await page_text(done)
    assert done.headers["Location"].endswith("?done=created")
    page = await page_text(await signed_in.get(done.headers["Location"]))
    assert "Veröffentlicht." in page and "Kiezfest im Hof" in page and "Donnerstag, 3. Dezember 2026, 18:00 – 20:00" in page
    event_id = int(done.headers["Location"].split("/")[-1].split("?")[0])
    event = await get_event(db, event_id)
    assert event.capacity == 10 and event.max_party == 4 and event.reminder_leads == (2880, 120)
    assert event.starts_at.isoformat() == "2026-12-03T17:00:00+00:00" and event.area_key == "badstrasse"
    resident = ChatClient(dialogs, chat_id=5101, language_code="en")
    await resident.onboard("en")
    listing = await resident.says("/events")
    assert "Courtyard party" in listing.text
    [line] = await access_lines(db, "event-create")
    assert line.actor == "staff:7 Dana" and line.detail == f"console: event {event_id}"
    listed = await page_text(await signed_in.get("/console/events"))
    assert "Kiezfest im Hof" in listed and "0 von 10" in listed


async def test_wrong_input_is_named_field_by_field_and_nothing_is_created(signed_in, db, dialogs):
    response = await new_event(signed_in, title_de="", start="31.02.2027 18:00", end="17:00", capacity="0",
                               max_party="viele", reminders="bald", area="mond", description_tr="Açıklama")
    assert response.status == 400
    text = await page_text(response)
    for expected in ("Es wurde nichts gespeichert", "Titel (Deutsch): Bitte ausfüllen.",
                     "Beginn: „31.02.2027 18:00“ ist kein gültiges Datum mit Uhrzeit.",
                     "Plätze: eine ganze Zahl von 1 bis 10.000, oder leer für unbegrenzt.",
                     "Personen pro Anmeldung: eine ganze Zahl von 1 bis 20.",
                     "Erinnerungen: „bald“ wird nicht verstanden.", "Gebiet: Bitte wählen Sie eines aus der Liste.",
                     "Türkçe: Eine Beschreibung braucht auch einen Titel."):
        assert expected in text, expected
    form = form_fields(await response.text())
    assert form["start"] == "31.02.2027 18:00" and form["max_party"] == "viele"      # what was typed is kept
    for capacity in ("-3", "zehn", "10001"):
        refused = await new_event(signed_in, capacity=capacity)
        assert refused.status == 400 and "Plätze: eine ganze Zahl von 1 bis 10.000" in await page_text(refused)
    for start, problem in (("gestern", "ist kein Datum mit Uhrzeit wie 14.02.2027 18:00"),
                           ("23.11.2026 18:00", "Diese Zeit liegt in der Vergangenheit"),
                           ("28.03.2027 02:30", "gibt es nicht: In dieser Nacht wird die Uhr vorgestellt")):
        refused = await new_event(signed_in, start=start, end="")
        assert refused.status == 400 and problem in await page_text(refused), start
    ends_before = await new_event(signed_in, end="17:00")
    assert "Ende: Das Ende muss nach dem Beginn liegen." in await page_text(ends_before)
    async with dialogs.uow(0) as store:
        assert list(await store.events.all()) == []


async def test_a_new_time_is_told_to_everyone_signed_up_in_their_language(signed_in, db, dialogs):
    event = await add_event(db, title="Kiezfest", title_en="Street party")
    await sign_up(db, dialogs, event.id, 3101, "Ann", 2, "en")
    await sign_up(db, dialogs, event.id, 3102, "Jörg", 1, "de")
    done = await edit(signed_in, event.id, start="04.12.2026 19:00", end="21:30", place="Panke-Park")
    assert done.status == 303, await page_text(done)
    page = await page_text(await signed_in.get(done.headers["Location"]))
    assert "Gespeichert. 2 Personen, die angemeldet sind oder warten, werden in ihrer Sprache benachrichtigt." in page
    [english] = await outbox(db, purpose="event-change", chat_id=3101)
    [german] = await outbox(db, purpose="event-change", chat_id=3102)
    assert "Street party" in reply_of(english).text and "Panke-Park" in reply_of(english).text
    assert "Kiezfest" in reply_of(german).text and "19:00" in reply_of(german).text
    moved = await get_event(db, event.id)
    assert moved.starts_at.isoformat() == "2026-12-04T18:00:00+00:00" and moved.sequence == 1
    [line] = await access_lines(db, "event-edit")
    assert "starts_at" in line.detail and "place" in line.detail and "2 told" in line.detail


async def test_more_places_move_the_waitlist_up_and_fewer_than_taken_are_refused(signed_in, db, dialogs):
    event = await add_event(db, capacity=2)
    await sign_up(db, dialogs, event.id, 3201, "Ann", 2)
    waiting = await sign_up(db, dialogs, event.id, 3202, "Bea", 1)
    assert waiting.outcome == "waitlisted"
    refused = await edit(signed_in, event.id, capacity="1")
    assert refused.status == 400 and "2 Plätze sind schon vergeben" in await page_text(refused)
    done = await edit(signed_in, event.id, capacity="3")
    assert done.status == 303
    [notice] = await outbox(db, purpose="event-promoted", chat_id=3202)
    assert "Good news" in reply_of(notice).text
    assert (await get_event(db, event.id)).seats_taken == 3


async def test_a_form_filled_before_someone_else_saved_is_refused_and_shows_the_current_state(signed_in, db):
    event = await add_event(db, title="Kiezfest")
    path = f"/console/events/{event.id}/edit"
    old_form = form_fields(await (await signed_in.get(path)).text())
    first = await signed_in.post(path, data={**old_form, "place": "Panke-Park"}, allow_redirects=False)
    assert first.status == 303
    second = await signed_in.post(path, data={**old_form, "title_de": "Sommerfest"}, allow_redirects=False)
    assert second.status == 409
    text = await page_text(second)
    assert "Nicht gespeichert: Jemand anderes hat diese Veranstaltung inzwischen geändert." in text
    assert form_fields(await second.text())["place"] == "Panke-Park"
    assert (await get_event(db, event.id)).texts["de"].title == "Kiezfest"


async def test_cancelling_asks_first_then_tells_everyone_signed_up(signed_in, db, dialogs):
    event = await add_event(db, title="Kiezfest", title_en="Street party")
    await sign_up(db, dialogs, event.id, 3301, "Ann", 1, "en")
    await sign_up(db, dialogs, event.id, 3302, "Jörg", 1, "de")
    confirm = await signed_in.get(f"/console/events/{event.id}/cancel")
    text = await page_text(confirm)
    assert "„Kiezfest“ wirklich absagen?" in text and "2 Personen, die angemeldet sind oder warten" in text
    assert (await get_event(db, event.id)).status == "open"                  # only asked so far
    token = await csrf_token(signed_in, f"/console/events/{event.id}/cancel")
    done = await signed_in.post(f"/console/events/{event.id}/cancel", data={"csrf": token}, allow_redirects=False)
    assert done.status == 303
    assert "Die Veranstaltung ist abgesagt." in await page_text(await signed_in.get(done.headers["Location"]))
    assert (await get_event(db, event.id)).status == "cancelled"
    [english] = await outbox(db, purpose="event-cancelled", chat_id=3301)
    assert "Street party" in reply_of(english).text and "cancelled" in reply_of(english).text
    assert len(await outbox(db, purpose="event-cancelled", chat_id=3302)) == 1
    assert await outbox(db, purpose="event-reminder") == []                  # reminders dropped
    [line] = await access_lines(db, "event-cancel")
    assert line.detail == f"console: event {event.id}; 2 told"
    refused = await signed_in.get(f"/console/events/{event.id}/edit")
    assert refused.status == 409


async def test_a_cancellation_kicks_the_delivery_engine_once_it_is_saved(dana, db, dialogs, clock):
    """In ``kiezbot run`` the console has the delivery engine's tick: the participants' notices go out at once."""
    kicks: list[str] = []
    client = await console_client(db, clock, kick=lambda: kicks.append("tick"))
    try:
        await sign_in(client, await ask_for_link(dana))
        event = await add_event(db, title="Kiezfest", title_en="Street party")
        await sign_up(db, dialogs, event.id, 3311, "Ann", 1, "en")
        token = await csrf_token(client, f"/console/events/{event.id}/cancel")
        assert kicks == []                                                    # asking first queues nothing
        done = await client.post(f"/console/events/{event.id}/cancel", data={"csrf": token}, allow_redirects=False)
        assert done.status == 303 and kicks == ["tick"]
        assert len(await outbox(db, purpose="event-cancelled", chat_id=3311)) == 1
    finally:
        await client.close()


async def test_the_sign_up_list_and_its_csv_are_guarded_and_logged(signed_in, db, dialogs):
    event = await add_event(db, capacity=3)
    await sign_up(db, dialogs, event.id, 3401, "Ann", 2)
    await sign_up(db, dialogs, event.id, 3402, '=HYPERLINK("http://evil.example","Klick")', 1)
    await sign_up(db, dialogs, event.id, 3403, "Cem", 2)                    # does not fit: waits
    page = await page_text(await signed_in.get(f"/console/events/{event.id}"))
    assert "Angemeldet 2" in page and "Warteliste 1" in page and "Ann" in page and "1 Cem 2" in page
    response = await signed_in.get(f"/console/events/{event.id}/signups.csv")
    assert response.status == 200 and "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO((await response.read()).decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Name", "Personen", "Angemeldet am", "Status", "Platz auf der Warteliste"]
    assert rows[1][:2] == ["Ann", "2"] and rows[2][0].startswith("'=HYPERLINK") and rows[3][3:] == ["wartend", "1"]
    assert "3401" not in (await response.read()).decode("utf-8-sig")       # no chat ids
    assert len(await access_lines(db, "signups")) == 3 and len(await access_lines(db, "export")) == 3


async def test_message_everyone_signed_up_goes_through_the_outbox_once(signed_in, db, dialogs):
    event = await add_event(db, title="Kiezfest", title_en="Street party")
    await sign_up(db, dialogs, event.id, 3501, "Ann", 1, "en")
    await sign_up(db, dialogs, event.id, 3502, "Jörg", 1, "de")
    page = await signed_in.get(f"/console/events/{event.id}")
    form = form_fields(await page.text())
    empty = await signed_in.post(f"/console/events/{event.id}/message", data={**form, "text": "  "})
    assert empty.status == 400 and "Nachricht: Bitte ausfüllen." in await page_text(empty)
    message = {**form, "text": "Bitte bringt <Becher> mit!"}
    done = await signed_in.post(f"/console/events/{event.id}/message", data=message, allow_redirects=False)
    again = await signed_in.post(f"/console/events/{event.id}/message", data=message, allow_redirects=False)
    assert done.status == again.status == 303
    assert "Gesendet. 2 Personen bekommen Ihre Nachricht im Bot." in await page_text(
        await signed_in.get(done.headers["Location"]))
    [english] = await outbox(db, purpose="event-message", chat_id=3501)      # the same form twice: once
    assert "A message from the team about “Street party”" in reply_of(english).text
    assert "Bitte bringt &lt;Becher&gt; mit!" in reply_of(english).text
    assert len(await outbox(db, purpose="event-message", chat_id=3502)) == 1
    lines = await access_lines(db, "event-message")
    assert [line.detail for line in lines] == [f"console: event {event.id}; 2 told"] * 2
    assert all("Becher" not in line.detail for line in lines)


async def test_a_calendar_upload_follows_the_rules_of_the_events_import(signed_in, db, dialogs):
    async def upload(data: bytes, **fields: str):  # noqa: ANN202
        form = FormData()
        form.add_field("csrf", await csrf_token(signed_in, "/console/events/import"))
        for name, value in {"area": "badstrasse", "capacity": "20", "max_party": "4", **fields}.items():
            form.add_field(name, value)
        form.add_field("file", data, filename="kalender.ics", content_type="text/calendar")
        return await signed_in.post("/console/events/import", data=form)

    calendar = (DATA / "team-calendar.ics").read_bytes()
    first = await page_text(await upload(calendar))
    assert "Importiert aus kalender.ics" in first and "Adventsbasteln im Kiez" in first
    assert "1 ganztägigen Eintrag übersprungen" in first and "1 wiederkehrenden Eintrag übersprungen" in first
    async with dialogs.uow(0) as store:
        events = list(await store.events.all())
    assert events and all(e.capacity == 20 and e.area_key == "badstrasse" for e in events)
    second = await page_text(await upload(calendar))
    assert "0 neu · 0 aktualisiert · 0 abgesagt" in second                   # the same file again: nothing
    async with dialogs.uow(0) as store:
        assert len(await store.events.all()) == len(events)
    bad = await upload(b"hello")
    assert bad.status == 400 and "Diese Datei lässt sich nicht importieren" in await page_text(bad)
    assert len(await access_lines(db, "event-import")) == 2


async def test_the_list_shows_upcoming_and_past_per_area(signed_in, db, clock):
    from datetime import timedelta
    await add_event(db, title="Vorbei", starts_at=clock() - timedelta(days=3))
    await add_event(db, title="Kiezfest", area_key="badstrasse")
    await add_event(db, title="Für alle", area_key=None)
    await add_event(db, title="Soldiner Treffen", area_key="soldiner")
    upcoming = await page_text(await signed_in.get("/console/events"))
    assert "Kiezfest" in upcoming and "Für alle" in upcoming and "Vorbei" not in upcoming
    mine = await page_text(await signed_in.get("/console/events?area=soldiner"))
    assert "Soldiner Treffen" in mine and "Kiezfest" not in mine
    past = await page_text(await signed_in.get("/console/events?when=past"))
    assert "Vorbei" in past and "Kiezfest" not in past
    english = await signed_in.get("/console/events")
    assert 'aria-current="page">Veranstaltungen</a>' in await english.text()


async def test_closing_registration_stops_new_sign_ups_and_keeps_the_old_ones(signed_in, db, dialogs):
    event = await add_event(db)
    await sign_up(db, dialogs, event.id, 3601, "Ann", 1)
    token = await csrf_token(signed_in, f"/console/events/{event.id}")
    path = f"/console/events/{event.id}/registration"
    closed = await signed_in.post(path, data={"csrf": token, "status": "closed"})
    assert "Die Anmeldung ist geschlossen." in await page_text(closed)
    late = await sign_up(db, dialogs, event.id, 3602, "Bea", 1)
    assert late.outcome == "refused" and late.reason == "closed"
    assert [s.display_name for s in await signups_of(dialogs, event.id)] == ["Ann"]
    reopened = await signed_in.post(path, data={"csrf": token, "status": "open"})
    assert "Die Anmeldung ist wieder offen." in await page_text(reopened)
    assert (await sign_up(db, dialogs, event.id, 3603, "Cem", 1)).outcome == "confirmed"
    assert [line.action for line in await access_lines(db, "event-close")] == ["event-close"]
    assert len(await access_lines(db, "event-reopen")) == 1


async def signups_of(dialogs, event_id: int):  # noqa: ANN001, ANN201
    async with dialogs.uow(0) as store:
        return list(await store.events.signups(event_id))

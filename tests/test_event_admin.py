"""Events as the team runs them in the staff chat: create, change, close, cancel, see who comes."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from dialogs.app import build_dialogs
from locales import load_catalogs
from storage.privacy import AccessLogRow
from storage.unit_of_work import SqlUnitOfWork
from tests.chat import ChatClient
from tests.event_helpers import add_event, add_resident, as_utc, get_event, outbox, parse_ics, reply_of, signups
from tests.staff_tools import add_staff, staff_in_group

BERLIN = ZoneInfo("Europe/Berlin")


async def sign_up(dialogs, db, chat_id: int, language: str, event_id: int, party: int = 1) -> ChatClient:
    await add_resident(db, chat_id, language)
    client = ChatClient(dialogs, chat_id=chat_id, language_code=language)
    await client.presses(f"ev:party:{event_id}:{party}")
    return client


async def test_new_event_step_by_step_with_a_second_language(dialogs, db):
    await add_staff(db, 42)
    dana = staff_in_group(dialogs, 42, "en")
    assert "title in Deutsch" in (await dana.says("/newevent")).text
    await dana.says("Hoffest im Brunnenviertel")
    languages = await dana.says("Mit Musik und Kuchen. Bitte Teller mitbringen.")
    assert "English" in languages.buttons
    assert "title in English" in (await dana.taps("English")).text
    await dana.says("Courtyard party")
    again = await dana.says("With music and cake. Please bring a plate.")
    assert "English" not in again.buttons                               # already given
    areas = await dana.taps("Continue")
    assert "QM Brunnenviertel-Brunnenstraße" in areas.buttons and "All areas" in areas.buttons
    await dana.taps("QM Brunnenviertel-Brunnenstraße")
    await dana.says("Hof, Swinemünder Straße 64")
    await dana.says("5.12.2026 15:00")
    await dana.says("18:00")
    await dana.says("30")
    await dana.taps("2")
    await dana.says("4.12.2026 12:00")
    preview = await dana.taps("2 days and 2 hours before")
    assert "Preview" in preview.text
    assert "Courtyard party" in preview.text and "Hof, Swinemünder Straße 64" in preview.text
    assert "Places: 30" in preview.text and "2 days before, 2 hours before" in preview.text
    published = await dana.taps("Publish")
    assert "Published as event" in published.text
    [event] = [e for e in [await get_event(db, int(published.text.split("event ")[1].split(".")[0]))]]
    assert event.area_key == "brunnenstrasse"
    assert event.starts_at == datetime(2026, 12, 5, 15, 0, tzinfo=BERLIN)
    assert event.ends_at == datetime(2026, 12, 5, 18, 0, tzinfo=BERLIN)
    assert event.registration_deadline == datetime(2026, 12, 4, 12, 0, tzinfo=BERLIN)
    assert (event.capacity, event.max_party, event.reminder_leads) == (30, 2, (2880, 120))
    assert event.texts["de"].title == "Hoffest im Brunnenviertel"
    assert event.texts["en"].description == "With music and cake. Please bring a plate."
    # Residents read it in their language, German as the fallback.
    english = ChatClient(dialogs, chat_id=3001, language_code="en")
    await add_resident(db, 3001, "en")
    assert "Courtyard party" in (await english.says("/events")).text
    german = ChatClient(dialogs, chat_id=3002, language_code="de")
    await add_resident(db, 3002, "de")
    assert "Hoffest im Brunnenviertel" in (await german.says("/events")).text


async def test_wrong_answers_get_a_friendly_hint_and_nothing_is_lost(dialogs, db):
    await add_staff(db, 42)
    dana = staff_in_group(dialogs, 42, "en")
    await dana.says("/newevent")
    await dana.says("Kiezputz")
    await dana.taps("Skip")
    await dana.taps("Continue")
    await dana.taps("All areas")
    await dana.says("Vor dem Büro")
    assert "could not read this date" in (await dana.says("next friday")).text
    assert "in the past" in (await dana.says("1.1.2020 10:00")).text
    await dana.says("5.12.2026 10:00")
    assert "must be after the start" in (await dana.says("9:00")).text
    await dana.says("12:00")
    assert "number of places" in (await dana.says("many")).text
    await dana.taps("No limit")
    assert "from 1 to 20" in (await dana.says("50")).text
    await dana.says("1")
    assert "before the start" in (await dana.says("6.12.2026 10:00")).text
    await dana.taps("Until the start")
    assert "could not read" in (await dana.says("soon")).text
    preview = await dana.says("1d")
    assert "Places: no limit" in preview.text and "1 day before" in preview.text
    assert "Kiezputz" in preview.text


async def test_a_field_can_be_changed_from_the_preview(dialogs, db):
    await add_staff(db, 42)
    dana = staff_in_group(dialogs, 42, "en")
    for step in ("/newevent", "Lesecafé"):
        await dana.says(step)
    await dana.taps("Skip")
    await dana.taps("Continue")
    await dana.taps("All areas")
    for step in ("Bibliothek", "5.12.2026 10:00", "12:00", "20", "1"):
        await dana.says(step)
    await dana.taps("Until the start")
    await dana.taps("No reminders")
    await dana.taps("✏️ Place")
    preview = await dana.says("Stadtteilbibliothek, Raum 2")
    assert "Preview" in preview.text and "Stadtteilbibliothek, Raum 2" in preview.text
    await dana.taps("Publish")
    [event] = await _all_events(db)
    assert event.place == "Stadtteilbibliothek, Raum 2" and event.reminder_leads == ()


async def _all_events(db):
    from storage.events import SqlEvents
    async with db.sessions() as session:
        return list(await SqlEvents(session).all())


async def test_the_draft_survives_a_restart(dialogs, db, clock):
    await add_staff(db, 42)
    dana = staff_in_group(dialogs, 42, "en")
    await dana.says("/newevent")
    await dana.says("Repair-Café")
    restarted = build_dialogs(SqlUnitOfWork(db.sessions, db.addresses), load_catalogs(), clock=clock)
    dana = staff_in_group(restarted, 42, "en")
    answer = await dana.says("Bring your broken toaster.")
    assert "another language" in answer.text


async def test_each_team_member_has_their_own_draft_and_buttons_check_the_step(dialogs, db):
    await add_staff(db, 42)
    await add_staff(db, 43, "Eli")
    dana, eli = staff_in_group(dialogs, 42, "en"), staff_in_group(dialogs, 43, "en")
    await dana.says("/newevent")
    assert (await eli.says("Eli chatting")).replies == []               # Eli is in no step
    stale = await eli.presses("evadm:publish")
    assert stale.toast and "no longer valid" in stale.toast
    assert await _all_events(db) == []


async def test_residents_cannot_create_events(english, dialogs):
    answer = await english.says("/newevent")
    assert "Only the neighbourhood team" in answer.text


async def test_changing_the_time_tells_everyone_in_their_language(dialogs, db):
    event = await add_event(db, capacity=1, max_party=1)
    await sign_up(dialogs, db, 3101, "en", event.id)
    await sign_up(dialogs, db, 3102, "de", event.id)                       # waiting
    old_reminders = await outbox(db, purpose="event-reminder")
    assert len(old_reminders) == 2
    await add_staff(db, 42)
    dana = staff_in_group(dialogs, 42, "en")
    menu = await dana.says(f"/editevent {event.id}")
    assert "1 of 1 places taken" in menu.text and "1 waiting" in menu.text
    await dana.taps("Time")
    confirm = await dana.says("10.12.2026 17:00-19:30")
    assert "2 people signed up or waiting will be told" in confirm.text
    done = await dana.taps("Change and tell them")
    assert "Changed. 2 people will be told." in done.text
    moved = await get_event(db, event.id)
    assert moved.starts_at == datetime(2026, 12, 10, 17, 0, tzinfo=BERLIN)
    assert moved.ends_at == datetime(2026, 12, 10, 19, 30, tzinfo=BERLIN)
    assert moved.sequence == 1
    [english_notice] = await outbox(db, purpose="event-change", chat_id=3101)
    [german_notice] = await outbox(db, purpose="event-change", chat_id=3102)
    assert "has been changed" in reply_of(english_notice).text
    assert "Thursday, December 10, 2026, 5:00 PM – 7:30 PM" in reply_of(english_notice).text.replace("\u202f", " ")
    assert "geändert" in reply_of(german_notice).text and "10. Dezember 2026" in reply_of(german_notice).text
    vevent = parse_ics(reply_of(english_notice).document.content)      # the calendar updates the same entry
    assert str(vevent["UID"]) == event.uid and int(vevent["SEQUENCE"]) == 1
    assert vevent.start == datetime(2026, 12, 10, 17, 0, tzinfo=BERLIN)
    assert reply_of(german_notice).document is None                     # waiting: nothing to put in a calendar
    # Reminders follow the new time; the old ones will not go out.
    assert {r.state for r in await outbox(db, purpose="event-reminder", state=None) if r.id in
            {o.id for o in old_reminders}} == {"cancelled"}
    new = await outbox(db, purpose="event-reminder")
    assert sorted(as_utc(r.due_at) for r in new) == [moved.starts_at - timedelta(days=2),
                                                      moved.starts_at - timedelta(hours=2)]


async def test_changing_the_place_keeps_the_time_and_tells_everyone(dialogs, db):
    event = await add_event(db)
    await sign_up(dialogs, db, 3201, "en", event.id)
    await add_staff(db, 42)
    dana = staff_in_group(dialogs, 42, "en")
    await dana.says(f"/editevent {event.id}")
    await dana.taps("Place")
    await dana.says("Turnhalle, Gotenburger Straße 8")
    await dana.taps("Change and tell them")
    moved = await get_event(db, event.id)
    assert moved.place == "Turnhalle, Gotenburger Straße 8" and moved.starts_at == event.starts_at
    [notice] = await outbox(db, purpose="event-change", chat_id=3201)
    assert "Turnhalle, Gotenburger Straße 8" in reply_of(notice).text
    reminders = await outbox(db, purpose="event-reminder")
    assert len(reminders) == 2 and all("Turnhalle" in reply_of(r).text for r in reminders)


async def test_a_change_can_be_called_off(dialogs, db):
    event = await add_event(db)
    await add_staff(db, 42)
    dana = staff_in_group(dialogs, 42, "en")
    await dana.says(f"/editevent {event.id}")
    await dana.taps("Time")
    await dana.says("10.12.2026 17:00")
    answer = await dana.taps("Cancel")
    assert "Nothing was changed" in answer.text
    assert (await get_event(db, event.id)).starts_at == event.starts_at


async def test_cancelling_an_event_tells_everyone_and_drops_reminders(dialogs, db):
    event = await add_event(db, capacity=1, max_party=1)
    english = await sign_up(dialogs, db, 3301, "en", event.id)
    await sign_up(dialogs, db, 3302, "de", event.id)
    await add_staff(db, 42)
    dana = staff_in_group(dialogs, 42, "en")
    question = await dana.says(f"/cancelevent {event.id}")
    assert "Really cancel this event? 2 people" in question.text
    done = await dana.taps("Yes, cancel the event")
    assert "is cancelled" in done.text
    assert (await get_event(db, event.id)).status == "cancelled"
    assert await outbox(db, purpose="event-reminder") == []
    [en] = await outbox(db, purpose="event-cancelled", chat_id=3301)
    [de] = await outbox(db, purpose="event-cancelled", chat_id=3302)
    assert "has been cancelled" in reply_of(en).text
    assert "abgesagt" in reply_of(de).text
    assert "Kiezfest" not in (await english.says("/events")).text
    refused = await english.presses(f"ev:party:{event.id}:1")
    assert "has been cancelled" in refused.text
    assert "already cancelled" in (await dana.says(f"/cancelevent {event.id}")).text


async def test_closing_and_reopening_registration(dialogs, db, english):
    event = await add_event(db)
    await add_staff(db, 42)
    dana = staff_in_group(dialogs, 42, "en")
    assert "Registration closed" in (await dana.says(f"/closeevent {event.id}")).text
    refused = await english.presses(f"ev:party:{event.id}:1")
    assert "registration for “Kiezfest” is closed" in refused.text
    assert "open again" in (await dana.says(f"/reopenevent {event.id}")).text
    assert "You are signed up" in (await english.presses(f"ev:party:{event.id}:1")).text


async def test_more_places_promote_the_waitlist_and_fewer_than_taken_are_refused(dialogs, db):
    event = await add_event(db, capacity=1, max_party=2)
    await sign_up(dialogs, db, 3401, "en", event.id, party=1)
    await sign_up(dialogs, db, 3402, "en", event.id, party=2)
    await add_staff(db, 42)
    dana = staff_in_group(dialogs, 42, "en")
    await dana.says(f"/editevent {event.id}")
    await dana.taps("Places")
    await dana.says("0")
    refused = await dana.says("3")                                       # a typo of 0 was refused; 3 now
    assert "1 sign-up moved up from the waitlist" in refused.text
    assert [s.status for s in await signups(db, event.id)] == ["confirmed", "confirmed"]
    assert len(await outbox(db, purpose="event-promoted", chat_id=3402)) == 1
    await dana.says(f"/editevent {event.id}")
    await dana.taps("Places")
    too_few = await dana.says("2")
    assert "3 places are already taken" in too_few.text
    assert (await get_event(db, event.id)).capacity == 3


async def test_reminder_times_can_be_changed_per_event(dialogs, db):
    event = await add_event(db)
    await sign_up(dialogs, db, 3501, "en", event.id)
    await add_staff(db, 42)
    dana = staff_in_group(dialogs, 42, "en")
    await dana.says(f"/editevent {event.id}")
    await dana.taps("Reminders")
    done = await dana.says("1d")
    assert "1 day before" in done.text
    [reminder] = await outbox(db, purpose="event-reminder")
    assert as_utc(reminder.due_at) == event.starts_at - timedelta(days=1)
    await dana.says(f"/editevent {event.id}")
    await dana.taps("Reminders")
    await dana.taps("No reminders")
    assert await outbox(db, purpose="event-reminder") == []


async def test_signups_are_listed_in_the_staff_chat(dialogs, db):
    event = await add_event(db, capacity=2, max_party=2)
    for chat_id, party in ((3601, 2), (3602, 1)):
        await sign_up(dialogs, db, chat_id, "en", event.id, party)
    await add_staff(db, 42)
    answer = await staff_in_group(dialogs, 42, "en").says(f"/signups {event.id}")
    signed, waiting = answer.text.split("Waitlist")
    assert "Alex — 2 people" in signed
    assert "1. Alex — 1 person" in waiting
    assert "3601" not in answer.text                                      # no Telegram ids
    async with db.sessions() as session:
        rows = (await session.execute(select(AccessLogRow))).scalars().all()
    assert sorted((r.action, r.detail) for r in rows) == [("signups", f"event {event.id}")] * 2
    assert len({r.subject for r in rows}) == 2                            # one line per resident, pseudonymised


async def test_event_commands_explain_a_missing_or_wrong_number(dialogs, db):
    await add_staff(db, 42)
    dana = staff_in_group(dialogs, 42, "en")
    assert "Please add the event number" in (await dana.says("/editevent")).text
    assert "There is no event 999" in (await dana.says("/signups 999")).text
    assert "No upcoming events" in (await dana.says("/eventlist")).text
    await add_event(db)
    assert "Kiezfest" in (await dana.says("/eventlist")).text


async def test_staff_commands_work_in_a_team_members_private_chat(dialogs, db):
    await add_staff(db, 44)
    event = await add_event(db)
    private = ChatClient(dialogs, chat_id=44, language_code="en")
    answer = await private.says(f"/signups {event.id}")
    assert "nobody yet" in answer.text



async def test_cancelling_withdraws_a_promotion_notice_not_yet_sent(dialogs, db):
    event = await add_event(db, capacity=1, max_party=1)
    first = await sign_up(dialogs, db, 3701, "en", event.id)
    await sign_up(dialogs, db, 3702, "en", event.id)
    [mine] = [s for s in await signups(db, event.id) if s.chat_id == 3701]
    await first.presses(f"ev:dropok:{mine.id}")
    assert len(await outbox(db, purpose="event-promoted", chat_id=3702)) == 1
    await add_staff(db, 42)
    dana = staff_in_group(dialogs, 42, "en")
    await dana.says(f"/cancelevent {event.id}")
    await dana.taps("Yes, cancel the event")
    assert await outbox(db, purpose="event-promoted") == []               # "you got a place" will not go out
    assert len(await outbox(db, purpose="event-cancelled", chat_id=3702)) == 1

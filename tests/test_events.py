"""Events as residents use them: browse, sign up, calendar file, waitlist, cancel, reminders."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from dialogs.core.text import plain
from tests.chat import ChatClient
from tests.event_helpers import (BERLIN_DEC_3_18H, add_event, add_resident, as_utc, get_event, outbox, parse_ics,
                                 reply_of, set_area, signups)

BERLIN = ZoneInfo("Europe/Berlin")


async def test_events_of_my_area_first_and_all_areas_one_tap_away(english, db):
    await set_area(db, english.sender.chat_id, "badstrasse")
    await add_event(db, title="Hoffest Badstraße", area_key="badstrasse")
    await add_event(db, title="Laternenumzug", area_key=None)                 # for all areas
    await add_event(db, title="Kiezputz Pankstraße", area_key="pankstrasse")
    listing = await english.taps("📅 Events")
    assert "Upcoming events in QM Badstraße" in listing.text
    assert "Hoffest Badstraße" in listing.text and "Laternenumzug" in listing.text
    assert "Kiezputz Pankstraße" not in listing.text
    everything = await english.taps("All areas")
    assert "Kiezputz Pankstraße" in everything.text
    assert "Only my area" in " ".join(everything.buttons)
    await english.taps("Kiezputz Pankstraße")
    back = await english.taps("All events")                    # back to the list they came from
    assert "Kiezputz Pankstraße" in back.text and "Upcoming events in all our areas" in back.text


async def test_list_shows_date_time_place_and_free_places(english, db):
    await add_event(db, title="Nachbarschaftscafé", title_en="Neighbourhood café", capacity=12)
    listing = await english.says("/events")
    assert "Neighbourhood café" in listing.text                          # the English title when there is one
    assert "Thursday, December 3, 2026, 6:00 PM – 8:00 PM" in listing.text
    assert "Badstraße 10" in listing.text
    assert "12 places free" in listing.text


async def test_a_page_holds_five_events(english, db):
    for day in range(7):
        await add_event(db, title=f"Treffen {day + 1}", starts_at=BERLIN_DEC_3_18H + timedelta(days=day))
    first = await english.says("/events")
    assert "Treffen 5" in first.text and "Treffen 6" not in first.text
    assert "Page 1 of 2" in first.text
    second = await english.taps("Later")
    assert "Treffen 6" in second.text and "Treffen 7" in second.text and "Treffen 1" not in second.text
    assert second.replies[0].edit                                        # the list changes in place


async def test_no_events_is_said_plainly(english):
    listing = await english.says("/events")
    assert "no upcoming events" in listing.text


async def test_sign_up_gives_a_calendar_file_that_parses_back(english, db):
    event = await add_event(db, title="Kiezfest", title_en="Street party", max_party=4)
    await english.says("/events")
    card = await english.taps("Street party")
    assert "Food, music, games" in card.text
    question = await english.taps("Sign up")
    assert "How many people" in question.text
    assert question.buttons[:4] == ["1", "2", "3", "4"]
    done = await english.taps("2")
    assert "You are signed up for “Street party”, for 2 people." in done.text
    [document] = [r.document for r in done.replies if r.document]
    assert document.filename == f"kiezfest-{event.id}.ics"
    vevent = parse_ics(document.content)
    assert str(vevent["UID"]) == event.uid
    assert str(vevent["SUMMARY"]) == "Street party"
    assert str(vevent["LOCATION"]) == "Badstraße 10"
    assert "Food, music, games" in str(vevent["DESCRIPTION"])
    assert vevent["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert vevent.start == datetime(2026, 12, 3, 18, 0, tzinfo=BERLIN)
    assert vevent.end == datetime(2026, 12, 3, 20, 0, tzinfo=BERLIN)
    assert (await get_event(db, event.id)).seats_taken == 2


async def test_sign_up_in_german(german, db):
    await add_event(db, title="Kiezfest", place="Nachbarschaftsladen, Badstraße 10", max_party=3)
    listing = await german.says("/events")
    assert "Donnerstag, 3. Dezember 2026" in listing.text
    assert "10 Plätze frei" in listing.text
    await german.taps("Kiezfest")
    await german.taps("Anmelden")
    done = await german.taps("1")
    assert "Sie sind für „Kiezfest“ angemeldet" in done.text
    vevent = parse_ics(next(r.document for r in done.replies if r.document).content)
    assert str(vevent["SUMMARY"]) == "Kiezfest"
    mine = await german.says("/mysignups")
    assert "Kiezfest" in mine.text and "Erinnerungen" in mine.text


async def test_party_size_can_be_typed(english, db):
    event = await add_event(db, max_party=4)
    await english.presses(f"ev:join:{event.id}")
    assert "at most 4 people" in (await english.says("7")).text          # too many: said, and asked again
    assert "went wrong" not in (await english.says("²")).text             # a digit int() cannot read
    done = await english.says("3")
    assert "for 3 people" in done.text


async def test_reminders_are_queued_two_days_and_two_hours_before(english, db):
    event = await add_event(db, max_party=1)
    await english.presses(f"ev:join:{event.id}")
    rows = await outbox(db, purpose="event-reminder")
    assert sorted(as_utc(r.due_at) for r in rows) == [event.starts_at - timedelta(days=2),
                                                       event.starts_at - timedelta(hours=2)]
    assert all(r.chat_id == english.sender.chat_id for r in rows)
    assert all(r.dedupe_key.startswith(f"event:{event.id}:remind:") for r in rows)
    assert "Reminder" in reply_of(rows[0]).text


async def test_full_event_waitlist_position_and_automatic_promotion(dialogs, db):
    event = await add_event(db, capacity=2, max_party=2)
    first, second, third = (ChatClient(dialogs, chat_id=c, language_code=lang) for c, lang in
                            ((2001, "en"), (2002, "de"), (2003, "en")))
    await add_resident(db, 2001, "en")
    await add_resident(db, 2002, "de")
    await add_resident(db, 2003, "en")
    await first.presses(f"ev:party:{event.id}:2")
    card = await second.presses(f"ev:show:{event.id}")
    assert "Warteliste" in card.text                                      # full: the card says so
    waiting = await second.presses(f"ev:party:{event.id}:1")
    assert "Position 1" in waiting.text
    third_waiting = await third.presses(f"ev:party:{event.id}:1")
    assert "position 2" in third_waiting.text

    mine = await first.says("/mysignups")
    confirm = await first.taps("Cancel")
    assert "Do you really want to cancel" in confirm.text
    done = await first.taps("Yes, cancel it")
    assert "your place went to someone on the waitlist" in done.text
    assert mine is not None

    # Both waiting parties of one fit into the two freed seats: promoted in arrival order, told in their language.
    rows = await outbox(db, purpose="event-promoted")
    assert [r.chat_id for r in rows] == [2002, 2003]
    german_notice = reply_of(rows[0])
    assert "Platz frei geworden" in german_notice.text
    assert any("zurückgeben" in b.label for row in german_notice.buttons for b in row)
    assert german_notice.document is not None                           # the calendar file comes with it
    english_notice = reply_of(rows[1])
    assert "a place has become free" in english_notice.text
    statuses = {s.chat_id: s.status for s in await signups(db, event.id)}
    assert statuses == {2001: "cancelled", 2002: "confirmed", 2003: "confirmed"}
    assert (await get_event(db, event.id)).seats_taken == 2


async def test_promotion_notice_lets_the_place_be_given_back(dialogs, db):
    event = await add_event(db, capacity=1, max_party=1)
    holder, waiting, later = (ChatClient(dialogs, chat_id=c, language_code="en") for c in (2101, 2102, 2103))
    for client in (holder, waiting, later):
        await add_resident(db, client.sender.chat_id, "en")
        await client.presses(f"ev:join:{event.id}")
    [holder_signup] = [s for s in await signups(db, event.id) if s.chat_id == 2101]
    await holder.presses(f"ev:dropok:{holder_signup.id}")
    [notice] = await outbox(db, purpose="event-promoted", chat_id=2102)
    give_back = next(b.data for row in reply_of(notice).buttons for b in row if "Give the place back" in b.label)
    confirm = await waiting.presses(give_back)
    assert "Do you really want to cancel" in confirm.text
    await waiting.taps("Yes, cancel it")
    assert [r.chat_id for r in await outbox(db, purpose="event-promoted")] == [2102, 2103]
    statuses = {s.chat_id: s.status for s in await signups(db, event.id)}
    assert statuses == {2101: "cancelled", 2102: "cancelled", 2103: "confirmed"}
    # The one who gave the place back gets no reminders for it.
    assert await outbox(db, purpose="event-reminder", chat_id=2102) == []
    assert len(await outbox(db, purpose="event-reminder", chat_id=2103)) == 2


async def test_promotion_skips_a_party_too_large_for_the_freed_seats(dialogs, db):
    event = await add_event(db, capacity=3, max_party=3)
    clients = {}
    for chat_id in (2201, 2202, 2203, 2204):
        await add_resident(db, chat_id, "en")
        clients[chat_id] = ChatClient(dialogs, chat_id=chat_id, language_code="en")
    await clients[2201].presses(f"ev:party:{event.id}:2")
    await clients[2202].presses(f"ev:party:{event.id}:1")                 # now full (3 of 3)
    await clients[2203].presses(f"ev:party:{event.id}:3")                 # waitlist 1: three people
    await clients[2204].presses(f"ev:party:{event.id}:1")                 # waitlist 2: one person
    [s2202] = [s for s in await signups(db, event.id) if s.chat_id == 2202]
    await clients[2202].presses(f"ev:dropok:{s2202.id}")                  # one seat frees up
    statuses = {s.chat_id: (s.status, s.position) for s in await signups(db, event.id)}
    assert statuses[2203] == ("waitlisted", 1)                            # still first in line for a larger gap
    assert statuses[2204] == ("confirmed", None)
    assert (await get_event(db, event.id)).seats_taken == 3


async def test_a_group_too_large_for_the_last_places_waits(english, db):
    event = await add_event(db, capacity=2, max_party=4)
    answer = await english.presses(f"ev:party:{event.id}:3")
    assert "Only 2 places are free" in answer.text and "position 1" in answer.text
    assert (await get_event(db, event.id)).seats_taken == 0


async def test_signing_up_twice_shows_the_existing_sign_up(english, db):
    event = await add_event(db, max_party=2)
    await english.presses(f"ev:party:{event.id}:2")
    again = await english.presses(f"ev:party:{event.id}:1")
    assert "already signed up" in again.text
    assert (await get_event(db, event.id)).seats_taken == 2


async def test_after_the_registration_deadline_sign_up_is_refused_kindly(english, db, clock):
    event = await add_event(db, deadline=clock.now + timedelta(hours=1))
    card = await english.presses(f"ev:show:{event.id}")
    assert "Sign up by" in card.text
    clock.advance(hours=2)
    card = await english.presses(f"ev:show:{event.id}")
    assert "Registration closed" in card.text and "Sign up" not in " ".join(card.buttons)
    refused = await english.presses(f"ev:join:{event.id}")                # an old button still on screen
    assert "registration for “Kiezfest” ended on" in refused.text
    forged = await english.presses(f"ev:party:{event.id}:1")
    assert "ended on" in forged.text
    assert (await get_event(db, event.id)).seats_taken == 0


async def test_a_past_event_cannot_be_signed_up_for(english, db, clock):
    event = await add_event(db, starts_at=clock.now + timedelta(minutes=30), hours=1)
    clock.advance(hours=1)
    refused = await english.presses(f"ev:party:{event.id}:1")
    assert "already started or taken place" in refused.text
    clock.advance(hours=1)
    assert "Kiezfest" not in (await english.says("/events")).text          # over: off the list


async def test_forged_buttons_change_nothing(english, dialogs, db):
    event = await add_event(db, max_party=2)
    other = ChatClient(dialogs, chat_id=2301, language_code="en")
    await add_resident(db, 2301, "en")
    await other.presses(f"ev:party:{event.id}:1")
    [theirs] = await signups(db, event.id)
    answer = await english.presses(f"ev:dropok:{theirs.id}")              # somebody else's sign-up
    assert answer.toast and "no longer active" in answer.toast
    too_many = await english.presses(f"ev:party:{event.id}:9")
    assert "at most 2 people" in too_many.text
    nonsense = await english.presses("ev:party:abc:def")
    assert nonsense.toast and "no longer valid" in nonsense.toast
    missing = await english.presses("ev:show:999999")
    assert missing.toast and "no longer on the list" in missing.toast
    assert [s.status for s in await signups(db, event.id)] == ["confirmed"]


async def test_mysignups_cancel_and_the_seat_is_free_again(english, db):
    event = await add_event(db, capacity=5)
    await english.presses(f"ev:party:{event.id}:2")
    mine = await english.says("/mysignups")
    assert "Kiezfest" in mine.text and "You are signed up (2 people)." in mine.text
    await english.taps("Cancel")
    done = await english.taps("Yes, cancel it")
    assert "is cancelled" in done.text
    assert (await get_event(db, event.id)).seats_taken == 0
    reminders = await outbox(db, purpose="event-reminder", state=None)
    assert reminders and all(r.state == "cancelled" for r in reminders)
    assert "not signed up for any upcoming event" in (await english.says("/mysignups")).text


async def test_reminders_can_be_turned_off_and_on(english, db):
    event = await add_event(db)
    await english.presses(f"ev:party:{event.id}:1")
    assert len(await outbox(db, purpose="event-reminder")) == 2
    await english.says("/mysignups")
    off = await english.taps("Turn reminders off")
    assert "reminders are off" in off.text
    assert await outbox(db, purpose="event-reminder") == []
    other = await add_event(db, title="Flohmarkt", starts_at=BERLIN_DEC_3_18H + timedelta(days=1))
    signed = await english.presses(f"ev:party:{other.id}:1")
    assert "I will remind you" not in signed.text
    assert await outbox(db, purpose="event-reminder") == []
    await english.says("/mysignups")
    await english.taps("Turn reminders on")
    assert len(await outbox(db, purpose="event-reminder")) == 4           # both events, both times again


async def test_calendar_file_again_from_the_event_card(english, db):
    event = await add_event(db, title_en="Street party")
    await english.presses(f"ev:party:{event.id}:1")
    await english.presses(f"ev:show:{event.id}")
    again = await english.taps("Calendar file")
    vevent = parse_ics(again.replies[0].document.content)
    assert str(vevent["UID"]) == event.uid



def test_calendar_files_of_one_event_differ_only_in_when_they_were_made():
    from dataclasses import replace
    from datetime import timezone
    from dialogs.events.rules import Event, EventText, calendar_file

    event = Event(id=7, uid="ev-7@kiezbot", area_key=None, place="Hof", status="open", sequence=0,
                  starts_at=datetime(2026, 12, 3, 17, 0, tzinfo=timezone.utc), ends_at=None, capacity=None,
                  max_party=2, seats_taken=0, registration_deadline=None, reminder_leads=(),
                  texts={"de": EventText("Hoffest", "Mit Musik"), "en": EventText("Yard party", "")})
    monday = datetime(2026, 11, 30, 9, 15, 1, tzinfo=timezone.utc)
    first = calendar_file(event, "en", monday)
    later = calendar_file(event, "en", monday + timedelta(hours=30))
    assert parse_ics(first)["DTSTAMP"].dt == monday                        # each copy says when it was made
    assert parse_ics(later)["DTSTAMP"].dt == monday + timedelta(hours=30)
    assert first.replace(b"20261130T091501Z", b"20261201T151501Z") == later  # and nothing else differs
    assert str(parse_ics(calendar_file(event, "de", monday))["SUMMARY"]) == "Hoffest"
    moved = replace(event, starts_at=event.starts_at + timedelta(days=1), sequence=1, place="Saal")
    again = parse_ics(calendar_file(moved, "en", monday))                  # a new version of the event
    assert again["SEQUENCE"] == 1 and str(again["LOCATION"]) == "Saal"
    assert again.start == datetime(2026, 12, 4, 18, 0, tzinfo=BERLIN)
    cancelled = parse_ics(calendar_file(replace(event, status="cancelled"), "en", monday))
    assert str(cancelled["STATUS"]) == "CANCELLED"


async def test_people_typed_text_is_escaped(english, db):
    await add_event(db, title="<b>Fest</b> & Spiele", place="Hof <script>")
    listing = await english.says("/events")
    assert "&lt;b&gt;Fest&lt;/b&gt; &amp; Spiele" in listing.html
    assert "<script>" not in listing.html
    assert "<b>Fest</b> & Spiele" in plain(listing.html)


async def test_the_menu_offers_events(english):
    menu = await english.says("/menu")
    assert "📅 Events" in menu.buttons



async def test_the_party_size_question_survives_a_restart(english, db, clock):
    from dialogs.app import build_dialogs
    from locales import load_catalogs
    from storage.unit_of_work import SqlUnitOfWork

    event = await add_event(db, max_party=4)
    await english.presses(f"ev:join:{event.id}")
    english.dialogs = build_dialogs(SqlUnitOfWork(db.sessions, db.addresses), load_catalogs(), clock=clock)
    done = await english.says("2")
    assert "for 2 people" in done.text


async def test_no_reminder_is_promised_when_both_times_have_passed(english, db, clock):
    event = await add_event(db, starts_at=clock.now + timedelta(hours=1), max_party=1)
    done = await english.presses(f"ev:join:{event.id}")
    assert "You are signed up" in done.text and "I will remind you" not in done.text
    assert await outbox(db, purpose="event-reminder") == []

"""Residents and council/jury sessions: browsing, subscribing, and unsubscribing from a reminder itself."""
from __future__ import annotations

from sqlalchemy import select

from storage.meetings import MeetingSubscriptionRow
from storage.models import ResidentRow
from tests.chat import ChatClient
from tests.meeting_tools import berlin, button_data, outbox, plan, utc


async def plan_pankstrasse(dialogs):
    council = await plan(dialogs, body="council", start=berlin(2027, 2, 14, 18), end=berlin(2027, 2, 14, 20),
                         agenda={"de": "Begrüßung; Projektfonds 2027", "en": "Welcome; project fund 2027"})
    jury = await plan(dialogs, body="jury", start=berlin(2027, 3, 14, 18), place="Nachbarschaftsladen",
                      deadline=berlin(2027, 3, 7, 23, 59), agenda={"de": "Anträge für den Sommer"})
    return council, jury


async def subscriptions(db, chat_id: int) -> set[tuple[str, str]]:
    async with db.sessions() as session:
        rows = await session.execute(select(MeetingSubscriptionRow.body, MeetingSubscriptionRow.area_key)
                                     .where(MeetingSubscriptionRow.chat_id == chat_id))
    return set(rows.all())


async def test_menu_leads_to_the_sessions_of_an_area_in_english(dialogs, english):
    await plan_pankstrasse(dialogs)
    await plan(dialogs, area="badstrasse", start=berlin(2027, 1, 20, 18), place="Elsewhere")
    menu = await english.says("/menu")
    assert "🏛 Council & jury" in menu.buttons
    chooser = await english.taps("Council & jury")
    assert "QM Pankstraße" in chooser.buttons and "All areas" in chooser.buttons
    view = await english.taps("QM Pankstraße")
    text = view.text
    assert "co-decides which projects in the neighbourhood get money" in text
    assert "up to €1,500" in text
    assert "Sunday, February 14, 2027, 6:00 PM to 8:00 PM" in text
    assert "Welcome; project fund 2027" in text                   # the English agenda
    assert "Sunday, March 14, 2027 at 6:00 PM" in text
    assert "Applications to the Aktionsfonds by: Sunday, March 7, 2027" in text
    assert "Anträge für den Sommer (in German)" in text          # no English agenda: German, marked
    assert "Elsewhere" not in text                               # another area's session
    assert text.index("February 14") < text.index("March 14")
    assert "🔔 Remind me: Quartiersrat" in view.buttons and "🔔 Remind me: Aktionsfondsjury" in view.buttons


async def test_german_resident_reads_german_dates_and_agenda(dialogs, german):
    await plan_pankstrasse(dialogs)
    await german.says("/meetings")
    view = await german.taps("QM Pankstraße")
    assert "Sonntag, 14. Februar 2027, 18:00 bis 20:00 Uhr" in view.text
    assert "Begrüßung; Projektfonds 2027" in view.text and "Welcome" not in view.text
    assert "Der Quartiersrat" in view.text and "1.500 €" in view.text
    assert "🔔 Erinnern: Quartiersrat" in view.buttons


async def test_meetings_opens_the_residents_own_area_and_all_areas_are_one_tap_away(dialogs, english, db):
    await plan_pankstrasse(dialogs)
    await plan(dialogs, area="soldiner", start=berlin(2027, 1, 20, 18), place="Soldiner Kiezladen")
    async with db.sessions() as session, session.begin():
        (await session.get(ResidentRow, english.sender.chat_id)).area_key = "soldiner"
    own = await english.says("/meetings")
    assert "Council and jury: QM Soldiner Straße/Wollankstraße" in own.text and "Soldiner Kiezladen" in own.text
    await english.taps("Other areas")
    every = await english.taps("All areas")
    assert "Soldiner Kiezladen" in every.text and "Nachbarschaftsladen" in every.text
    assert every.text.index("January 20") < every.text.index("February 14")


async def test_past_and_cancelled_sessions_are_not_shown(dialogs, english, clock):
    from dialogs.meetings.resident_flow import cancel_session
    _, jury = await plan_pankstrasse(dialogs)
    async with dialogs.uow(0) as store:
        await cancel_session(dialogs, store, jury.id, dialogs.clock())
    clock.now = utc(2027, 2, 15, 12)
    await english.says("/meetings")
    view = await english.taps("QM Pankstraße")
    assert "No sessions are planned at the moment." in view.text
    assert "February 14" not in view.text and "March 14" not in view.text


async def test_subscribing_plans_reminders_in_the_residents_language_and_tapping_again_stops_them(
        dialogs, german, db):
    _, jury = await plan_pankstrasse(dialogs)
    await german.says("/meetings")
    await german.taps("QM Pankstraße")
    answer = await german.taps("Erinnern: Aktionsfondsjury")
    assert answer.toast and "Aktionsfondsjury" in answer.toast
    assert answer.replies[0].edit                                  # the view is redrawn in place
    assert "🔕 Nicht mehr erinnern: Aktionsfondsjury" in answer.buttons
    assert await subscriptions(db, german.sender.chat_id) == {("jury", "pankstrasse")}
    rows = await outbox(db, state="pending")
    chat = german.sender.chat_id
    by_key = {r.key.rsplit(":", 1)[0]: r for r in rows}
    assert set(by_key) == {f"meeting:{jury.id}:1d:{chat}", f"meeting:{jury.id}:2h:{chat}",
                           f"meeting:{jury.id}:dl3d:{chat}"}
    assert by_key[f"meeting:{jury.id}:1d:{chat}"].due_at == berlin(2027, 3, 13, 18)
    assert by_key[f"meeting:{jury.id}:2h:{chat}"].due_at == berlin(2027, 3, 14, 16)
    assert by_key[f"meeting:{jury.id}:dl3d:{chat}"].due_at == berlin(2027, 3, 4, 10)
    reminder = by_key[f"meeting:{jury.id}:1d:{chat}"]
    assert "Erinnerung" in reminder.text and "Sonntag, 14. März 2027 um 18:00 Uhr" in reminder.text
    assert "Nachbarschaftsladen" in reminder.text
    assert "bis Sonntag, 7. März 2027" in by_key[f"meeting:{jury.id}:dl3d:{chat}"].text
    assert all(r.chat_id == chat and r.purpose == "meeting-reminder" for r in rows)

    off = await german.taps("Nicht mehr erinnern: Aktionsfondsjury")
    assert "🔔 Erinnern: Aktionsfondsjury" in off.buttons
    assert await subscriptions(db, chat) == set()
    assert await outbox(db, state="pending") == []
    assert {r.state for r in await outbox(db)} == {"cancelled"}


async def test_tapping_subscribe_twice_plans_nothing_twice(dialogs, english, db):
    await plan_pankstrasse(dialogs)
    await english.says("/meetings")
    await english.taps("QM Pankstraße")
    await english.presses("meet:on:council:pankstrasse")
    await english.presses("meet:on:council:pankstrasse")          # a double tap / replayed press
    rows = await outbox(db, state="pending")
    assert sorted(r.key.split(":")[2] for r in rows) == ["1d", "2h"]


async def test_lead_times_already_past_are_not_planned(dialogs, english, db, clock):
    clock.now = berlin(2027, 2, 14, 13)                            # five hours before the session
    await plan_pankstrasse(dialogs)
    await english.presses("meet:on:council:pankstrasse")
    rows = await outbox(db, state="pending")
    assert [(r.key.split(":")[2], r.due_at) for r in rows] == [("2h", berlin(2027, 2, 14, 16))]


async def test_unsubscribe_from_the_reminder_itself_and_undo(dialogs, english, db):
    await plan_pankstrasse(dialogs)
    await english.presses("meet:on:council:pankstrasse")
    [first, second] = await outbox(db, state="pending")
    assert "🔔 Reminder" in first.text and "Welcome; project fund 2027" in first.text
    data = button_data(first, "Unsubscribe")
    assert len(data.encode()) <= 64

    done = await english.presses(data)
    assert "Done: no more reminders for Quartiersrat · QM Pankstraße" in done.text
    assert not done.replies[0].edit                               # the reminder stays readable
    assert await subscriptions(db, english.sender.chat_id) == set()
    assert await outbox(db, state="pending") == []

    again = await english.presses(data)                           # replayed: nothing to do, said kindly
    assert "nothing to do" in again.text

    back = await english.taps("Subscribe again")
    assert "you will get reminders again for Quartiersrat · QM Pankstraße" in back.text
    fresh = await outbox(db, state="pending")
    assert sorted(r.key.split(":")[2] for r in fresh) == ["1d", "2h"]
    assert {r.key for r in fresh}.isdisjoint({first.key, second.key})   # new rows, not revived ones


async def test_forged_unsubscribe_data_changes_nothing(dialogs, english, german, db):
    await plan_pankstrasse(dialogs)
    await german.presses("meet:on:jury:pankstrasse")
    await english.presses("meet:on:council:pankstrasse")
    before = await outbox(db, state="pending")
    for forged in ("meet:unsub:bogus:pankstrasse", "meet:unsub:jury:nowhere", "meet:unsub:jury",
                   "meet:unsub:jury:pankstrasse:extra", "meet:unsub::", "meet:on:jury:../../x"):
        answer = await english.presses(forged)
        assert answer.toast == "This button is no longer valid.", forged
    # Pressing the German resident's button data only ever touches the presser's own subscriptions.
    await english.presses("meet:unsub:jury:pankstrasse")
    assert await subscriptions(db, german.sender.chat_id) == {("jury", "pankstrasse")}
    assert await subscriptions(db, english.sender.chat_id) == {("council", "pankstrasse")}
    assert await outbox(db, state="pending") == before


async def test_only_residents_who_agreed_can_subscribe(dialogs, db):
    newcomer = ChatClient(dialogs, chat_id=4711, language_code="en")
    answer = await newcomer.presses("meet:on:council:pankstrasse")
    assert "Which language" in answer.text
    assert await subscriptions(db, 4711) == set()

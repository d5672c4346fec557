"""Staff plan, move and cancel sessions in the staff chat; subscribers' outbox rows follow."""
from __future__ import annotations

import asyncio

from dialogs.app import build_dialogs
from locales import load_catalogs
from storage.unit_of_work import SqlUnitOfWork
from tests.chat import ChatClient
from tests.meeting_tools import berlin, outbox, plan, utc
from tests.staff_tools import add_staff, staff_in_group

DANA = 42


async def subscribe(client: ChatClient, body: str = "council", area: str = "pankstrasse") -> None:
    answer = await client.presses(f"meet:on:{body}:{area}")
    assert answer.toast and "🔔" in answer.toast


def sub_id(key: str) -> str:
    return key.rsplit(".", 1)[1]


async def test_staff_plan_a_council_session_step_by_step_and_subscribers_get_reminders(
        dialogs, db, english, german):
    await add_staff(db, DANA, "Dana")
    await subscribe(english)
    await subscribe(german)
    dana = staff_in_group(dialogs, DANA)
    ask = await dana.says("/newmeeting")
    assert "Neue Sitzung" in ask.text and ask.buttons == ["🏛 Quartiersrat", "⚖️ Aktionsfondsjury"]
    await dana.taps("Quartiersrat")
    when = await dana.taps("QM Pankstraße")
    assert "14.02.2027 18:00" in when.text

    retry = await dana.says("nächsten Donnerstag")
    assert "„nächsten Donnerstag“ konnte ich nicht lesen" in retry.text and "14.02.2027 18:00" in retry.text
    retry = await dana.says("31.02.2027 18:00")
    assert "kein gültiges Datum" in retry.text
    retry = await dana.says("14.02.2025 18:00")
    assert "in der Vergangenheit" in retry.text
    end = await dana.says("14.02.2027 18:00")
    assert "Wann endet sie?" in end.text
    retry = await dana.says("17:00")
    assert "nicht nach ihrem Beginn" in retry.text
    place = await dana.says("20:00")
    assert "Wo findet sie statt?" in place.text
    agenda = await dana.says("Vor-Ort-Büro <Prinzenallee 30>")
    assert "Tagesordnung auf Deutsch" in agenda.text
    pdf = await dana.sends("document", file_id="doc1", file_name="TO.pdf")
    assert "Link" in pdf.text                                           # files are not kept: a link, please
    more = await dana.says("1. Begrüßung\n2. Projektfonds 2027")
    assert "English" in more.buttons and "Weiter" in more.buttons
    ask_en = await dana.taps("English")
    assert "Tagesordnung auf English" in ask_en.text
    more = await dana.says("1. Welcome\n2. Project fund 2027")
    assert "✓ English" in more.buttons
    preview = await dana.taps("Weiter")
    assert "Vorschau" in preview.text
    assert "Sonntag, 14. Februar 2027, 18:00 bis 20:00 Uhr" in preview.text
    assert "&lt;Prinzenallee 30&gt;" in preview.html                     # typed text is escaped
    assert "Tagesordnung auf: Deutsch, English" in preview.text
    assert "2 Personen bekommen Erinnerungen" in preview.text
    assert "1 Tag vorher, 2 Stunden vorher" in preview.text
    assert await outbox(db) == []                                      # nothing before "Save"

    saved = await dana.taps("Speichern")
    assert "Gespeichert als Sitzung #" in saved.text and "4 Erinnerungen sind geplant" in saved.text
    rows = await outbox(db, state="pending")
    meeting_id = int(saved.text.split("#", 1)[1].split(".", 1)[0])
    en, de = english.sender.chat_id, german.sender.chat_id
    assert sorted((r.key.rsplit(":", 1)[0], r.due_at) for r in rows) == sorted([
        (f"meeting:{meeting_id}:1d:{en}", berlin(2027, 2, 13, 18)),
        (f"meeting:{meeting_id}:2h:{en}", berlin(2027, 2, 14, 16)),
        (f"meeting:{meeting_id}:1d:{de}", berlin(2027, 2, 13, 18)),
        (f"meeting:{meeting_id}:2h:{de}", berlin(2027, 2, 14, 16))])
    assert all(r.key.split(":")[-1].startswith("0.") for r in rows)        # revision 0
    for row in rows:
        if row.chat_id == en:
            assert "Reminder" in row.text and "1. Welcome" in row.text
            assert "Sunday, February 14, 2027, 6:00 PM to 8:00 PM" in row.text
        else:
            assert "Erinnerung" in row.text and "1. Begrüßung" in row.text
    assert "&lt;Prinzenallee 30&gt;" in rows[0].html


async def test_jury_session_reminders_keep_berlin_wall_clock_across_the_spring_change(dialogs, db, english, clock):
    clock.now = utc(2027, 3, 1, 9)
    await add_staff(db, DANA, "Dana")
    await subscribe(english, body="jury")
    dana = staff_in_group(dialogs, DANA, language_code="en")
    await dana.says("/newmeeting")
    await dana.taps("Aktionsfondsjury")
    await dana.taps("QM Pankstraße")
    await dana.says("2027-03-28 18:00")                 # the clocks go forward in the night before
    await dana.taps("Skip")
    await dana.says("Nachbarschaftsladen, Stockholmer Str. 4")
    deadline = await dana.taps("Skip")
    assert "Until which day" in deadline.text
    late = await dana.says("30.03.2027")
    assert "after the session" in late.text
    bad = await dana.says("2027-02-30")
    assert "is not a valid date" in bad.text
    preview = await dana.says("25.03.2027")
    assert "Applications to the Aktionsfonds by: Thursday, March 25, 2027" in preview.text
    assert "3 days before the deadline" in preview.text
    await dana.taps("Save")
    rows = {r.key.split(":")[2]: r for r in await outbox(db, state="pending")}
    assert rows["1d"].due_at == utc(2027, 3, 27, 17)     # 18:00 CET, 23 hours before 18:00 CEST
    assert rows["2h"].due_at == utc(2027, 3, 28, 14)     # 16:00 CEST
    assert rows["dl3d"].due_at == utc(2027, 3, 22, 9)    # 10:00 CET, three days before the 25th
    assert "must reach the neighbourhood office by Thursday, March 25, 2027" in rows["dl3d"].text
    assert "up to €1,500" in rows["dl3d"].text


async def test_moving_a_session_cancels_old_reminders_tells_subscribers_and_plans_new_ones(
        dialogs, db, english, german):
    await add_staff(db, DANA, "Dana")
    council = await plan(dialogs, start=berlin(2027, 2, 14, 18), end=berlin(2027, 2, 14, 20),
                         agenda={"de": "Projektfonds"})
    await subscribe(english)
    await subscribe(german)
    old_rows = await outbox(db, state="pending")
    assert len(old_rows) == 4
    dana = staff_in_group(dialogs, DANA, language_code="en")
    listing = await dana.says("/movemeeting")
    assert any(label.startswith(f"#{council.id} ") for label in listing.buttons)
    ask = await dana.taps(f"#{council.id} ")
    assert "New date and time?" in ask.text
    same = await dana.says("14.02.2027 18:00")
    assert "That is its current date" in same.text
    confirm = await dana.says("21.02.2027 19:00")
    assert "From: Sunday, February 14, 2027, 6:00 PM to 8:00 PM" in confirm.text
    assert "To: Sunday, February 21, 2027, 7:00 PM to 9:00 PM" in confirm.text   # the length is kept
    assert "2 subscribers will be told in their language" in confirm.text
    done = await dana.taps("Move it")
    assert f"Session #{council.id} is moved. 2 subscribers are told. 4 reminders are planned." in done.text

    rows = await outbox(db)
    assert {r.state for r in rows if r.key in {o.key for o in old_rows}} == {"cancelled"}
    notices = {r.chat_id: r for r in rows if r.purpose == "meeting-notice"}
    assert set(notices) == {english.sender.chat_id, german.sender.chat_id}
    assert notices[english.sender.chat_id].key == f"meeting:{council.id}:moved1:{english.sender.chat_id}"
    en = notices[english.sender.chat_id].text
    assert "New date" in en and "Instead of Sunday, February 14, 2027, 6:00 PM to 8:00 PM" in en
    assert "Sunday, February 21, 2027, 7:00 PM to 9:00 PM" in en
    de = notices[german.sender.chat_id].text
    assert "Neuer Termin" in de and "nicht am Sonntag, 14. Februar 2027, 18:00 bis 20:00 Uhr statt" in de
    assert "Sonntag, 21. Februar 2027, 19:00 bis 21:00 Uhr" in de
    fresh = [r for r in rows if r.state == "pending" and r.purpose == "meeting-reminder"]
    assert sorted((r.key.split(":")[2], r.due_at) for r in fresh) == [
        ("1d", berlin(2027, 2, 20, 19)), ("1d", berlin(2027, 2, 20, 19)),
        ("2h", berlin(2027, 2, 21, 17)), ("2h", berlin(2027, 2, 21, 17))]
    assert all(r.key.split(":")[-1].startswith("1.") for r in fresh)        # revision 1

    # The button of the finished confirmation does nothing a second time.
    again = await dana.presses(f"meetstaff:domove:{council.id}")
    assert again.toast == "This button is no longer valid."


async def test_moving_a_jury_session_can_keep_its_deadline(dialogs, db, english, clock):
    await add_staff(db, DANA, "Dana")
    jury = await plan(dialogs, body="jury", start=berlin(2027, 3, 14, 18), deadline=berlin(2027, 3, 7, 23, 59))
    await subscribe(english, body="jury")
    dana = staff_in_group(dialogs, DANA, language_code="en")
    await dana.says(f"/movemeeting {jury.id}")
    keep = await dana.says("21.03.2027 18:00")
    assert "Keep 3/7/27" in keep.buttons
    confirm = await dana.taps("Keep")
    assert "Deadline for applications: Sunday, March 7, 2027" in confirm.text
    await dana.taps("Move it")
    fresh = {r.key.split(":")[2]: r for r in await outbox(db, state="pending") if r.purpose == "meeting-reminder"}
    assert fresh["dl3d"].due_at == berlin(2027, 3, 4, 10)
    assert fresh["1d"].due_at == berlin(2027, 3, 20, 18)


async def test_cancelling_asks_first_then_tells_subscribers_and_stops_reminders(dialogs, db, english, german,
                                                                                 clock):
    await add_staff(db, DANA, "Dana")
    council = await plan(dialogs, start=berlin(2027, 2, 14, 18))
    await subscribe(english)
    await subscribe(german)
    dana = staff_in_group(dialogs, DANA)
    ask = await dana.says(f"/cancelmeeting {council.id}")
    assert f"Sitzung #{council.id} absagen?" in ask.text and "2 Personen werden in ihrer Sprache informiert" in ask.text
    kept = await dana.taps("Nein, beibehalten")
    assert "Es wurde nichts geändert" in kept.text
    assert len(await outbox(db, state="pending")) == 4

    await dana.says(f"/cancelmeeting #{council.id}")
    done = await dana.taps("Ja, Sitzung absagen")
    assert f"Sitzung #{council.id} ist abgesagt. 2 Personen werden informiert." in done.text
    rows = await outbox(db)
    assert {r.state for r in rows if r.purpose == "meeting-reminder"} == {"cancelled"}
    notices = {r.chat_id: r.text for r in rows if r.purpose == "meeting-notice" and r.state == "pending"}
    assert {r.due_at for r in rows if r.purpose == "meeting-notice"} == {clock.now}     # right away
    assert "Cancelled" in notices[english.sender.chat_id] and "will not take place" in notices[english.sender.chat_id]
    assert "Abgesagt" in notices[german.sender.chat_id]
    await english.says("/meetings")
    view = await english.taps("QM Pankstraße")
    assert "No sessions are planned at the moment." in view.text

    again = await dana.says(f"/cancelmeeting {council.id}")
    assert "ist schon abgesagt" in again.text


async def test_two_team_members_confirm_the_same_cancellation_at_once(dialogs, db, english):
    await add_staff(db, DANA, "Dana")
    await add_staff(db, 44, "Fritz")
    council = await plan(dialogs, start=berlin(2027, 2, 14, 18))
    await subscribe(english)
    dana, fritz = staff_in_group(dialogs, DANA, "en"), staff_in_group(dialogs, 44, "en")
    await dana.says(f"/cancelmeeting {council.id}")
    await fritz.says(f"/cancelmeeting {council.id}")
    a, b = await asyncio.gather(dana.taps("Yes, cancel"), fritz.taps("Yes, cancel"))
    texts = sorted([a.text, b.text])
    assert sum("is cancelled. 1 subscriber is told." in t for t in texts) == 1
    assert sum("already cancelled" in t for t in texts) == 1
    notices = [r for r in await outbox(db) if r.purpose == "meeting-notice"]
    assert len(notices) == 1


async def test_team_buttons_check_the_session_in_the_pressers_own_draft(dialogs, db, english):
    await add_staff(db, DANA, "Dana")
    first = await plan(dialogs, start=berlin(2027, 2, 14, 18))
    second = await plan(dialogs, start=berlin(2027, 2, 21, 18))
    await subscribe(english)
    dana = staff_in_group(dialogs, DANA, "en")
    await dana.says(f"/cancelmeeting {first.id}")
    forged = await dana.presses(f"meetstaff:docancel:{second.id}")     # not the session being confirmed
    assert forged.toast == "This button is no longer valid."
    refused = await english.presses(f"meetstaff:docancel:{first.id}")  # a resident, from a private chat
    assert refused.toast and "Only the neighbourhood team" in refused.toast
    newcomer = await english.says("/newmeeting")
    assert "Only the neighbourhood team" in newcomer.text
    assert all(r.state == "pending" for r in await outbox(db))
    outsider = staff_in_group(dialogs, 99, "en")                          # in the group, but not staff
    answer = await outsider.says("/cancelmeeting 1")
    assert "Only the neighbourhood team" in answer.text


async def test_the_draft_survives_a_restart_in_the_middle(dialogs, db, clock):
    await add_staff(db, DANA, "Dana")
    dana = staff_in_group(dialogs, DANA, "en")
    await dana.says("/newmeeting")
    await dana.taps("Quartiersrat")
    await dana.taps("QM Badstraße")
    await dana.says("10.01.2027 17:30")
    await dana.taps("Skip")
    restarted = build_dialogs(SqlUnitOfWork(db.sessions, db.addresses), load_catalogs(), clock=clock)
    dana_again = staff_in_group(restarted, DANA, "en")
    agenda = await dana_again.says("Vor-Ort-Büro, Bellermannstraße 81")
    assert "The agenda in German" in agenda.text
    preview = await dana_again.taps("Skip")
    assert "Sunday, January 10, 2027 at 5:30 PM" in preview.text and "Bellermannstraße 81" in preview.text
    saved = await dana_again.taps("Save")
    assert "Saved as session #" in saved.text


async def test_typing_where_a_button_is_expected_keeps_the_draft(dialogs, db):
    await add_staff(db, DANA, "Dana")
    dana = staff_in_group(dialogs, DANA, "en")
    await dana.says("/newmeeting")
    hint = await dana.says("council please")
    assert "Please use the buttons above" in hint.text
    photo = await dana.sends("photo", file_id="x")
    assert "Please type it as text" in photo.text
    area = await dana.presses("meetstaff:body:council")
    assert "Which area?" in area.text


async def test_residents_subscribing_while_staff_save_each_get_their_reminders_once(dialogs, db):
    await add_staff(db, DANA, "Dana")
    residents = [ChatClient(dialogs, chat_id=5000 + i, language_code="en" if i % 2 else "de") for i in range(12)]
    for i, r in enumerate(residents):
        await r.onboard("en" if i % 2 else "de")
    dana = staff_in_group(dialogs, DANA, "en")
    await dana.says("/newmeeting")
    await dana.taps("Quartiersrat")
    await dana.taps("QM Pankstraße")
    await dana.says("14.02.2027 18:00")
    await dana.taps("Skip")
    await dana.says("Vor-Ort-Büro")
    await dana.taps("Skip")
    early, late = residents[:6], residents[6:]
    for r in early:
        await subscribe(r)
    await asyncio.gather(dana.taps("Save"), *(subscribe(r) for r in late))
    rows = await outbox(db, state="pending")
    per_chat: dict[int, list[str]] = {}
    for row in rows:
        per_chat.setdefault(row.chat_id, []).append(row.key.split(":")[2])
    assert {chat: sorted(leads) for chat, leads in per_chat.items()} == \
        {r.sender.chat_id: ["1d", "2h"] for r in residents}

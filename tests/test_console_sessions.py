"""Sessions in the console: the team plans, moves and cancels Quartiersrat and Aktionsfondsjury sessions, sets
jury deadlines and uploads calendar files; subscribed residents get the notices and reminders the staff
chat would give them; residents are counted, never named; wrong input and forged forms change nothing."""
from __future__ import annotations

import re

from aiohttp import FormData
from sqlalchemy import func, select

from storage.meetings import MeetingRow
from storage.privacy import AccessLogRow
from tests.chat import ChatClient
from tests.console_tools import dana, desk, form_fields, page_text, signed_in  # noqa: F401
from tests.meeting_tools import berlin, outbox, plan

NEW = "/console/sessions/new"
GOOD = {"body": "council", "area": "pankstrasse", "start": "14.02.2027 18:00", "end": "20:00",
        "place": "Vor-Ort-Büro, Prinzenallee 30", "agenda_de": "Projektfonds 2027"}


async def subscribe(client: ChatClient, body: str = "council", area: str = "pankstrasse") -> None:
    answer = await client.presses(f"meet:on:{body}:{area}")
    assert answer.toast and "🔔" in answer.toast


async def meetings(db) -> int:  # noqa: ANN001
    async with db.sessions() as session:
        return await session.scalar(select(func.count()).select_from(MeetingRow))


async def audit_lines(db) -> list[AccessLogRow]:  # noqa: ANN001
    async with db.sessions() as session:
        return list((await session.execute(select(AccessLogRow).where(AccessLogRow.action.like("session-%"))
                                            .order_by(AccessLogRow.id))).scalars())


async def new_session(client, fields: dict[str, str]):  # noqa: ANN001, ANN201
    form = form_fields(await (await client.get(NEW)).text())
    return await client.post(NEW, data={**form, **fields}, allow_redirects=False)


async def change(client, meeting_id: int, changes: dict[str, str], *,  # noqa: ANN001, ANN201
                 form: dict[str, str] | None = None):
    path = f"/console/sessions/{meeting_id}"
    if form is None:
        form = form_fields(await (await client.get(path)).text())
    return await client.post(path, data={**form, **changes}, allow_redirects=False)


async def test_a_session_planned_in_the_console_plans_the_subscribers_reminders(signed_in, db, english):
    await subscribe(english)
    done = await new_session(signed_in, GOOD)
    assert done.status == 303, await page_text(done)
    meeting_id = int(done.headers["Location"].split("/")[-1].split("?")[0])
    page = await page_text(await signed_in.get(done.headers["Location"]))
    assert "Gespeichert." in page and "Sonntag, 14. Februar 2027, 18:00–20:00" in page
    assert "1 Person bekommt Erinnerungen für dieses Gremium und Gebiet" in page
    rows = await outbox(db, state="pending")
    assert sorted((r.key.split(":")[2], r.due_at) for r in rows) == [
        ("1d", berlin(2027, 2, 13, 18)), ("2h", berlin(2027, 2, 14, 16))]
    assert {r.chat_id for r in rows} == {english.sender.chat_id}
    assert "Projektfonds 2027" in rows[0].text
    [line] = await audit_lines(db)
    assert line.action == "session-new" and line.actor == "staff:7 Dana" and f"#{meeting_id}" in line.detail
    listing = await page_text(await signed_in.get("/console/sessions"))
    assert "QM Pankstraße" in listing and "Vor-Ort-Büro, Prinzenallee 30" in listing


async def test_moving_in_the_console_tells_subscribers_exactly_what_the_chat_tells_them(
        signed_in, dana, db, dialogs, english, german):
    by_chat = await plan(dialogs, start=berlin(2027, 2, 14, 18), end=berlin(2027, 2, 14, 20))
    by_console = await plan(dialogs, start=berlin(2027, 2, 14, 18), end=berlin(2027, 2, 14, 20))
    await subscribe(english)
    await subscribe(german)
    await dana.says(f"/movemeeting {by_chat.id}")
    await dana.says("21.02.2027 19:00")
    await dana.presses(f"meetstaff:domove:{by_chat.id}")

    done = await change(signed_in, by_console.id, {"start": "21.02.2027 19:00", "end": "21:00"})
    assert done.status == 303, await page_text(done)
    page = await page_text(await signed_in.get(done.headers["Location"]))
    assert "Verschoben." in page and "Über den neuen Termin informiert: 2." in page

    rows = await outbox(db)
    notices = {(r.key.split(":")[1], r.chat_id): r for r in rows if r.purpose == "meeting-notice"}
    for resident in (english, german):
        chat_notice = notices[(str(by_chat.id), resident.sender.chat_id)]
        console_notice = notices[(str(by_console.id), resident.sender.chat_id)]
        assert console_notice.html == chat_notice.html and console_notice.buttons == chat_notice.buttons
        assert console_notice.key == f"meeting:{by_console.id}:moved1:{resident.sender.chat_id}"
    assert "Instead of Sunday, February 14, 2027, 6:00 PM to 8:00 PM" in notices[
        (str(by_console.id), english.sender.chat_id)].text

    def reminders(meeting_id: int) -> list:
        return sorted((r.chat_id, r.key.split(":")[2], r.due_at, r.html) for r in rows if r.state == "pending"
                      and r.purpose == "meeting-reminder" and r.key.split(":")[1] == str(meeting_id))
    assert reminders(by_console.id) == reminders(by_chat.id) and len(reminders(by_chat.id)) == 4
    assert {r.state for r in rows if r.purpose == "meeting-reminder" and r.key.split(":")[-1].startswith("0.")
            } == {"cancelled"}                                           # the reminders of the old date
    assert [line.action for line in await audit_lines(db)] == ["session-move"]


async def test_cancelling_asks_first_then_tells_subscribers(signed_in, db, dialogs, english):
    council = await plan(dialogs, start=berlin(2027, 2, 14, 18))
    await subscribe(english)
    ask = await signed_in.get(f"/console/sessions/{council.id}/cancel")
    text = await page_text(ask)
    assert f"Sitzung #{council.id} absagen?" in text and "1 Person wird in ihrer Sprache informiert." in text
    assert all(r.state == "pending" for r in await outbox(db))          # asking changes nothing
    form = form_fields(await ask.text())
    done = await signed_in.post(f"/console/sessions/{council.id}/cancel", data=form, allow_redirects=False)
    assert done.status == 303
    assert "Abgesagt." in await page_text(await signed_in.get(done.headers["Location"]))
    rows = await outbox(db)
    assert {r.state for r in rows if r.purpose == "meeting-reminder"} == {"cancelled"}
    [notice] = [r for r in rows if r.purpose == "meeting-notice"]
    assert "Cancelled" in notice.text and "will not take place" in notice.text
    again = await signed_in.post(f"/console/sessions/{council.id}/cancel", data=form, allow_redirects=False)
    assert again.status == 409 and len([r for r in await outbox(db) if r.purpose == "meeting-notice"]) == 1
    assert [line.action for line in await audit_lines(db)] == ["session-cancel"]


async def test_a_jury_deadline_is_set_changed_and_removed_with_the_reminders(signed_in, db, dialogs, english):
    jury = await plan(dialogs, body="jury", start=berlin(2027, 3, 14, 18),
                      deadline=berlin(2027, 3, 7, 23, 59))
    await subscribe(english, body="jury")

    def deadline_reminders(rows) -> list:  # noqa: ANN001
        return [r.due_at for r in rows if r.state == "pending" and r.key.split(":")[2].startswith("dl")]
    assert deadline_reminders(await outbox(db)) == [berlin(2027, 3, 4, 10)]
    late = await change(signed_in, jury.id, {"deadline": "20.03.2027"})
    assert late.status == 400 and "nach der Sitzung" in await page_text(late)
    done = await change(signed_in, jury.id, {"deadline": "10.03.2027"})
    assert done.status == 303, await page_text(done)
    rows = await outbox(db)
    assert deadline_reminders(rows) == [berlin(2027, 3, 7, 10)]
    assert not [r for r in rows if r.purpose == "meeting-notice"]    # a deadline reaches them by reminders
    assert "Mittwoch, 10. März 2027" in await page_text(await signed_in.get(f"/console/sessions/{jury.id}"))
    removed = await change(signed_in, jury.id, {"deadline": ""})
    assert removed.status == 303
    assert deadline_reminders(await outbox(db)) == []
    assert [line.action for line in await audit_lines(db)] == ["session-change", "session-change"]


async def test_a_form_filled_before_someone_else_saved_is_refused_and_shows_the_current_state(
        signed_in, dialogs, db):
    council = await plan(dialogs, start=berlin(2027, 2, 14, 18))
    old_form = form_fields(await (await signed_in.get(f"/console/sessions/{council.id}")).text())
    assert (await change(signed_in, council.id, {"start": "21.02.2027 19:00"})).status == 303
    late = await change(signed_in, council.id, {"place": "Stadtteilzentrum"}, form=old_form)
    assert late.status == 409
    text = await page_text(late)
    assert "jemand anderes hat diese Sitzung inzwischen geändert" in text
    assert form_fields(await late.text())["start"] == "21.02.2027 19:00"
    async with db.sessions() as session:
        assert (await session.get(MeetingRow, council.id)).place == "Vor-Ort-Büro, Prinzenallee 30"


async def test_wrong_input_gets_the_chats_words_and_nothing_is_saved(signed_in, db):
    for start, expected in (("31.02.2027 18:00", "ist kein gültiges Datum"),
                            ("28.03.2027 02:30", "gibt es nicht: In dieser Nacht wird die Uhr vorgestellt"),
                            ("01.01.2026 10:00", "liegt in der Vergangenheit"),
                            ("morgen abend", "konnte ich nicht lesen")):
        response = await new_session(signed_in, {**GOOD, "start": start})
        assert response.status == 400
        text = await page_text(response)
        assert "Es wurde nichts gespeichert" in text and expected in text, (start, text)
        assert form_fields(await response.text())["start"] == start          # what was typed is kept
    response = await new_session(signed_in, {**GOOD, "body": "", "end": "17:00", "deadline": "07.02.2027"})
    text = await page_text(response)
    assert "Bitte wählen Sie den Quartiersrat oder die Aktionsfondsjury" in text
    assert "nicht nach ihrem Beginn" in text
    assert await meetings(db) == 0 and await outbox(db) == [] and await audit_lines(db) == []


async def test_the_page_counts_subscribers_and_never_names_them(signed_in, dialogs, db):
    for chat_id, name, body in ((5101, "Ayşe Demir", "council"), (5102, "Jonas Weber", "council"),
                                (5103, "Olena Koval", "jury")):
        resident = ChatClient(dialogs, chat_id=chat_id, language_code="de", name=name)
        await resident.onboard("de")
        await subscribe(resident, body=body)
    await plan(dialogs, start=berlin(2027, 2, 14, 18))
    html = await (await signed_in.get("/console/sessions")).text()
    text = await page_text_of(html)
    assert "Abonnierte Bewohner*innen" in text
    for name in ("Ayşe", "Demir", "Jonas", "Weber", "Olena", "Koval", "5101", "5102", "5103"):
        assert name not in html
    counts = html.split('class="log counts"', 1)[1]
    row = re.search(r'<th scope="row">QM Pankstraße</th>(.*?)</tr>', counts).group(1)
    assert re.findall(r">(\d+)<", row) == ["2", "1"]                  # council, jury
    detail = await page_text(await signed_in.get(f"/console/sessions/{(await first_id(db))}"))
    assert "2 Personen bekommen Erinnerungen" in detail and "Jonas" not in detail


async def page_text_of(html: str) -> str:
    class Response:
        async def text(self) -> str:
            return html
    return await page_text(Response())


async def first_id(db) -> int:  # noqa: ANN001
    async with db.sessions() as session:
        return await session.scalar(select(func.min(MeetingRow.id)))


ICS = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//QM//Kalender//DE\r
BEGIN:VEVENT\r
UID:qr-2027-02@qm-pankstrasse.de\r
SUMMARY:Quartiersrat Pankstraße\r
DTSTART;TZID=Europe/Berlin:20270214T180000\r
DTEND;TZID=Europe/Berlin:20270214T200000\r
LOCATION:Vor-Ort-Büro, Prinzenallee 30\r
DESCRIPTION:Projektfonds 2027\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:jury-2027-03@qm-pankstrasse.de\r
SUMMARY:Aktionsfondsjury Pankstraße\r
DTSTART;TZID=Europe/Berlin:20270314T180000\r
LOCATION:Vor-Ort-Büro\r
DESCRIPTION:Frist: 07.03.2027\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:team@qm-pankstrasse.de\r
SUMMARY:Teamfrühstück\r
DTSTART;TZID=Europe/Berlin:20270110T090000\r
LOCATION:Büro\r
END:VEVENT\r
END:VCALENDAR\r
"""


async def upload(client, content: str, *, csrf: bool = True, **fields: str):  # noqa: ANN001, ANN201
    html = await (await client.get("/console/sessions")).text()
    data = FormData()
    if csrf:
        data.add_field("csrf", form_fields(html)["csrf"])
    for name, value in fields.items():
        data.add_field(name, value)
    data.add_field("calendar", content.encode(), filename="sitzungen.ics", content_type="text/calendar")
    return await client.post("/console/sessions/import", data=data, allow_redirects=False)


async def test_a_calendar_file_creates_sessions_and_the_same_file_again_changes_nothing(
        signed_in, db, english):
    await subscribe(english)
    first = await upload(signed_in, ICS)
    assert first.status == 200
    text = await page_text(first)
    assert "2 Sitzungen angelegt" in text and "0 aktualisiert" in text and "1 übersprungen" in text
    assert "Teamfrühstück" in text and "not recognisable as a Quartiersrat or jury session" in text
    assert await meetings(db) == 2
    async with db.sessions() as session:
        jury = await session.scalar(select(MeetingRow).where(MeetingRow.body == "jury"))
    assert "Sonntag, 7. März 2027" in await page_text(await signed_in.get(f"/console/sessions/{jury.id}"))
    assert len(await outbox(db, state="pending")) == 2                  # English resident: council reminders
    again = await page_text(await upload(signed_in, ICS))
    assert "0 Sitzungen angelegt" in again and "2 unverändert" in again and await meetings(db) == 2
    moved = await page_text(await upload(signed_in, ICS.replace("20270214T180000", "20270221T180000")
                                         .replace("20270214T200000", "20270221T200000")))
    assert "1 aktualisiert" in moved and "verschoben: 1" in moved
    [notice] = [r for r in await outbox(db) if r.purpose == "meeting-notice"]
    assert notice.chat_id == english.sender.chat_id and "New date" in notice.text
    assert [line.action for line in await audit_lines(db)] == ["session-import"] * 3


async def test_a_broken_calendar_file_is_refused_kindly_and_saves_nothing(signed_in, db):
    broken = await upload(signed_in, "Hallo, hier ist unser Kalender")
    assert broken.status == 400
    text = await page_text(broken)
    assert "Die Datei konnte nicht importiert werden. Es wurde nichts gespeichert" in text
    assert "BEGIN:VCALENDAR" in text
    # The first entry is fine, the second has no place: the import refuses the file as a whole.
    refused = await upload(signed_in, ICS.replace("LOCATION:Vor-Ort-Büro\r\n", ""))
    assert refused.status == 400 and "has no LOCATION" in await page_text(refused)
    assert await meetings(db) == 0 and await outbox(db) == [] and await audit_lines(db) == []


async def test_forms_without_the_token_are_refused(signed_in, db, dialogs):
    council = await plan(dialogs, start=berlin(2027, 2, 14, 18))
    form = form_fields(await (await signed_in.get(NEW)).text())
    del form["csrf"]
    for path, data in ((NEW, {**form, **GOOD}), (f"/console/sessions/{council.id}/cancel", {"revision": "0"}),
                       (f"/console/sessions/{council.id}", {"revision": "0", "start": "21.02.2027 19:00",
                                                            "place": "Anderswo"})):
        refused = await signed_in.post(path, data=data, allow_redirects=False)
        assert refused.status == 403 and "Dieses Formular ist abgelaufen" in await page_text(refused)
    refused = await upload(signed_in, ICS, csrf=False)
    assert refused.status == 403
    assert await meetings(db) == 1 and await audit_lines(db) == []
    async with db.sessions() as session:
        row = await session.get(MeetingRow, council.id)
        assert row.status == "scheduled" and row.revision == 0


async def test_a_new_place_alone_is_announced_as_a_new_place(signed_in, db, dialogs, english):
    council = await plan(dialogs, start=berlin(2027, 2, 14, 18))
    await subscribe(english)
    done = await change(signed_in, council.id, {"place": "Stadtteilzentrum, Pankstraße 47"})
    assert done.status == 303
    page = await page_text(await signed_in.get(done.headers["Location"]))
    assert "Über die Änderung informiert: 1." in page
    [notice] = [r for r in await outbox(db) if r.purpose == "meeting-notice"]
    assert "New place" in notice.text and "Stadtteilzentrum, Pankstraße 47" in notice.text
    same = await change(signed_in, council.id, {})
    assert "es wurde nichts geändert" in await page_text(await signed_in.get(same.headers["Location"]))


async def test_an_english_speaking_team_member_gets_the_pages_and_errors_in_english(dialogs, db, clock):
    from tests.console_tools import ask_for_link, console_client, sign_in, team_member
    kim = await team_member(dialogs, db, 8, "Kim", language="en")
    client = await console_client(db, clock)
    try:
        await sign_in(client, await ask_for_link(kim))
        listing = await page_text(await client.get("/console/sessions"))
        assert "Plan a session" in listing and "Subscribed residents" in listing
        wrong = await new_session(client, {**GOOD, "start": "01.01.2026 10:00", "end": "9:00"})
        text = await page_text(wrong)
        assert "Nothing was saved" in text
        assert "01.01.2026 10:00 is in the past. Please type a date in the future." in text
    finally:
        await client.close()

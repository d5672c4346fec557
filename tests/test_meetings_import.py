"""`kiezbot meetings import FILE.ics`: council and jury sessions from the team's calendar.

Same rules as the events import: by UID, idempotent, a changed time is a move that subscribers hear
about, STATUS:CANCELLED cancels, past/all-day/recurring entries are skipped, a bad file is one line and
exit code 2. Body, area and the jury deadline come from the command line or the file (see the README).
"""
from __future__ import annotations

import asyncio
import io
import os
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.cli.meetings import UsageError, import_calendar
from storage.ical import parse_calendar
from tests.chat import ChatClient
from tests.meeting_tools import BERLIN, berlin, outbox, plan

ROOT = Path(__file__).resolve().parent.parent
EN, DE = 4001, 4002


def vevent(uid: str, summary: str, start: str, *, end: str | None = None, place: str | None = "Vor-Ort-Büro\\, "
           "Prinzenallee 30", extra: str = "") -> str:
    lines = ["BEGIN:VEVENT", f"UID:{uid}", f"SUMMARY:{summary}", f"DTSTART;TZID=Europe/Berlin:{start}"]
    if end:
        lines.append(f"DTEND;TZID=Europe/Berlin:{end}")
    if place is not None:
        lines.append(f"LOCATION:{place}")
    lines += [line for line in extra.split("\n") if line] + ["END:VEVENT"]
    return "\r\n".join(lines)


def calendar(*events: str, method: str = "") -> bytes:
    head = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//QM Pankstraße//Outlook//DE"] + ([f"METHOD:{method}"]
                                                                                      if method else [])
    return ("\r\n".join(head + list(events) + ["END:VCALENDAR"]) + "\r\n").encode()


COUNCIL = vevent("qr-2027-01@qm-pankstrasse.de", "Quartiersrat Pankstraße", "20270112T180000", end="20270112T200000",
                 extra="DESCRIPTION:1. Begrüßung\\n2. Projektfonds 2027\nURL:https://qm-pankstrasse.de/to-januar.pdf")
JURY = vevent("jury-2027-02@qm-pankstrasse.de", "Aktionsfondsjury Pankstraße", "20270204T180000",
              place="Nachbarschaftsladen\\, Pankstraße 12",
              extra="DESCRIPTION:Anträge bitte rechtzeitig.\\nFrist: 28.01.2027")
BAD_JURY = vevent("jury-bad@qm-badstrasse.de", "Sitzung", "20270208T170000", place="Stadtteilladen",
                  extra="X-KIEZBOT-BODY:jury\nX-KIEZBOT-AREA:QM Badstraße\nX-KIEZBOT-DEADLINE;VALUE=DATE:20270201")
KIEZFEST = vevent("kiezfest@qm-pankstrasse.de", "Kiezfest", "20270601T140000", place="Nettelbeckplatz")
PAST = vevent("qr-2026-10@qm-pankstrasse.de", "Quartiersrat Pankstraße", "20261013T180000")
WEEKLY = vevent("qr-weekly@qm-pankstrasse.de", "Quartiersrat Sprechstunde", "20270105T100000",
                extra="RRULE:FREQ=WEEKLY;COUNT=4")
HOLIDAY = ("BEGIN:VEVENT\r\nUID:ferien@qm\r\nSUMMARY:Quartiersrat Sommerpause\r\nDTSTART;VALUE=DATE:20270715\r\n"
           "END:VEVENT")
TEAM_FILE = calendar(COUNCIL, JURY, BAD_JURY, KIEZFEST, PAST, WEEKLY, HOLIDAY)


async def run(dialogs, data: bytes, **options) -> str:
    out = io.StringIO()
    options.setdefault("area", None)
    options.setdefault("body", None)
    code = await import_calendar(dialogs, parse_calendar(data), source="team.ics", out=out, **options)
    assert code == 0
    return out.getvalue()


async def sessions(dialogs) -> dict:
    async with dialogs.uow(0) as store:
        found = {}
        for uid in ("qr-2027-01@qm-pankstrasse.de", "jury-2027-02@qm-pankstrasse.de", "jury-bad@qm-badstrasse.de",
                    "kiezfest@qm-pankstrasse.de", "qr-2026-10@qm-pankstrasse.de", "qr-weekly@qm-pankstrasse.de"):
            meeting = await store.meetings.by_uid(uid)
            if meeting is not None:
                found[uid] = meeting
        return found


@pytest.fixture
async def subscribed(dialogs):
    """An English and a German resident who want reminders for the Quartiersrat and the jury of Pankstraße."""
    for chat_id, language in ((EN, "en"), (DE, "de")):
        client = ChatClient(dialogs, chat_id=chat_id, language_code=language)
        await client.onboard(language)
        for body in ("council", "jury"):
            await client.presses(f"meet:on:{body}:pankstrasse")


# --- what a first import does ------------------------------------------------------------------------
async def test_the_team_calendar_becomes_sessions_with_reminders_for_subscribers(dialogs, db, subscribed):
    report = await run(dialogs, TEAM_FILE)
    found = await sessions(dialogs)
    assert set(found) == {"qr-2027-01@qm-pankstrasse.de", "jury-2027-02@qm-pankstrasse.de", "jury-bad@qm-badstrasse.de"}
    council = found["qr-2027-01@qm-pankstrasse.de"]
    assert (council.body, council.area_key, council.place) == ("council", "pankstrasse", "Vor-Ort-Büro, Prinzenallee 30")
    assert (council.starts_at, council.ends_at) == (berlin(2027, 1, 12, 18), berlin(2027, 1, 12, 20))
    assert council.agenda == {"de": "1. Begrüßung\n2. Projektfonds 2027"}
    assert council.agenda_url == "https://qm-pankstrasse.de/to-januar.pdf" and council.deadline is None
    jury = found["jury-2027-02@qm-pankstrasse.de"]
    assert (jury.body, jury.area_key) == ("jury", "pankstrasse")
    assert jury.deadline == datetime(2027, 1, 28, 23, 59, 59, tzinfo=BERLIN)       # the "Frist:" line
    assert jury.agenda == {"de": "Anträge bitte rechtzeitig."}                   # … which is not agenda
    bad = found["jury-bad@qm-badstrasse.de"]
    assert (bad.body, bad.area_key) == ("jury", "badstrasse")                      # X-KIEZBOT-BODY / -AREA
    assert bad.deadline == datetime(2027, 2, 1, 23, 59, 59, tzinfo=BERLIN)         # X-KIEZBOT-DEADLINE

    rows = await outbox(db, state="pending", purpose="meeting-reminder")
    labels = sorted((r.chat_id, r.key.split(":")[1] == str(jury.id), r.key.split(":")[2]) for r in rows)
    assert labels == sorted([(c, j, lead) for c in (EN, DE) for j, lead in
                             ((False, "1d"), (False, "2h"), (True, "1d"), (True, "2h"), (True, "dl3d"))])
    assert any("1. Welcome" not in r.text and "Projektfonds" in r.text for r in rows if r.chat_id == EN)

    assert report.startswith("team.ics: 3 new, 0 moved, 0 changed, 0 cancelled, 0 unchanged, 1 skipped; "
                             "0 subscriber notice(s) and 10 reminder(s) queued.")
    lines = report.splitlines()
    assert any(line.startswith(f"  new       #{council.id}") and "council pankstrasse     2027-01-12 18:00-20:00" in line
               and "4 reminder(s) for 2 subscriber(s)" in line and "body from SUMMARY; area from SUMMARY" in line
               for line in lines)
    assert any(f"#{jury.id}" in line and "deadline 2027-01-28" in line and "deadline from DESCRIPTION" in line
               for line in lines)
    assert any(line.startswith("  skipped") and "Kiezfest" in line and "give --body" in line for line in lines)
    assert "Skipped 1 all-day entry" in report and "Skipped 1 recurring entry" in report
    assert "Skipped 1 session(s) that have already begun or are over." in report


async def test_importing_the_same_file_again_changes_nothing(dialogs, db, subscribed):
    await run(dialogs, TEAM_FILE)
    before = await sessions(dialogs)
    rows = await outbox(db)
    report = await run(dialogs, TEAM_FILE)
    assert "0 new, 0 moved, 0 changed, 0 cancelled, 3 unchanged" in report
    assert await sessions(dialogs) == before
    assert await outbox(db) == rows


async def test_the_command_line_says_what_holds_for_the_whole_file(dialogs, db):
    file = calendar(vevent("a@qm", "Sitzung", "20270120T180000"), vevent("b@qm", "Aktionsfondsjury", "20270121T180000"))
    report = await run(dialogs, file, body="council", area="soldiner")
    found = {m.uid: m for m in [await _by_uid(dialogs, "a@qm"), await _by_uid(dialogs, "b@qm")]}
    assert {(m.body, m.area_key) for m in found.values()} == {("council", "soldiner")}
    assert report.count("body from --body; area from --area") == 2


async def test_a_new_entry_whose_area_is_unclear_is_skipped_and_said(dialogs, db):
    file = calendar(vevent("c@qm", "Quartiersrat", "20270120T180000"),
                    vevent("d@qm", "Quartiersrat Pankstraße und Badstraße", "20270121T180000"))
    report = await run(dialogs, file)
    assert await _by_uid(dialogs, "c@qm") is None and await _by_uid(dialogs, "d@qm") is None
    assert "no area recognisable (give --area" in report
    assert "names more than one area (badstrasse, pankstrasse; give --area)" in report


async def _by_uid(dialogs, uid: str):
    async with dialogs.uow(0) as store:
        return await store.meetings.by_uid(uid)


# --- changes in the calendar -------------------------------------------------------------------------
async def test_a_changed_time_is_a_move_subscribers_hear_about(dialogs, db, subscribed):
    await run(dialogs, calendar(COUNCIL))
    council = await _by_uid(dialogs, "qr-2027-01@qm-pankstrasse.de")
    moved = COUNCIL.replace("20270112T180000", "20270114T190000").replace("20270112T200000", "20270114T210000")
    report = await run(dialogs, calendar(moved))
    assert "0 new, 1 moved" in report and "2 subscriber notice(s) and 4 reminder(s) queued" in report
    assert f"moved     #{council.id}" in report and "(was 2027-01-12 18:00)" in report
    assert "2 subscriber(s) told; 4 reminder(s) re-planned" in report
    after = await _by_uid(dialogs, "qr-2027-01@qm-pankstrasse.de")
    assert (after.starts_at, after.revision) == (berlin(2027, 1, 14, 19), 1)
    notices = await outbox(db, purpose="meeting-notice")
    assert {n.chat_id for n in notices} == {EN, DE}
    english = next(n for n in notices if n.chat_id == EN)
    assert "New date" in english.text and "Thursday, January 14, 2027, 7:00 PM" in english.text
    reminders = await outbox(db, purpose="meeting-reminder")
    assert {r.due_at for r in reminders if r.state == "pending"} == {berlin(2027, 1, 13, 19), berlin(2027, 1, 14, 17)}
    assert len([r for r in reminders if r.state == "cancelled"]) == 4
    assert "unchanged" in await run(dialogs, calendar(moved))               # and once is enough
    assert len(await outbox(db, purpose="meeting-notice")) == 2


async def test_a_new_place_is_announced_and_a_new_agenda_just_reaches_the_reminders(dialogs, db, subscribed):
    await run(dialogs, calendar(COUNCIL))
    elsewhere = COUNCIL.replace("Vor-Ort-Büro\\, Prinzenallee 30", "Stadtteilbibliothek\\, Osloer Str. 1")
    report = await run(dialogs, calendar(elsewhere))
    assert "1 changed" in report and "changed: place" in report and "2 subscriber(s) told" in report
    [german] = [n for n in await outbox(db, purpose="meeting-notice") if n.chat_id == DE]
    assert "Neuer Ort" in german.text and "Bisheriger Ort: Vor-Ort-Büro, Prinzenallee 30" in german.text
    assert "Stadtteilbibliothek, Osloer Str. 1" in german.text

    new_agenda = elsewhere.replace("2. Projektfonds 2027", "2. Projektfonds 2027\\n3. Verschiedenes")
    report = await run(dialogs, calendar(new_agenda))
    assert "changed: agenda" in report and "0 subscriber(s) told" in report
    assert len(await outbox(db, purpose="meeting-notice")) == 2              # nobody told again
    pending = await outbox(db, state="pending", purpose="meeting-reminder")
    assert len(pending) == 4 and all("Verschiedenes" in r.text for r in pending if r.chat_id == DE)


async def test_new_place_notice_reads_right_to_left_in_arabic(dialogs):
    from dialogs.meetings.resident_flow import new_place_notice
    from dialogs.core.ports import Meeting
    from tests.test_rtl import rtl_problems

    old = Meeting(area_key="pankstrasse", body="council", starts_at=berlin(2027, 1, 12, 18), place="Vor-Ort-Büro")
    new = Meeting(area_key="pankstrasse", body="council", starts_at=berlin(2027, 1, 12, 18), place="Bibliothek",
                  agenda={"de": "Begrüßung"})
    t = dialogs.translator("ar")
    text = dialogs.finalise(new_place_notice(t, old, new, "QM Pankstraße"), t).text
    assert "مكان جديد" in text and rtl_problems(text) == [], text


async def test_a_cancelled_entry_cancels_the_session_and_tells_subscribers(dialogs, db, subscribed):
    await run(dialogs, TEAM_FILE)
    jury = await _by_uid(dialogs, "jury-2027-02@qm-pankstrasse.de")
    cancelled = JURY.replace("END:VEVENT", "STATUS:CANCELLED\r\nEND:VEVENT")
    report = await run(dialogs, calendar(COUNCIL, cancelled, BAD_JURY))
    assert "1 cancelled" in report and f"cancelled #{jury.id}" in report and "2 subscriber(s) told" in report
    assert (await _by_uid(dialogs, "jury-2027-02@qm-pankstrasse.de")).status == "cancelled"
    notices = await outbox(db, purpose="meeting-notice")
    assert {n.chat_id for n in notices} == {EN, DE} and all("Cancelled" in n.text or "Abgesagt" in n.text
                                                            for n in notices)
    assert not [r for r in await outbox(db, state="pending", purpose="meeting-reminder") if f":{jury.id}:" in r.key]
    report = await run(dialogs, calendar(COUNCIL, cancelled, BAD_JURY))     # again: nothing more
    assert "0 cancelled, 3 unchanged" in report and len(await outbox(db, purpose="meeting-notice")) == 2
    report = await run(dialogs, calendar(COUNCIL, JURY, BAD_JURY))          # not brought back by an old file
    assert "an import does not bring it back" in report


async def test_a_cancellation_message_from_a_mail_program_cancels_too(dialogs, db, subscribed):
    await run(dialogs, calendar(COUNCIL))
    report = await run(dialogs, calendar(COUNCIL.replace("SUMMARY:Quartiersrat Pankstraße", "SUMMARY:Abgesagt: QR"),
                                         method="CANCEL"))
    assert "1 cancelled" in report
    assert (await _by_uid(dialogs, "qr-2027-01@qm-pankstrasse.de")).status == "cancelled"


async def test_a_session_missing_from_the_file_is_kept_and_listed(dialogs, db):
    february = vevent("qr-2027-02@qm-pankstrasse.de", "Quartiersrat Pankstraße", "20270209T180000")
    await run(dialogs, calendar(COUNCIL, february))
    kept = await _by_uid(dialogs, "qr-2027-02@qm-pankstrasse.de")
    report = await run(dialogs, calendar(COUNCIL))
    assert f"absent    #{kept.id}" in report and "is not in this file: kept" in report
    assert f"kiezbot meetings cancel {kept.id}" in report
    assert (await _by_uid(dialogs, "qr-2027-02@qm-pankstrasse.de")).status == "scheduled"


async def test_body_and_area_of_an_imported_session_stay(dialogs, db):
    await run(dialogs, calendar(COUNCIL))
    report = await run(dialogs, calendar(COUNCIL), area="badstrasse")
    assert "stays council pankstrasse" in report
    assert (await _by_uid(dialogs, "qr-2027-01@qm-pankstrasse.de")).area_key == "pankstrasse"


async def test_a_sessions_time_passing_leaves_it_alone(dialogs, db, clock):
    await run(dialogs, calendar(COUNCIL))
    clock.now = berlin(2027, 1, 12, 19)
    report = await run(dialogs, calendar(COUNCIL.replace("20270112T200000", "20270112T210000")))
    assert "Skipped 1 session(s) that have already begun or are over." in report
    assert (await _by_uid(dialogs, "qr-2027-01@qm-pankstrasse.de")).ends_at == berlin(2027, 1, 12, 20)


# --- the jury deadline -------------------------------------------------------------------------------
async def test_without_a_deadline_the_jury_session_has_none_and_no_deadline_reminders(dialogs, db, subscribed):
    await run(dialogs, calendar(vevent("j@qm", "Aktionsfondsjury Pankstraße", "20270204T180000")))
    assert (await _by_uid(dialogs, "j@qm")).deadline is None
    assert not [r for r in await outbox(db, purpose="meeting-reminder") if ":dl" in r.key]


async def test_a_council_deadline_is_ignored_with_a_note(dialogs, db):
    report = await run(dialogs, calendar(COUNCIL.replace("END:VEVENT", "X-KIEZBOT-DEADLINE:20270105\r\nEND:VEVENT")))
    assert "deadline ignored: only the jury has one" in report
    assert (await _by_uid(dialogs, "qr-2027-01@qm-pankstrasse.de")).deadline is None


async def test_a_moved_deadline_replans_the_deadline_reminders(dialogs, db, subscribed):
    await run(dialogs, calendar(JURY))
    report = await run(dialogs, calendar(JURY.replace("Frist: 28.01.2027", "Frist: 25.01.2027")))
    assert "changed: deadline" in report
    due = {r.due_at for r in await outbox(db, state="pending", purpose="meeting-reminder") if ":dl3d:" in r.key}
    assert due == {berlin(2027, 1, 22, 10)}


# --- dry run and refusals ----------------------------------------------------------------------------
async def test_a_dry_run_shows_everything_and_keeps_nothing(dialogs, db, subscribed):
    await run(dialogs, calendar(COUNCIL))
    rows = await outbox(db)
    moved = COUNCIL.replace("20270112T180000", "20270113T180000").replace("20270112T200000", "20270113T200000")
    report = await run(dialogs, calendar(moved, JURY), dry_run=True)
    assert report.startswith("DRY RUN — nothing saved, nobody told. team.ics: 1 would be new, 1 would be moved")
    assert "2 subscriber notice(s) and 10 reminder(s) would be queued." in report
    assert "2 subscriber(s) would be told" in report
    assert "  new             jury    pankstrasse" in report                   # no number: nothing was saved
    assert await outbox(db) == rows
    assert await _by_uid(dialogs, "jury-2027-02@qm-pankstrasse.de") is None
    assert (await _by_uid(dialogs, "qr-2027-01@qm-pankstrasse.de")).starts_at == berlin(2027, 1, 12, 18)


BAD_ENTRIES = {
    "unknown X-KIEZBOT-AREA": (vevent("x@qm", "Sitzung", "20270120T180000", extra="X-KIEZBOT-AREA:Atlantis\n"
                                      "X-KIEZBOT-BODY:council"), "X-KIEZBOT-AREA 'Atlantis' is not an area"),
    "unknown X-KIEZBOT-BODY": (vevent("x@qm", "Sitzung", "20270120T180000", extra="X-KIEZBOT-BODY:Senat"),
                               "X-KIEZBOT-BODY 'Senat' is not council or jury"),
    "no place": (vevent("x@qm", "Quartiersrat Pankstraße", "20270120T180000", place=None), "has no LOCATION"),
    "deadline after the session": (JURY.replace("Frist: 28.01.2027", "Frist: 10.02.2027"),
                                   "the deadline 2027-02-10 is after the session"),
    "deadline not a date": (JURY.replace("Frist: 28.01.2027", "Frist: bald"), "has no date like 07.02.2027"),
}


@pytest.mark.parametrize("name", BAD_ENTRIES)
async def test_a_bad_entry_refuses_the_whole_file_in_one_line(dialogs, db, name):
    entry, message = BAD_ENTRIES[name]
    with pytest.raises(UsageError, match=message) as info:
        await run(dialogs, calendar(COUNCIL, entry))
    assert "\n" not in str(info.value) and "nothing was imported" in str(info.value)
    assert await _by_uid(dialogs, "qr-2027-01@qm-pankstrasse.de") is None    # the good entry was not kept either


async def kiezbot(db, *args: str) -> tuple[int, str, str]:
    env = dict(os.environ, KIEZBOT_DATABASE_URL=db.url, PYTHONPATH=str(ROOT))
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot.cli", "meetings", *args, cwd=ROOT, env=env,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await proc.communicate()
    return proc.returncode or 0, out.decode(), err.decode()


async def test_the_command_as_an_operator_runs_it(db, tmp_path):
    """Real process, real clock: a session some weeks ahead, a broken file, an unknown area."""
    day = datetime.now(BERLIN).date() + timedelta(days=30)
    good = tmp_path / "qr.ics"
    good.write_bytes(calendar(vevent("op@qm", "Quartiersrat Badstraße", f"{day:%Y%m%d}T180000")))
    code, out, err = await kiezbot(db, "import", str(good), "--dry-run")
    assert code == 0, err
    assert "DRY RUN" in out and "1 would be new" in out and "council badstrasse" in out
    code, out, err = await kiezbot(db, "import", str(good))
    assert code == 0 and "1 new" in out and f"{day:%Y-%m-%d} 18:00" in out
    code, out, err = await kiezbot(db, "list")
    assert "council  badstrasse" in out

    broken = tmp_path / "broken.ics"
    broken.write_bytes(b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nSUMMARY:QR\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    code, out, err = await kiezbot(db, "import", str(broken))
    assert code == 2 and out == ""
    assert err == f"kiezbot meetings import: {broken}: event 1 “QR” (UID x) has no DTSTART (start time); " \
                  "nothing was imported\n"
    code, out, err = await kiezbot(db, "import", str(tmp_path / "missing.ics"))
    assert code == 2 and err.count("\n") == 1 and "cannot read" in err and "Traceback" not in err
    code, out, err = await kiezbot(db, "import", str(good), "--area", "atlantis")
    assert code == 2 and err.count("\n") == 1 and "--area 'atlantis' is not an area" in err
    code, out, err = await kiezbot(db, "import", str(good), "--body", "senate")
    assert code == 2 and err.count("\n") == 1 and "--body: 'senate' is not one of" in err
    code, out, err = await kiezbot(db, "import", "--help")
    assert code == 0 and "X-KIEZBOT-AREA" in out and "Frist: 07.02.2027" in out


async def test_a_session_moved_in_the_chat_stays_moved_until_the_calendar_changes(dialogs, db, subscribed):
    from dialogs.meetings.resident_flow import revise_session

    await run(dialogs, calendar(COUNCIL))
    council = await _by_uid(dialogs, "qr-2027-01@qm-pankstrasse.de")
    async with dialogs.uow(0) as store:                      # the team moves it in kiezbot (/movemeeting)
        await revise_session(dialogs, store, council.id, council.revision,
                             {"starts_at": berlin(2027, 1, 19, 18), "ends_at": berlin(2027, 1, 19, 20)},
                             dialogs.clock())
    told = len(await outbox(db, purpose="meeting-notice"))
    report = await run(dialogs, calendar(COUNCIL))            # the calendar was not updated: still the 12th
    assert "unchanged" in report and "kept time as changed in kiezbot" in report
    assert (await _by_uid(dialogs, "qr-2027-01@qm-pankstrasse.de")).starts_at == berlin(2027, 1, 19, 18)
    assert len(await outbox(db, purpose="meeting-notice")) == told      # nobody told "new date" again
    elsewhere = COUNCIL.replace("Vor-Ort-Büro\\, Prinzenallee 30", "Stadtteilbibliothek\\, Osloer Str. 1")
    report = await run(dialogs, calendar(elsewhere))          # what the calendar does change still comes in
    assert "changed: place" in report
    after = await _by_uid(dialogs, "qr-2027-01@qm-pankstrasse.de")
    assert after.place == "Stadtteilbibliothek, Osloer Str. 1" and after.starts_at == berlin(2027, 1, 19, 18)
    moved = elsewhere.replace("20270112T180000", "20270126T180000").replace("20270112T200000", "20270126T200000")
    assert "moved" in await run(dialogs, calendar(moved))     # and a new time in the calendar wins again
    assert (await _by_uid(dialogs, "qr-2027-01@qm-pankstrasse.de")).starts_at == berlin(2027, 1, 26, 18)

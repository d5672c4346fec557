"""Calendar files in (``kiezbot events import``), sign-ups out (``kiezbot export signups``)."""
from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.cli.events import import_calendar, list_events, signups_csv
from storage.ical import CalendarError, parse_calendar, read_calendar_file
from tests.chat import ChatClient
from tests.event_helpers import add_event, add_resident, get_event, outbox, reply_of

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
TEAM_CALENDAR = DATA / "team-calendar.ics"
BERLIN = ZoneInfo("Europe/Berlin")


async def run_import(dialogs, path: Path | bytes, area: str | None = "badstrasse", capacity: int | None = 20):
    entries = read_calendar_file(path) if isinstance(path, Path) else parse_calendar(path)
    out = io.StringIO()
    code = await import_calendar(dialogs, entries, source="test.ics", area=area, capacity=capacity, max_party=4,
                                 out=out)
    return code, out.getvalue()


async def events_by_uid(dialogs) -> dict:
    async with dialogs.uow(0) as store:
        return {e.uid: e for e in await store.events.all()}


# --- reading calendar files -------------------------------------------------------------------------
def test_a_google_calendar_export_is_read_with_its_time_zone():
    entries = {e.uid: e for e in read_calendar_file(TEAM_CALENDAR)}
    basteln = entries["3q9v1k2l8m0n4p6r7s5t@google.com"]
    assert basteln.summary == "Adventsbasteln im Kiez"
    assert basteln.location == "Nachbarschaftsladen, Badstraße 10, 13357 Berlin"     # escaped commas
    assert "bitte eine Schere mitbringen" in basteln.description                        # folded line
    assert basteln.starts_at == datetime(2026, 12, 5, 15, 0, tzinfo=BERLIN)
    assert basteln.ends_at == datetime(2026, 12, 5, 18, 0, tzinfo=BERLIN)
    assert entries["flohmarkt-dez@qm-badstrasse.de"].ends_at == datetime(2026, 12, 12, 14, 0, tzinfo=BERLIN)  # DURATION
    assert entries["schulferien-winter-2026@qm-badstrasse.de"].all_day
    assert entries["deutschcafe-weekly@qm-badstrasse.de"].recurring
    assert entries["quartiersrat-info-abgesagt@qm-badstrasse.de"].cancelled


def test_an_outlook_time_zone_name_is_understood():
    [entry] = read_calendar_file(DATA / "outlook-export.ics")
    assert entry.summary == "Lesecafé"
    assert entry.starts_at == datetime(2026, 12, 3, 18, 0, tzinfo=BERLIN)              # "W. Europe Standard Time"


def test_floating_and_utc_times():
    floating = parse_calendar(b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:f\r\nSUMMARY:F\r\n"
                              b"DTSTART:20260704T140000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    assert floating[0].starts_at == datetime(2026, 7, 4, 14, 0, tzinfo=BERLIN)        # read as Berlin time
    assert floating[0].ends_at is None
    utc = parse_calendar(b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:u\r\nSUMMARY:U\r\n"
                         b"DTSTART:20260704T140000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    assert utc[0].starts_at == datetime(2026, 7, 4, 14, 0, tzinfo=timezone.utc)


BAD_FILES = {
    "not a calendar": (b"Name;Datum\nKiezfest;05.12.2026\n", "not an iCalendar file"),
    "a PDF": (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "not UTF-8"),
    "empty": (b"", "empty"),
    "cut off": (b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\n", "not a valid iCalendar file"),
    "missing DTSTART": (b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nSUMMARY:Kiezfest\r\nEND:VEVENT\r\n"
                        b"END:VCALENDAR\r\n", "has no DTSTART"),
    "broken DTSTART": (b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nSUMMARY:Kiezfest\r\nDTSTART:morgen\r\n"
                       b"END:VEVENT\r\nEND:VCALENDAR\r\n", "DTSTART cannot be read"),
    "missing UID": (b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:Kiezfest\r\nDTSTART:20261205T150000\r\n"
                    b"END:VEVENT\r\nEND:VCALENDAR\r\n", "has no UID"),
    "no events": (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n", "contains no events"),
    "ends before it starts": (b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nSUMMARY:K\r\nDTSTART:20261205T150000Z\r\n"
                              b"DTEND:20261205T140000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n", "ends before it starts"),
    "10 MB": (b"BEGIN:VCALENDAR\r\n" + b"X-PADDING:" + b"x" * (10 * 1024 * 1024) + b"\r\nEND:VCALENDAR\r\n",
              "at most 1 MB"),
}


@pytest.mark.parametrize("name", BAD_FILES)
def test_bad_input_is_refused_with_a_clear_line(name):
    data, message = BAD_FILES[name]
    with pytest.raises(CalendarError, match=message) as info:
        parse_calendar(data)
    assert "\n" not in str(info.value)


# --- importing --------------------------------------------------------------------------------------
async def test_import_creates_the_timed_events_and_says_what_it_skipped(dialogs, db):
    code, report = await run_import(dialogs, TEAM_CALENDAR)
    assert code == 0
    events = await events_by_uid(dialogs)
    assert set(events) == {"3q9v1k2l8m0n4p6r7s5t@google.com", "7f3e2a10-5b6c-4d8e-9f00-kiezspaziergang@qm-badstrasse.de",
                           "flohmarkt-dez@qm-badstrasse.de"}
    basteln = events["3q9v1k2l8m0n4p6r7s5t@google.com"]
    assert basteln.text("en").title == "Adventsbasteln im Kiez"
    assert (basteln.area_key, basteln.capacity, basteln.max_party) == ("badstrasse", 20, 4)
    assert basteln.reminder_leads == (2880, 120)
    assert "3 new, 0 updated" in report
    assert "Skipped 1 all-day entry" in report and "Weihnachtsferien" in report
    assert "Skipped 1 recurring entry" in report and "Deutsch-Café" in report
    assert "1 event(s) that are already over" in report


async def test_importing_the_same_file_again_changes_nothing(dialogs, db):
    await run_import(dialogs, TEAM_CALENDAR)
    before = await events_by_uid(dialogs)
    english = ChatClient(dialogs, chat_id=6001, language_code="en")
    await add_resident(db, 6001, "en")
    await english.presses(f"ev:party:{before['flohmarkt-dez@qm-badstrasse.de'].id}:1")
    queued = len(await outbox(db, state=None))
    code, report = await run_import(dialogs, TEAM_CALENDAR)
    assert code == 0 and "0 new, 0 updated, 0 cancelled, 4 unchanged" in report
    after = await events_by_uid(dialogs)
    assert len(after) == 3
    assert {uid: (e.id, e.starts_at, e.place, e.sequence) for uid, e in after.items()} == \
           {uid: (e.id, e.starts_at, e.place, e.sequence) for uid, e in before.items()}
    assert len(await outbox(db, state=None)) == queued                 # nobody is told anything


async def test_a_moved_event_in_the_file_is_updated_and_participants_are_told(dialogs, db):
    await run_import(dialogs, TEAM_CALENDAR)
    flohmarkt = (await events_by_uid(dialogs))["flohmarkt-dez@qm-badstrasse.de"]
    for chat_id, language in ((6101, "en"), (6102, "de")):
        await add_resident(db, chat_id, language)
        await ChatClient(dialogs, chat_id=chat_id, language_code=language).presses(f"ev:party:{flohmarkt.id}:1")
    moved = TEAM_CALENDAR.read_bytes().replace(b"DTSTART;TZID=Europe/Berlin:20261212T110000",
                                               b"DTSTART;TZID=Europe/Berlin:20261213T120000") \
        .replace(b"Schulhof der Gottfried-R\xc3\xb6hl-Grundschule", b"Turnhalle Gotenburger Stra\xc3\x9fe")
    code, report = await run_import(dialogs, moved)
    assert code == 0 and "0 new, 1 updated" in report and "2 participant notice(s)" in report
    event = await get_event(db, flohmarkt.id)
    assert event.starts_at == datetime(2026, 12, 13, 12, 0, tzinfo=BERLIN)
    assert event.ends_at == datetime(2026, 12, 13, 15, 0, tzinfo=BERLIN)
    assert event.place == "Turnhalle Gotenburger Straße" and event.sequence == 1
    [english] = await outbox(db, purpose="event-change", chat_id=6101)
    [german] = await outbox(db, purpose="event-change", chat_id=6102)
    assert "Sunday, December 13, 2026" in reply_of(english).text and "Turnhalle" in reply_of(english).text
    assert "Sonntag, 13. Dezember 2026" in reply_of(german).text
    assert len(await events_by_uid(dialogs)) == 3                      # nothing duplicated
    code, report = await run_import(dialogs, moved)                    # the same change again: no second notice
    assert "0 updated" in report
    assert len(await outbox(db, purpose="event-change", state=None)) == 2


async def test_a_cancellation_in_the_file_cancels_and_tells_participants(dialogs, db):
    await run_import(dialogs, TEAM_CALENDAR)
    basteln = (await events_by_uid(dialogs))["3q9v1k2l8m0n4p6r7s5t@google.com"]
    await add_resident(db, 6201, "en")
    await ChatClient(dialogs, chat_id=6201, language_code="en").presses(f"ev:party:{basteln.id}:2")
    cancelled = TEAM_CALENDAR.read_bytes().replace(b"SEQUENCE:2\r\nSTATUS:CONFIRMED", b"SEQUENCE:3\r\nSTATUS:CANCELLED")
    code, report = await run_import(dialogs, cancelled)
    assert code == 0 and "1 cancelled" in report
    assert (await get_event(db, basteln.id)).status == "cancelled"
    [notice] = await outbox(db, purpose="event-cancelled", chat_id=6201)
    assert "has been cancelled" in reply_of(notice).text
    assert await outbox(db, purpose="event-reminder", chat_id=6201) == []


async def test_an_entry_without_title_stops_the_whole_import(dialogs, db):
    existing = await add_event(db, title="Schon da")
    bad = (b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:good\r\nSUMMARY:Gut\r\nDTSTART:20261205T150000Z\r\nEND:VEVENT\r\n"
           b"BEGIN:VEVENT\r\nUID:untitled\r\nDTSTART:20261206T150000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    code, _ = await run_import(dialogs, bad)
    assert code == 2
    assert list(await events_by_uid(dialogs)) == [existing.uid]          # "Gut" was not written either


async def test_an_unknown_area_is_refused_before_anything_is_written(dialogs, db):
    code, _ = await run_import(dialogs, TEAM_CALENDAR, area="wedding-nord")
    assert code == 2
    assert await events_by_uid(dialogs) == {}


async def test_events_list_shows_numbers_places_and_waitlist(dialogs, db):
    event = await add_event(db, title="Kiezfest", capacity=1, max_party=1)
    for chat_id in (6301, 6302):
        await add_resident(db, chat_id, "en")
        await ChatClient(dialogs, chat_id=chat_id, language_code="en").presses(f"ev:join:{event.id}")
    out = io.StringIO()
    assert await list_events(dialogs, include_past=False, out=out) == 0
    line = out.getvalue().splitlines()[1]
    assert line.split()[:6] == [str(event.id), "03.12.2026", "18:00", "badstrasse", "1/1", "1"]
    assert line.endswith("Kiezfest")


# --- sign-ups as CSV --------------------------------------------------------------------------------
async def test_signups_csv_has_only_what_staff_need_and_is_formula_safe(dialogs, db):
    event = await add_event(db, capacity=2, max_party=2)
    people = [(6401, "Ayşe Yılmaz", 2), (6402, "=HYPERLINK(\"http://x\";\"click\")", 1), (6403, "+49 30 123", 1)]
    for chat_id, name, party in people:
        await add_resident(db, chat_id, "en")
        client = ChatClient(dialogs, chat_id=chat_id, language_code="en", name=name)
        await client.presses(f"ev:party:{event.id}:{party}")
    text = await signups_csv(dialogs, event.id)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["display_name", "party_size", "signed_up_at", "status", "waitlist_position"]
    assert rows[1] == ["Ayşe Yılmaz", "2", "2026-11-24 10:30", "confirmed", ""]
    assert rows[2] == ["'=HYPERLINK(\"http://x\";\"click\")", "1", "2026-11-24 10:30", "waitlisted", "1"]
    assert rows[3][0] == "'+49 30 123" and rows[3][4] == "2"
    assert all("640" not in cell for row in rows for cell in row)       # no Telegram ids anywhere
    assert await signups_csv(dialogs, 999999) is None


async def test_cancelled_signups_are_exported_only_when_asked_and_never_count_as_waiting(dialogs, db):
    event = await add_event(db, capacity=1, max_party=1)
    for chat_id, name in ((6601, "Ada"), (6602, "Ben"), (6603, "Cem"), (6604, "Dua")):
        await add_resident(db, chat_id, "en")
        await ChatClient(dialogs, chat_id=chat_id, language_code="en", name=name).presses(f"ev:party:{event.id}:1")
    async with dialogs.uow(0) as store:
        ben = await store.events.active_signup(event.id, 6602)
        await store.events.set_signup_status(ben.id, "cancelled")
    rows = list(csv.reader(io.StringIO(await signups_csv(dialogs, event.id))))[1:]
    assert [(r[0], r[3], r[4]) for r in rows] == [("Ada", "confirmed", ""), ("Cem", "waitlisted", "1"),
                                                  ("Dua", "waitlisted", "2")]
    rows = list(csv.reader(io.StringIO(await signups_csv(dialogs, event.id, include_cancelled=True))))[1:]
    assert [(r[0], r[3], r[4]) for r in rows] == [("Ada", "confirmed", ""), ("Cem", "waitlisted", "1"),
                                                  ("Dua", "waitlisted", "2"), ("Ben", "cancelled", "")]


async def test_exporting_signups_is_in_each_residents_access_log(dialogs, db):
    event = await add_event(db, capacity=5)
    for chat_id in (6501, 6502):
        await add_resident(db, chat_id, "en")
        await ChatClient(dialogs, chat_id=chat_id, language_code="en").presses(f"ev:party:{event.id}:1")
    await signups_csv(dialogs, event.id, actor="cli:dana")
    async with dialogs.uow(0) as store:
        for chat_id in (6501, 6502):
            [entry] = await store.access_log.entries(chat_id)
            assert (entry.actor, entry.action, entry.detail) == ("cli:dana", "export", f"event {event.id} sign-ups")
        assert await store.access_log.entries(6503) == []


# --- the command line, end to end -------------------------------------------------------------------
def kiezbot(*args: str, database: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, KIEZBOT_DATABASE_URL=f"sqlite:///{database}", PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


def future_calendar(tmp_path: Path, start: datetime, place: str = "Nachbarschaftsladen") -> Path:
    stamp = start.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    path = tmp_path / "kalender.ics"
    path.write_text("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:cli-1@test\r\n"
                    f"SUMMARY:Kiezfrühstück\r\nDTSTART:{stamp}\r\nDURATION:PT2H\r\nLOCATION:{place}\r\n"
                    "END:VEVENT\r\nEND:VCALENDAR\r\n", encoding="utf-8")
    return path


def test_command_line_import_list_and_bad_files(tmp_path):
    database = tmp_path / "kiezbot.db"
    good = future_calendar(tmp_path, datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=30))
    first = kiezbot("events", "import", str(good), "--area", "soldiner", "--capacity", "15", database=database)
    assert first.returncode == 0, first.stderr
    assert "1 new" in first.stdout
    again = kiezbot("events", "import", str(good), database=database)
    assert again.returncode == 0 and "0 new, 0 updated, 0 cancelled, 1 unchanged" in again.stdout
    listing = kiezbot("events", "list", database=database)
    assert "Kiezfrühstück" in listing.stdout and "0/15" in listing.stdout and "soldiner" in listing.stdout

    big = tmp_path / "big.ics"
    big.write_bytes(b"BEGIN:VCALENDAR\r\n" + b"X:" + b"y" * (10 * 1024 * 1024) + b"\r\nEND:VCALENDAR\r\n")
    no_start = tmp_path / "no-start.ics"
    no_start.write_bytes(b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:cli-1@test\r\nSUMMARY:Anders\r\nEND:VEVENT\r\n"
                         b"END:VCALENDAR\r\n")
    spreadsheet = tmp_path / "events.csv"
    spreadsheet.write_text("Titel;Datum\nKiezfest;05.12.2026\n", encoding="utf-8")
    for bad, message in ((big, "at most 1 MB"), (no_start, "has no DTSTART"), (spreadsheet, "not an iCalendar"),
                         (tmp_path / "missing.ics", "cannot read")):
        result = kiezbot("events", "import", str(bad), database=database)
        assert result.returncode == 2, (bad, result.stderr)
        assert message in result.stderr and "nothing was imported" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    after = kiezbot("events", "list", database=database)
    assert after.stdout == listing.stdout                               # nothing changed

    export = kiezbot("export", "signups", "1", "--format", "csv", database=database)
    assert export.returncode == 0 and export.stdout.startswith("display_name,party_size")
    missing = kiezbot("export", "signups", "42", "--format", "csv", database=database)
    assert missing.returncode == 2 and "no event 42" in missing.stderr

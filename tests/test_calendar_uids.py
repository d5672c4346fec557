"""Issue 15 item 12: long calendar UIDs (Exchange writes several hundred characters) import on every
database (PostgreSQL refused them in String(255) columns), and unreadable entries are named in one line.
Both imports take the same calendar-entry record (dialogs/core/calendar.py), read once."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest

from bot.cli.events import import_calendar as import_events_file
from bot.cli.meetings import import_calendar as import_meetings_file
from dialogs.core.calendar import single_dates
from dialogs.events.staff_services import import_events
from dialogs.meetings.calendar_import import import_sessions
from storage.ical import MAX_UID_BYTES, CalendarError, parse_calendar

EXCHANGE_UID = "040000008200E00074C5B7101A82E00800000000" + "D0C5A3F1B2E4D601" * 30      # 520 characters


def calendar(uid: str, summary: str, start: str, extra: str = "") -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Microsoft Corporation//Outlook 16.0//EN", "BEGIN:VEVENT",
             f"UID:{uid}", f"SUMMARY:{summary}", f"DTSTART;TZID=Europe/Berlin:{start}", "DURATION:PT2H",
             "LOCATION:Nachbarschaftsladen", *[line for line in extra.split("\n") if line], "END:VEVENT",
             "END:VCALENDAR"]
    return ("\r\n".join(lines) + "\r\n").encode()


def future(dialogs, days: int = 30) -> str:
    return (dialogs.clock() + timedelta(days=days)).strftime("%Y%m%dT180000")


async def test_an_event_with_an_exchange_uid_is_imported_and_found_again(dialogs):
    data = calendar(EXCHANGE_UID, "Kiezfest", future(dialogs))
    for expected in ("1 new", "0 new"):                      # the second import recognises it by its UID
        out = io.StringIO()
        code = await import_events_file(dialogs, parse_calendar(data), source="team.ics", area="badstrasse",
                                        capacity=20, max_party=4, out=out)
        assert code == 0 and expected in out.getvalue(), out.getvalue()
    async with dialogs.uow(0) as store:
        assert [e.uid for e in await store.events.all()] == [EXCHANGE_UID]


async def test_a_session_with_an_exchange_uid_is_imported_and_found_again(dialogs):
    data = calendar(EXCHANGE_UID, "Quartiersrat Pankstraße", future(dialogs))
    reports = []
    for _ in range(2):
        out = io.StringIO()
        assert await import_meetings_file(dialogs, parse_calendar(data), source="team.ics", area=None, body=None,
                                          out=out) == 0
        reports.append(out.getvalue())
    assert "new" in reports[0] and "unchanged" in reports[1], reports
    async with dialogs.uow(0) as store:
        assert (await store.meetings.by_uid(EXCHANGE_UID)) is not None


async def test_one_reading_of_the_file_feeds_both_imports_alike(dialogs):
    """The entries the file reader returns go into the events import and the sessions import as they are:
    the same title, place and time become an event and a council session."""
    start = future(dialogs)
    single = calendar("qr-1@qm-badstrasse.de", "Quartiersrat Badstraße", start).decode()
    weekly = calendar("weekly@qm-badstrasse.de", "Sprechstunde", start, "RRULE:FREQ=WEEKLY").decode()
    both = single.replace("END:VCALENDAR\r\n", weekly[weekly.index("BEGIN:VEVENT"):])     # one file, two entries
    timed, all_day, series = single_dates(parse_calendar(both.encode()))
    assert [e.uid for e in timed] == ["qr-1@qm-badstrasse.de"] and not all_day
    assert [e.uid for e in series] == ["weekly@qm-badstrasse.de"]       # neither import takes a series
    now = dialogs.clock()
    async with dialogs.uow(0) as store:
        events = await import_events(store, dialogs, now, timed, area_key="badstrasse", capacity=20)
        sessions = await import_sessions(dialogs, store, timed, now)
    [event] = events.created
    [line] = sessions.lines
    assert (event.text("de").title, event.place, event.starts_at) == ("Quartiersrat Badstraße", "Nachbarschaftsladen",
                                                                      timed[0].starts_at)
    assert (line.action, line.meeting.body, line.meeting.area_key, line.meeting.place, line.meeting.starts_at) == \
        ("new", "council", "badstrasse", "Nachbarschaftsladen", timed[0].starts_at)


def test_a_uid_beyond_the_limit_is_refused_in_one_line():
    uid = "x" * (MAX_UID_BYTES + 1)
    with pytest.raises(CalendarError) as refused:
        parse_calendar(calendar(uid, "Kiezfest", "20270105T180000"))
    message = str(refused.value)
    assert "\n" not in message and "2,001 bytes" in message and len(message) < 200


def test_an_unreadable_line_is_named_as_a_line_not_as_none():
    with pytest.raises(CalendarError) as refused:
        parse_calendar(calendar("u1", "Kiezfest", "20270105T180000", extra="THIS IS NOT A PROPERTY"))
    assert "None" not in str(refused.value) and "a line cannot be read" in str(refused.value)


def test_a_broken_property_is_named():
    with pytest.raises(CalendarError) as refused:
        parse_calendar(calendar("u1", "Kiezfest", "20270105T180000", extra="SEQUENCE:zwei"))
    assert "the property SEQUENCE cannot be read" in str(refused.value)


async def test_what_the_calendar_library_warns_about_is_a_note_line_not_a_raw_warning(dialogs):
    import uuid
    import warnings
    # icalendar warns about one vendor TZID once per process (it caches the guess): a TZID of this run's own
    # keeps the test independent of what ran before it (the SQLite variant imports the same file first).
    vendor_tz = f"/freeassociation.sourceforge.net/{uuid.uuid4().hex[:8]}/Europe/Berlin"
    data = calendar("vendor-tz@qm", "Kiezfest", future(dialogs)).replace(
        b"TZID=Europe/Berlin", f"TZID={vendor_tz}".encode())
    out = io.StringIO()
    with warnings.catch_warnings():
        warnings.simplefilter("error")                   # a warning escaping to the terminal fails here
        code = await import_events_file(dialogs, parse_calendar(data), source="team.ics", area="badstrasse",
                                        capacity=20, max_party=4, out=out)
    assert code == 0
    [note] = [line for line in out.getvalue().splitlines() if "note:" in line]
    assert "“Kiezfest” (UID vendor-tz@qm)" in note and "globally unique TZID" in note

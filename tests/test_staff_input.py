"""The one staff grammar for dates, times and lead times (dialogs/core/staff_input.py), and the
daylight-saving nights as the team meets them in the events and the meetings chat."""
from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from dialogs.core.staff_input import InputError, parse_leads, parse_when, read_when
from tests.event_helpers import get_event
from tests.staff_tools import add_staff, staff_in_group

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 3, 1, 9, tzinfo=timezone.utc)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


@pytest.mark.parametrize("typed", ["29.03.2026 02:30", "2026-03-29 02:00", "29.3. 2:59", "29.03.26 um 2.30 Uhr"])
def test_a_time_skipped_at_the_spring_switch_is_refused(typed):
    with pytest.raises(InputError, match="clocks are put forward") as caught:
        read_when(typed, NOW, "Europe/Berlin")
    assert caught.value.kind == "gap"
    assert parse_when(typed, NOW, BERLIN) is None
    # around the gap all is well
    assert parse_when("29.03.2026 01:59", NOW, BERLIN) == utc(2026, 3, 29, 0, 59)
    assert parse_when("29.03.2026 03:00", NOW, BERLIN) == utc(2026, 3, 29, 1, 0)


def test_a_time_that_happens_twice_at_the_autumn_switch_is_the_first_one():
    first = parse_when("25.10.2026 02:30", NOW, "Europe/Berlin")
    # (Python never finds a time of the double hour "==" to one in another zone: compare in UTC)
    assert first.astimezone(timezone.utc) == utc(2026, 10, 25, 0, 30)       # still summer time (CEST, +02:00)
    assert first.utcoffset().total_seconds() == 7200
    assert parse_when("25.10.2026 03:30", NOW, BERLIN) == utc(2026, 10, 25, 2, 30)


@pytest.mark.parametrize(("typed", "expected"), [
    ("24.12.2026 18:00", utc(2026, 12, 24, 17)),
    ("24.12.26 18 Uhr", utc(2026, 12, 24, 17)),
    ("24.12. 18:00", utc(2026, 12, 24, 17)),                    # the next 24 December
    ("28.2. 9:00", utc(2027, 2, 28, 8)),                        # a day already passed: next year
    ("2026-12-24T18:00", utc(2026, 12, 24, 17)),
    ("24.12.2026, um 18.00 Uhr", utc(2026, 12, 24, 17)),
])
def test_dates_and_times_the_team_types(typed, expected):
    assert parse_when(typed, NOW, BERLIN) == expected


@pytest.mark.parametrize(("typed", "kind"), [("next friday", "unreadable"), ("24.12.2026", "unreadable"),
                                             ("31.02.2027 18:00", "invalid"), ("24.12.2026 24:00", "invalid")])
def test_what_cannot_be_read_says_why(typed, kind):
    with pytest.raises(InputError) as caught:
        read_when(typed, NOW, BERLIN)
    assert caught.value.kind == kind


@pytest.mark.parametrize(("typed", "labels"), [
    ("1d,2h", ["1d", "2h"]), ("3d 1h", ["3d", "1h"]), ("2 Tage, 2 Stunden", ["2d", "2h"]),
    ("90 min", ["90m"]), ("2 days and 2 hours", ["2d", "2h"]), ("1 Tag und 30 Minuten", ["1d", "30m"]),
    ("none", []), ("", []),
])
def test_one_lead_time_grammar(typed, labels):
    assert [lead.label for lead in parse_leads(typed)] == labels


def test_lead_minutes_for_events():
    assert [lead.total_minutes for lead in parse_leads("2d 2h")] == [2880, 120]


@pytest.mark.parametrize("bad", ["1x", "0d", "1d2h", "1d;2h", "61 days", "tomorrow"])
def test_wrong_lead_times_are_refused(bad):
    with pytest.raises(ValueError):
        parse_leads(bad)


async def test_the_events_chat_refuses_the_missing_hour_and_takes_the_first_of_the_double_one(dialogs, db, clock):
    clock.now = NOW
    await add_staff(db, 42)
    dana = staff_in_group(dialogs, 42, "en")
    await dana.says("/newevent")
    await dana.says("Nachtflohmarkt")
    await dana.taps("Skip")
    await dana.taps("Continue")
    await dana.taps("All areas")
    await dana.says("Hof")
    assert "clocks are put forward" in (await dana.says("29.03.2026 02:30")).text
    assert "When does it end" in (await dana.says("25.10.2026 02:30")).text
    await dana.says("04:00")
    await dana.taps("No limit")
    await dana.taps("1")
    await dana.taps("Until the start")
    await dana.taps("No reminders")
    published = await dana.taps("Publish")
    event = await get_event(db, int(published.text.split("event ")[1].split(".")[0]))
    assert event.starts_at == utc(2026, 10, 25, 0, 30)
    assert event.ends_at == utc(2026, 10, 25, 3, 0)             # 04:00 winter time (CET)


async def test_the_meetings_chat_refuses_the_missing_hour_and_takes_the_first_of_the_double_one(dialogs, db, clock):
    clock.now = NOW
    await add_staff(db, 42, "Dana")
    dana = staff_in_group(dialogs, 42, language_code="en")
    await dana.says("/newmeeting")
    await dana.taps("Quartiersrat")
    await dana.taps("QM Pankstraße")
    assert "clocks are put forward" in (await dana.says("29.03.2026 02:30")).text
    end = await dana.says("25.10.2026 02:30")
    assert "clocks are put forward" not in end.text and "When does it end" in end.text
    assert "nicht nach ihrem Beginn" not in (await dana.says("02:45")).text     # 02:45 CEST, after the start

"""Lead times, due times in Berlin time, strict date reading, and the next-jury-session port."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest

from bot.settings import ConfigError, load_settings
from dialogs.app import build_dialogs
from dialogs.meetings.resident_flow import ReminderLeads, cancel_session, parse_leads, reminder_times
from dialogs.meetings.staff_parsing import InputError, parse_datetime
from dialogs.core.ports import Meeting
from locales import load_catalogs
from storage.unit_of_work import SqlUnitOfWork
from tests.chat import ChatClient
from tests.meeting_tools import BERLIN, berlin, outbox, plan, utc

NOW = utc(2027, 1, 10, 12)


def test_lead_times_are_read_from_the_setting():
    assert [lead.label for lead in parse_leads("2h, 1d")] == ["1d", "2h"]       # longest first
    assert [lead.label for lead in parse_leads("30m,3d,1d")] == ["3d", "1d", "30m"]
    assert parse_leads("") == () and parse_leads("none") == ()
    for bad in ("1x", "0d", "1d2h", "tomorrow", "1d;2h", "90d"):
        with pytest.raises(ValueError):
            parse_leads(bad)


def test_a_wrong_lead_time_setting_names_the_variable():
    with pytest.raises(ConfigError, match="KIEZBOT_MEETING_REMINDERS: 'one week' is not a lead time"):
        load_settings(meeting_reminders="one week")
    with pytest.raises(ConfigError, match="KIEZBOT_DEADLINE_REMINDERS"):
        load_settings(deadline_reminders="3x")
    assert load_settings(meeting_reminders="3h").meeting_reminders == "3h"


def due_times(meeting: Meeting, sessions: str = "1d,2h", deadlines: str = "3d") -> dict[str, datetime]:
    leads = ReminderLeads(parse_leads(sessions), parse_leads(deadlines))
    return {label: due for _kind, label, due in reminder_times(meeting, leads, BERLIN)}


def test_day_leads_keep_the_wall_clock_time_when_the_clocks_go_back():
    council = Meeting(area_key="pankstrasse", body="council", starts_at=berlin(2027, 10, 31, 18), place="x")
    assert council.starts_at == utc(2027, 10, 31, 17)                        # CET
    times = due_times(council)
    assert times["1d"] == utc(2027, 10, 30, 16)       # 18:00 CEST the day before: 25 hours earlier
    assert times["2h"] == utc(2027, 10, 31, 15)       # exactly two hours


def test_deadline_leads_fall_on_a_friendly_hour_or_count_back_from_the_end_of_the_day():
    jury = Meeting(area_key="pankstrasse", body="jury", starts_at=berlin(2027, 4, 14, 18), place="x",
                   deadline=berlin(2027, 4, 7, 23, 59))
    times = due_times(jury, sessions="", deadlines="3d,12h")
    assert times == {"dl3d": berlin(2027, 4, 4, 10), "dl12h": berlin(2027, 4, 7, 12)}
    council = Meeting(area_key="pankstrasse", body="council", starts_at=berlin(2027, 4, 14, 18), place="x",
                      deadline=berlin(2027, 4, 7, 23, 59))
    assert due_times(council, sessions="") == {}                              # only the jury has deadlines


@pytest.mark.parametrize(("typed", "expected"), [
    ("14.02.2027 18:00", utc(2027, 2, 14, 17)),
    ("14.2.2027 9:05", utc(2027, 2, 14, 8, 5)),
    ("2027-02-14 18:00", utc(2027, 2, 14, 17)),
    ("2027-02-14T18:00", utc(2027, 2, 14, 17)),
    ("14.02.2027, 18:00 Uhr", utc(2027, 2, 14, 17)),
    ("  14.02.2027   18:00 ", utc(2027, 2, 14, 17)),
    ("14.07.2027 18:00", utc(2027, 7, 14, 16)),                               # summer time
    ("31.10.2027 02:30", utc(2027, 10, 31, 0, 30)),                           # twice that night: the first
    ("14.02.27 18:00", utc(2027, 2, 14, 17)),                                 # the one staff grammar
    ("14.02.2027 18 Uhr", utc(2027, 2, 14, 17)),
    ("14.02. 18:00", utc(2027, 2, 14, 17)),                                   # the next 14 February
])
def test_dates_are_read_in_berlin_time(typed, expected):
    assert parse_datetime(typed, BERLIN, NOW) == expected


@pytest.mark.parametrize(("typed", "complaint"), [
    ("14/02/2027 18:00", "could not read"),
    ("14.02.2027", "could not read"),
    ("14.02.2027 18:00:00", "could not read"),
    ("morgen 18:00", "could not read"),
    ("30.02.2027 18:00", "not a valid date"),
    ("14.02.2027 24:00", "not a valid date"),
    ("28.03.2027 02:30", "clocks are put forward"),
    ("01.01.2027 18:00", "in the past"),
    ("14.02.2207 18:00", "more than two years ahead"),
])
def test_anything_else_is_refused_with_a_reason(typed, complaint):
    with pytest.raises(InputError, match=complaint):
        parse_datetime(typed, BERLIN, NOW)


async def test_next_jury_session_is_the_next_one_an_application_can_still_reach(dialogs, clock):
    clock.now = utc(2027, 2, 1, 12)
    await plan(dialogs, body="council", start=berlin(2027, 2, 5, 18))
    await plan(dialogs, body="jury", area="badstrasse", start=berlin(2027, 2, 6, 18))
    cancelled = await plan(dialogs, body="jury", start=berlin(2027, 2, 7, 18))
    async with dialogs.uow(0) as store:
        await cancel_session(dialogs, store, cancelled.id, clock.now)
        assert await store.meetings.next_jury_session("pankstrasse", clock.now) is None
    await plan(dialogs, body="jury", start=berlin(2027, 2, 10, 18), deadline=berlin(2027, 2, 3, 23, 59))
    later = await plan(dialogs, body="jury", start=berlin(2027, 5, 12, 18), deadline=berlin(2027, 5, 5, 23, 59))
    async with dialogs.uow(0) as store:
        first = await store.meetings.next_jury_session("pankstrasse", clock.now)
        assert first is not None and first.starts_at == berlin(2027, 2, 10, 18)
        assert first.deadline == berlin(2027, 2, 3, 23, 59)
        assert first.starts_at.tzinfo is not None
        # After the 3 February deadline, applications go to the May session.
        after = await store.meetings.next_jury_session("pankstrasse", utc(2027, 2, 4, 9))
        assert after is not None and after.starts_at == later.starts_at
        assert await store.meetings.next_jury_session("soldiner", clock.now) is None


async def test_configured_lead_times_are_used(db, clock):
    custom = build_dialogs(SqlUnitOfWork(db.sessions, db.addresses), load_catalogs(), clock=clock,
                           meeting_reminders="3h", deadline_reminders="none")
    resident = ChatClient(custom, chat_id=2024, language_code="en")
    await resident.onboard("en")
    await resident.presses("meet:on:jury:pankstrasse")
    await plan(custom, body="jury", start=berlin(2027, 3, 14, 18), deadline=berlin(2027, 3, 7, 23, 59))
    rows = await outbox(db, state="pending")
    assert [(r.key.split(":")[2], r.due_at) for r in rows] == [("3h", berlin(2027, 3, 14, 15))]



def test_every_language_renders_reminders_and_notices():
    """All ten catalogs (offered or not yet) fill every placeholder; Arabic starts right-to-left."""
    from dialogs.core.engine import Dialogs
    from dialogs.meetings.resident_flow import cancelled_notice, deadline_reminder, moved_notice, session_reminder
    from dialogs.core.text import plain
    from tests.fake_telegram import parse_html

    catalogs = load_catalogs(all_languages=True)
    app = Dialogs(uow=None, catalogs=catalogs)  # type: ignore[arg-type]
    jury = Meeting(id=7, area_key="pankstrasse", body="jury", starts_at=berlin(2027, 3, 14, 18),
                   ends_at=berlin(2027, 3, 14, 20), place="Vor-Ort-Büro", agenda={"de": "Anträge"},
                   agenda_url="https://example.org/a?b=1&c=2", deadline=berlin(2027, 3, 7, 23, 59))
    moved = replace(jury, starts_at=berlin(2027, 3, 21, 18), ends_at=None, revision=1)
    texts = {}
    for lang in catalogs.languages:
        t = app.translator(lang.code)
        replies = [session_reminder(t, jury, "QM Pankstraße"), deadline_reminder(t, jury, "QM Pankstraße"),
                   moved_notice(t, jury, moved, "QM Pankstraße"), cancelled_notice(t, jury, "QM Pankstraße")]
        for reply in replies:
            assert "{" not in reply.text and "QM Pankstraße" in reply.text, (lang.code, reply.text)
            parse_html(reply.text)                                   # Telegram would accept it
            assert reply.text.startswith("\u200f") == lang.rtl, lang.code
            assert [b.data for row in reply.buttons for b in row] == ["meet:unsub:jury:pankstrasse",
                                                                      "meet:view:pankstrasse"]
        assert "b=1&amp;c=2" in replies[0].text                     # the link is HTML-safe
        texts[lang.code] = plain(replies[0].text)
    assert len(set(texts.values())) == len(texts)                  # really ten different texts


async def test_every_language_walks_the_views_and_the_staff_flow_with_valid_html(db, clock):
    """Residents' views and the team's whole /newmeeting in each of the ten catalogs, as Telegram parses it."""
    from tests.fake_telegram import parse_html
    from tests.meeting_tools import add_staff, staff_in_group

    app = build_dialogs(SqlUnitOfWork(db.sessions, db.addresses), load_catalogs(all_languages=True), clock=clock)
    await plan(app, body="jury", start=berlin(2027, 3, 14, 18), end=berlin(2027, 3, 14, 20),
               agenda={"de": "Anträge <Sommer> & Herbst"}, agenda_url="https://example.org/?a=1&b=2",
               deadline=berlin(2027, 3, 7, 23, 59))
    await add_staff(db, 42, "Dana")
    for i, lang in enumerate(app.catalogs.languages):
        resident = ChatClient(app, chat_id=6000 + i, language_code=lang.code)
        answers = [await resident.onboard(lang.code), await resident.says("/meetings"),
                   await resident.presses("meet:area:pankstrasse"), await resident.presses("meet:on:jury:pankstrasse"),
                   await resident.presses("meet:unsub:jury:pankstrasse"), await resident.presses("meet:all:")]
        staff = staff_in_group(app, 42, language_code=lang.code)
        for step in ("/newmeeting", "meetstaff:body:jury", "meetstaff:area:pankstrasse", "14.13.2027 18:00",
                     "14.04.2027 18:00", "meetstaff:skip:end", "Vor-Ort-Büro", "Tagesordnung", "meetstaff:lang:en",
                     "Agenda", "meetstaff:skip:languages", "20.04.2027", "07.04.2027", "meetstaff:save:"):
            answers.append(await (staff.presses(step) if step.startswith("meetstaff:") else staff.says(step)))
        for answer in answers:
            for reply in answer.replies:
                assert "{" not in reply.text, (lang.code, reply.text)
                if reply.text:
                    parse_html(reply.text)
        assert "/cancelmeeting" in answers[-1].text, (lang.code, answers[-1].text)   # saved


async def test_many_messages_at_once_keep_keys_unique(dialogs, db):
    from dialogs.core.messages import Reply
    from dialogs.core.ports import Outgoing

    async with dialogs.uow(0) as store:
        await store.outbox.enqueue(1, Reply("first"), key="k:1")
        added = await store.outbox.enqueue_many([Outgoing(1, Reply("again"), key="k:1"),
                                                 Outgoing(2, Reply("new"), key="k:2"),
                                                 Outgoing(2, Reply("twice"), key="k:2"),
                                                 Outgoing(3, Reply("no key"))])
    assert added == 2
    assert [(r.chat_id, r.key, r.text) for r in await outbox(db)] == [(1, "k:1", "first"), (2, "k:2", "new"),
                                                                      (3, "", "no key")]

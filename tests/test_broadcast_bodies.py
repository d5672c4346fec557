"""Broadcasts to the subscribers of a Quartiersrat or an Aktionsfondsjury (the meetings feature's audience).

Residents subscribe the way they do in the chat (/meetings, "Remind me"); the team writes the broadcast
in the staff chat or with `kiezbot broadcast --body`; the delivery engine sends it. Only subscribers of
that body (and area) get it — not those who blocked kiezbot, not those who erased their data.
"""
from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select, update

from storage.broadcasts import BroadcastRow
from storage.models import ResidentRow
from storage.personal_data import SqlPersonalData
from tests.chat import ChatClient
from tests.test_broadcast import STAFF_CHAT, Recorder, delivery, staff, team  # noqa: F401  (fixture)

COUNCIL_PANK = {3001, 3002, 3003}      # subscribed to the Quartiersrat Pankstraße (3003 blocks kiezbot later)


@pytest.fixture
async def subscribers(dialogs, db, clock):
    """3001 (de) and 3002 (en): council Pankstraße; 3003: council Pankstraße but blocked kiezbot;
    3004: council Badstraße; 3005: jury Pankstraße; 3006: council Pankstraße, then erased its data;
    3007: a resident of Pankstraße subscribed to nothing."""
    plan = {3001: ("de", [("council", "pankstrasse")]), 3002: ("en", [("council", "pankstrasse")]),
            3003: ("de", [("council", "pankstrasse")]), 3004: ("de", [("council", "badstrasse")]),
            3005: ("tr", [("jury", "pankstrasse")]), 3006: ("de", [("council", "pankstrasse")]),
            3007: ("de", [])}
    for chat_id, (language, topics) in plan.items():
        client = ChatClient(dialogs, chat_id=chat_id, language_code=language)
        await client.onboard(language)
        for body, area in topics:
            answer = await client.presses(f"meet:on:{body}:{area}")
            assert answer.toast and "🔔" in answer.toast
    async with db.sessions() as session, session.begin():
        await session.execute(update(ResidentRow).where(ResidentRow.chat_id == 3007).values(area_key="pankstrasse"))
        await session.execute(update(ResidentRow).where(ResidentRow.chat_id == 3003).values(unreachable_at=clock()))
        await SqlPersonalData(session).erase(3006, clock())


async def test_staff_broadcast_to_the_council_subscribers_of_one_area(team, db, clock, subscribers):
    dana = staff(team)
    answer = await dana.says("/broadcast")
    assert "Subscribers: Neighbourhood council (Quartiersrat)" in answer.buttons
    assert "Subscribers: Action fund jury (Aktionsfondsjury)" in answer.buttons
    answer = await dana.taps("Subscribers: Neighbourhood council")
    assert "Subscribers of which area?" in answer.text and "All areas" in answer.buttons
    answer = await dana.taps("QM Pankstraße")
    assert "subscribers of the Neighbourhood council (Quartiersrat) in QM Pankstraße" in answer.text
    await dana.says("Die Sitzung am Dienstag beginnt erst um 19 Uhr.")
    preview = await dana.taps("Preview")
    assert ("It goes to 2 residents: subscribers of the Neighbourhood council (Quartiersrat) in QM Pankstraße."
            in preview.text)
    assert "1 of them gets the German text" in preview.text            # the English subscriber
    sent = await dana.taps("Send to 2 residents")
    assert "going out to 2 residents" in sent.text

    recorder = Recorder()
    await delivery(db, team, clock, recorder).drain()
    assert set(recorder.inbox) == {3001, 3002, STAFF_CHAT}
    assert recorder.texts(3001)[0].endswith("Die Sitzung am Dienstag beginnt erst um 19 Uhr.")
    assert "only available in German" in recorder.texts(3002)[0]
    [report] = recorder.texts(STAFF_CHAT)
    assert "Delivered: 2" in report
    async with db.sessions() as session:
        row = (await session.execute(select(BroadcastRow))).scalar_one()
    assert (row.audience, row.total) == ("body:council:pankstrasse", 2)


async def test_staff_broadcast_to_the_jury_subscribers_of_all_areas(team, db, clock, subscribers):
    dana = staff(team)
    await dana.says("/broadcast")
    await dana.taps("Subscribers: Action fund jury")
    await dana.taps("All areas")
    await dana.says("Neue Frist für Anträge: 7. Februar.")
    preview = await dana.taps("Preview")
    assert "It goes to 1 resident: subscribers of the Action fund jury (Aktionsfondsjury)." in preview.text
    await dana.taps("Send to 1 resident")
    recorder = Recorder()
    await delivery(db, team, clock, recorder).drain()
    assert set(recorder.inbox) == {3005, STAFF_CHAT}
    assert "yalnızca Almanca" in recorder.texts(3005)[0]


async def test_nobody_subscribed_means_no_send_button(team, db, subscribers):
    dana = staff(team)
    await dana.says("/broadcast")
    await dana.taps("Subscribers: Action fund jury")
    await dana.taps("QM Badstraße")
    await dana.says("Hallo Jury")
    answer = await dana.taps("Preview")
    assert "Nobody would receive this" in answer.text
    assert not any(label.startswith("Send") for label in answer.buttons)


async def test_an_unsubscribed_resident_is_no_longer_in_the_audience(team, db, dialogs, subscribers):
    await ChatClient(dialogs, chat_id=3002, language_code="en").presses("meet:off:council:pankstrasse")
    dana = staff(team)
    await dana.says("/broadcast")
    await dana.taps("Subscribers: Neighbourhood council")
    await dana.taps("QM Pankstraße")
    await dana.says("Hallo")
    assert "It goes to 1 resident:" in (await dana.taps("Preview")).text


async def test_the_command_line_broadcasts_to_the_subscribers_of_a_body(team, db, clock, subscribers, monkeypatch,
                                                                        capsys):
    from bot.cli import main

    monkeypatch.setenv("KIEZBOT_DATABASE_URL", db.url)
    monkeypatch.delenv("KIEZBOT_BOT_TOKEN", raising=False)   # queued here; the delivery engine below sends it
    code = await asyncio.to_thread(main, ["broadcast", "--body", "council", "--area", "pankstrasse",
                                          "--text-de", "Sitzung erst um 19 Uhr",
                                          "--text-en", "The session starts at 7 pm", "--yes"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "Audience: subscribers of the Quartiersrat (council), area pankstrasse — 2 resident(s)" in out
    assert "0 get the German text" in out and "is queued" in out

    code = await asyncio.to_thread(main, ["broadcast", "--body", "jury", "--all", "--text-de", "Frist verlängert",
                                          "--yes"])
    out = capsys.readouterr().out
    assert code == 0 and "Audience: subscribers of the Aktionsfondsjury (jury), all areas — 1 resident(s)" in out

    recorder = Recorder()
    await delivery(db, team, clock, recorder).drain()
    assert set(recorder.inbox) == {3001, 3002, 3005}
    assert recorder.texts(3002)[0].endswith("The session starts at 7 pm")
    assert recorder.texts(3005)[0].endswith("Frist verlängert")


async def test_the_command_line_refuses_an_unknown_body_in_one_line(db, monkeypatch, capsys):
    from bot.cli import main

    monkeypatch.setenv("KIEZBOT_DATABASE_URL", db.url)
    code = await asyncio.to_thread(main, ["broadcast", "--body", "senate", "--all", "--text-de", "x", "--yes"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "--body: 'senate' is not one of" in err
    code = await asyncio.to_thread(main, ["broadcast", "--body", "jury", "--text-de", "x", "--yes"])
    err = capsys.readouterr().err
    assert code == 2 and "--area KEY or --all" in err


async def test_the_command_line_schedules_a_broadcast_with_at(team, db, clock, subscribers, monkeypatch, capsys):
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from bot.cli import main

    monkeypatch.setenv("KIEZBOT_DATABASE_URL", db.url)
    monkeypatch.delenv("KIEZBOT_BOT_TOKEN", raising=False)
    code = await asyncio.to_thread(main, ["broadcast", "--all", "--text-de", "x", "--at", "gestern", "--yes"])
    assert code == 2 and "--at: 'gestern' is no date and time" in capsys.readouterr().err
    when = datetime.now(ZoneInfo("Europe/Berlin")) + timedelta(days=3)
    code = await asyncio.to_thread(main, ["broadcast", "--body", "jury", "--all", "--text-de", "Frist verlängert",
                                          "--at", f"{when:%d.%m.%Y} 18:00", "--yes"])
    out = capsys.readouterr().out
    assert code == 0 and f"is scheduled for {when:%d.%m.%Y} 18:00 (Europe/Berlin)" in out

    recorder = Recorder()
    await delivery(db, team, clock, recorder).drain()
    assert recorder.inbox == {}                                   # the test's clock is before that time
    clock.advance(days=30)
    await delivery(db, team, clock, recorder).drain()
    assert set(recorder.inbox) == {3005}

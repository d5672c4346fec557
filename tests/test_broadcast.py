"""Broadcasts written in the staff chat: audience, texts per language, preview, send, progress, stop."""
from __future__ import annotations

import asyncio
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.delivery.broadcasts import BroadcastSteps
from bot.delivery.outbox_sender import DeliveryEngine
from bot.delivery.ratelimit import Limits, RateLimiter
from dialogs.core.messages import Reply
from dialogs.core.text import plain
from storage.broadcasts import BroadcastJobs, BroadcastRow
from storage.models import OutboxRow, ResidentRow
from tests.chat import ChatClient
from tests.staff_tools import STAFF_CHAT, add_staff, staff_in_group


class Recorder:
    """A sender that remembers what each chat received (as the resident would read it)."""

    def __init__(self) -> None:
        self.inbox: dict[int, list[Reply]] = {}

    def plan(self, reply: Reply):
        async def send(chat_id: int) -> int:
            self.inbox.setdefault(chat_id, []).append(reply)
            return len(self.inbox[chat_id])
        return [send]

    def texts(self, chat_id: int) -> list[str]:
        return [plain(r.text) for r in self.inbox.get(chat_id, [])]


@pytest.fixture
async def team(staffed, db):
    """Dana (42) and Eli (43) on the team."""
    await add_staff(db, 42, "Dana")
    await add_staff(db, 43, "Eli")
    return staffed


def staff(dialogs, user_id: int = 42, name: str = "Dana") -> ChatClient:
    """A team member with English Telegram in the staff group."""
    return staff_in_group(dialogs, user_id, "en", name=name)


@pytest.fixture
async def residents(db, clock):
    """Pankstraße: German, English, Turkish (no translation offered) readers; plus people not to reach."""
    async with db.sessions() as session, session.begin():
        session.add_all([
            ResidentRow(chat_id=2001, language="de", consent_at=clock(), area_key="pankstrasse"),
            ResidentRow(chat_id=2002, language="en", consent_at=clock(), area_key="pankstrasse"),
            ResidentRow(chat_id=2003, language="tr", consent_at=clock(), area_key="pankstrasse"),
            ResidentRow(chat_id=2004, language="de", consent_at=clock(), area_key="badstrasse"),
            ResidentRow(chat_id=2005, language="de", consent_at=None, area_key="pankstrasse"),      # no consent
            ResidentRow(chat_id=2006, language="de", consent_at=clock(), area_key="pankstrasse",
                        unreachable_at=clock()),                                                 # blocked us
        ])


def delivery(db, dialogs, clock, sender=None) -> DeliveryEngine:
    async def no_wait(seconds: float) -> None:
        clock.advance(seconds=max(0.0, seconds))
        await asyncio.sleep(0)
    return DeliveryEngine(db.sessions, sender or Recorder(), RateLimiter(Limits(1000, 1000, 60000)), clock=clock,
                          sleep=no_wait, broadcasts=BroadcastSteps(db.sessions, dialogs))


async def write_broadcast(dana: ChatClient) -> None:
    await dana.says("/broadcast")
    await dana.taps("QM Pankstraße")
    await dana.says("Am Samstag ist Kiezfest auf dem Nettelbeckplatz! <Eintritt frei>")
    await dana.taps("Add English")
    await dana.says("Street party on Saturday at Nettelbeckplatz!")
    await dana.taps("Preview")


async def test_staff_write_preview_and_send_a_broadcast_in_two_languages(team, db, clock, residents):
    dana = staff(team)
    answer = await dana.says("/broadcast")
    assert "Who should receive it?" in answer.text
    assert answer.buttons[:2] == ["Everyone", "QM Pankstraße"]
    answer = await dana.taps("QM Pankstraße")
    assert "residents of QM Pankstraße" in answer.text and "German" in answer.text
    answer = await dana.says("Am Samstag ist Kiezfest auf dem Nettelbeckplatz! <Eintritt frei>")
    assert "Saved the Deutsch text" in answer.text and "Add English" in answer.buttons
    await dana.taps("Add English")
    answer = await dana.says("Street party on Saturday at Nettelbeckplatz!")
    assert "Versions so far: Deutsch, English" in answer.text
    preview = await dana.taps("Preview")
    assert "Preview, Deutsch:" in preview.text and "<Eintritt frei>" in preview.text
    assert "Eine Nachricht von Ihrem Quartiersmanagement" in preview.text     # header as German readers see it
    assert "Preview, English:" in preview.text and "A message from your neighbourhood management team" in preview.text
    assert "It goes to 3 residents: residents of QM Pankstraße." in preview.text
    assert "1 of them gets the German text" in preview.text
    sent = await dana.taps("Send to 3 residents")
    assert "Broadcast #" in sent.text and "going out to 3 residents" in sent.text
    assert any(label.startswith("Stop broadcast") for label in sent.buttons)

    recorder = Recorder()
    await delivery(db, team, clock, recorder).drain()
    assert recorder.texts(2001)[0].endswith("Am Samstag ist Kiezfest auf dem Nettelbeckplatz! <Eintritt frei>")
    assert recorder.texts(2002)[0].endswith("Street party on Saturday at Nettelbeckplatz!")
    assert "yalnızca Almanca" in recorder.texts(2003)[0]          # no Turkish version: German, said in Turkish
    assert all(chat not in recorder.inbox for chat in (2004, 2005, 2006))
    [report] = recorder.texts(STAFF_CHAT)
    assert "is finished" in report and "Delivered: 3" in report and "Failed: 0" in report
    async with db.sessions() as session:
        row = (await session.execute(select(BroadcastRow))).scalar_one()
    assert (row.state, row.total, row.final_counts) == ("done", 3, {"sent": 3})


async def test_a_double_tap_on_send_sends_once(team, db, residents):
    dana = staff(team)
    await write_broadcast(dana)
    data = dana.last.button_data()["Send to 3 residents"]
    first, second = await asyncio.gather(dana.presses(data), dana.presses(data))
    assert sum("going out" in a.text for a in (first, second)) == 1
    assert any(a.toast and "no longer valid" in a.toast for a in (first, second))
    async with db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(BroadcastRow)) == 1


async def test_another_team_member_cannot_send_someone_elses_preview(team, db, residents):
    dana, eli = staff(team), staff(team, 43, "Eli")
    await write_broadcast(dana)
    answer = await eli.presses(dana.last.button_data()["Send to 3 residents"])
    assert answer.toast and "no longer valid" in answer.toast
    async with db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(BroadcastRow)) == 0


async def test_stop_is_decided_once_and_nothing_more_goes_out(team, db, clock, residents):
    dana, eli = staff(team), staff(team, 43, "Eli")
    await write_broadcast(dana)
    sent = await dana.taps("Send to 3 residents")
    stop = sent.button_data()[next(b for b in sent.buttons if b.startswith("Stop"))]
    recorder = Recorder()
    engine = delivery(db, team, clock, recorder)
    await engine.broadcasts.step(clock())                     # queued -> 3 outbox rows
    a, b = await asyncio.gather(dana.presses(stop), eli.presses(stop))
    assert sum("stopped" in x.text for x in (a, b)) == 1
    assert sum(bool(x.toast and "already" in x.toast) for x in (a, b)) == 1
    await engine.drain()
    assert set(recorder.inbox) == {STAFF_CHAT}
    [report] = recorder.texts(STAFF_CHAT)
    assert "was stopped by" in report and "Not sent because of the stop: 3" in report


async def test_a_resident_cannot_stop_a_broadcast(team, db, english):
    answer = await english.presses("bcast:stop:1")
    assert answer.toast and "Only the neighbourhood team" in answer.toast


async def test_wrong_input_gets_a_clear_answer(team, db, residents):
    dana = staff(team)
    await dana.says("/broadcast")
    assert "choose who should receive it" in (await dana.says("everyone please")).text
    await dana.taps("Everyone")
    assert "as text" in (await dana.sends("photo", file_id="AgAD")).text
    answer = await dana.says("x" * 5000)
    assert "at most" in answer.text and "shorter" in answer.text
    assert "Saved the Deutsch text" in (await dana.says("Kurz und gut.")).text
    assert "no longer valid" in (await dana.presses("bcast:aud:area:atlantis")).toast
    assert "no longer valid" in (await dana.presses("bcast:send:forged")).toast


async def test_nobody_to_reach_means_no_send_button(team, db, residents):
    dana = staff(team)
    await dana.says("/broadcast")
    await dana.taps("QM Soldiner")
    await dana.says("Hallo")
    answer = await dana.taps("Preview")
    assert "Nobody would receive this" in answer.text
    assert not any(label.startswith("Send") for label in answer.buttons)


async def test_progress_is_reported_once_per_milestone(team, db, clock, residents):
    jobs = BroadcastJobs(db.sessions)
    async with db.sessions() as session, session.begin():
        row = BroadcastRow(audience="all", texts={"de": "Hallo"}, language="en", created_by=42,
                           report_chat_id=STAFF_CHAT, created_at=clock())
        session.add(row)
    steps = BroadcastSteps(db.sessions, team)
    await steps.step(clock())
    async with db.sessions() as session, session.begin():       # two of four delivered
        for out in (await session.execute(select(OutboxRow).where(OutboxRow.broadcast_id == row.id)
                                          .order_by(OutboxRow.id).limit(2))).scalars():
            out.state = "sent"
    assert await steps.step(clock()) is True
    assert await steps.step(clock()) is False                 # 50 % again: not repeated
    async with db.sessions() as session:
        reports = (await session.execute(select(OutboxRow).where(OutboxRow.purpose == "broadcast-report"))).scalars()
        [report] = list(reports)
    assert "2 of 4 messages handled (50 %)" in plain(report.payload["text"])
    assert (await jobs.get(row.id)).state == "sending"


async def test_the_terminal_user_sees_their_own_outbox_messages_only(team, db, clock, tmp_path):
    import io

    from bot.cli.serve import terminal_delivery
    from bot.terminal import TerminalChat

    out = io.StringIO()
    chat = TerminalChat(team, chat_id=1, language_code="en", out=out, files_dir=tmp_path)
    runtime = type("Runtime", (), {"sessions": db.sessions, "dialogs": team})()
    engine = terminal_delivery(runtime, chat)
    chat.after_exchange = engine.drain
    await chat.quick_start("en")
    async with db.sessions() as session, session.begin():
        from storage.repositories import SqlOutbox
        outbox = SqlOutbox(session)
        await outbox.enqueue(1, Reply(text="Reminder: council meets tomorrow"), due_at=clock())
        await outbox.enqueue(1, Reply(text="Next week's reminder"), due_at=clock() + timedelta(days=7))
        await outbox.enqueue(2, Reply(text="For someone else"), due_at=clock())
    await chat.send("/menu")
    assert "Reminder: council meets tomorrow" in out.getvalue()
    assert "Next week's reminder" not in out.getvalue() and "For someone else" not in out.getvalue()
    async with db.sessions() as session:
        states = dict((await session.execute(select(OutboxRow.chat_id, OutboxRow.state)
                                             .where(OutboxRow.chat_id == 2))).all())
    assert states == {2: "pending"}
    await engine.close()


def test_arabic_readers_get_right_to_left_broadcasts_and_reports(team):
    from datetime import datetime, timezone

    from dialogs.broadcasts.staff_flow import final_message, progress_message, resident_message
    from dialogs.broadcasts.sending import Audience, BroadcastInfo
    from tests.test_rtl import rtl_problems

    t = team.translator("ar")
    info = BroadcastInfo(id=7, audience=Audience("all"), texts={"de": "x"}, state="stopped", total=10,
                         language="ar", report_chat_id=STAFF_CHAT, created_by=42,
                         created_at=datetime(2026, 11, 24, tzinfo=timezone.utc),
                         counts={"sent": 4, "failed": 1, "blocked": 2, "cancelled": 3}, stopped_by="Dana Schmidt")
    messages = [resident_message(t, "Kiezfest am Samstag!\nAlle sind eingeladen.", fallback=True),
                progress_message(t, info), final_message(t, info)]
    for reply in messages:
        text = team.finalise(reply, t).text
        assert rtl_problems(text) == [], text


async def test_a_broadcast_can_be_scheduled_and_goes_out_only_then_to_who_is_in_the_audience_then(
        team, db, clock, residents):
    dana = staff(team)
    await write_broadcast(dana)
    ask = await dana.taps("Send later")
    assert "When should it go out?" in ask.text and "(Berlin time)" in ask.text
    wrong = await dana.says("gestern")
    assert "in the future" in wrong.text
    past = await dana.says("01.01.2020 18:00")
    assert "in the future" in past.text
    when = clock().astimezone(ZoneInfo("Europe/Berlin")) + timedelta(days=2)
    planned = await dana.says(f"{when:%d.%m.%Y} 18:00")
    assert f"goes out on {when:%A}" in planned.text and "at 6:00" in planned.text   # the staff member's language
    assert "3 residents as of now" in planned.text
    assert any(label.startswith("Stop broadcast") for label in planned.buttons)

    recorder = Recorder()
    await delivery(db, team, clock, recorder).drain()
    assert recorder.inbox == {}                                   # not yet
    async with db.sessions() as session, session.begin():         # someone new moves into the area meanwhile
        session.add(ResidentRow(chat_id=2007, language="de", consent_at=clock(), area_key="pankstrasse"))
    clock.advance(days=2, hours=12)
    await delivery(db, team, clock, recorder).drain()
    assert {chat for chat in recorder.inbox if chat != STAFF_CHAT} == {2001, 2002, 2003, 2007}


async def test_a_scheduled_broadcast_can_be_stopped_before_it_goes_out(team, db, clock, residents):
    dana = staff(team)
    await write_broadcast(dana)
    await dana.taps("Send later")
    when = clock().astimezone(ZoneInfo("Europe/Berlin")) + timedelta(days=1)
    await dana.says(f"{when:%d.%m.%Y} 09:30")
    stopped = await dana.taps("Stop broadcast")
    assert "stopped" in stopped.text
    clock.advance(days=2)
    recorder = Recorder()
    await delivery(db, team, clock, recorder).drain()
    assert all(chat == STAFF_CHAT for chat in recorder.inbox)    # at most the team's final report

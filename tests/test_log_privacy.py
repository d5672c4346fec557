"""Logs as `kiezbot run` writes them name people by pseudonym, never by id, number or what they typed.

The flows run through aiogram against the fake Bot API with the logging of `kiezbot run` (its
configuration, the secrets' and the update's redaction, the middleware that carries the update into
every line); they log warnings and errors — a flow that crashes on what a resident typed (the traceback
repeats the text), a resident trying a team command, a stranger pressing a card button in the staff
group, a team member pressing a forged button — and the captured log must not contain a raw chat id,
the phone number or the message text. APScheduler's per-second INFO lines are gone; its errors are not.
"""
from __future__ import annotations

import asyncio
import io
import logging
import sys

import pytest

from bot.logformat import configure_logging, update_context
from bot.logredact import redact_secrets, stop_redacting
from bot.telegram import TelegramTransport, build_dispatcher, make_bot
from dialogs.core import logsafe
from dialogs.app import build_dialogs
from locales import load_catalogs
from storage.privacy import load_pseudonym_key, pseudonym_with
from storage.unit_of_work import SqlUnitOfWork
from tests.fake_telegram import FakeTelegram
from tests.staff_tools import add_staff

RESIDENT, DANA, STRANGER, STAFF_GROUP = 918273645501, 918273645502, 918273645503, -100918
PHONE = "0176 5550 9731"
TYPED = f"Mein Name ist Quokka Zyxwasdottir, {PHONE}"


@pytest.fixture
def production_logging(monkeypatch):
    """`kiezbot run`'s logging (text format, INFO) on standard error, captured; restored afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    stream = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    configure_logging("INFO", "text", "test-1")
    yield stream.getvalue
    stop_redacting()
    logsafe.use(None)
    for name in ("apscheduler", "aiogram.event"):
        logging.getLogger(name).setLevel(logging.NOTSET)
    root.handlers[:] = handlers
    root.setLevel(level)


async def test_warnings_and_errors_of_flows_name_nobody(db, clock, production_logging):
    dialogs = build_dialogs(SqlUnitOfWork(db.sessions, db.addresses), load_catalogs(), clock=clock,
                            staff_chat_id=STAFF_GROUP)

    async def count_people(ctx):                     # a flow with a bug: int() of what the resident typed
        ctx.say(str(int(ctx.inbound.text) + 1))

    async def ask(ctx):
        ctx.goto("buggy.count")
        ctx.say("How many?")
    dialogs.command("buggy", ask)
    dialogs.step("buggy", count_people)
    await add_staff(db, DANA, "Dana")
    key = await load_pseudonym_key(db.sessions)              # as every entry point does at start-up
    logsafe.use(lambda chat_id: pseudonym_with(key, chat_id))

    async with FakeTelegram() as tg:
        redact_secrets(tg.token)
        bot = make_bot(tg.token, tg.base_url)
        dp = build_dispatcher(TelegramTransport(bot, dialogs))
        dp.update.outer_middleware(update_context())
        polling = asyncio.create_task(dp.start_polling(bot, handle_signals=False, close_bot_session=False,
                                                       polling_timeout=1))
        try:
            ada = tg.user(RESIDENT, "Quokka", last_name="Zyxwasdottir", language_code="de")
            dana, stranger = tg.user(DANA, "Dana"), tg.user(STRANGER, "Nosy")
            group = tg.group(STAFF_GROUP, "QM Team", members=[dana, stranger])
            await ada.send("/start")
            await ada.press(await ada.wait_message(10), "lang:de")
            await ada.press(await ada.wait_message(10), "consent:yes")
            await ada.wait_message(10)
            await ada.send("/buggy")
            await ada.wait_message(10)
            await ada.send(TYPED)                                    # the flow fails on it
            sorry = await ada.wait_messages(2, timeout=10)
            assert "Entschuldigung" in sorry[0].text
            await ada.send("/queue")                                 # a team command, from a resident
            assert "Nur das Team" in (await ada.wait_message(10)).text
            await group.send("/stats", user=stranger)                # a stranger in the staff group
            await group.wait_message(10)
            await dana.send("/queue")                                # Dana's queue is empty; now a forged press
            queue = await dana.wait_message(10)
            forged = {"id": "1", "from": dana.user, "data": "mod:ok:999:1", "chat_instance": "1",
                      "message": queue.to_json()}
            pressed = await tg.send_update({"callback_query": forged})
            await pressed.callback.wait_answered(10) if pressed.callback else await asyncio.sleep(1)
        finally:
            await dp.stop_polling()
            await asyncio.wait_for(polling, 10)
            await bot.session.close()

    log = production_logging()
    assert "flow failed for chat r-" in log and "ValueError" in log          # the bug is there to fix …
    assert "non-staff user r-" in log and "staff r-" in log                 # … and so are the warnings
    for secret in (str(RESIDENT), str(DANA), str(STRANGER), PHONE, TYPED, "Zyxwasdottir"):
        assert secret not in log, f"{secret!r} in the log:\n{log}"


async def test_apscheduler_says_nothing_per_tick_but_reports_a_failing_job(production_logging):
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    ran = asyncio.Event()

    async def tick() -> None:
        ran.set()

    async def broken() -> None:
        raise RuntimeError("the job broke")

    scheduler = AsyncIOScheduler()
    scheduler.add_job(tick, "interval", seconds=0.1, id="deliver")
    scheduler.add_job(broken, "interval", seconds=0.1, id="broken")
    scheduler.start()
    try:
        await asyncio.wait_for(ran.wait(), 5)
        await asyncio.sleep(0.5)
    finally:
        scheduler.shutdown(wait=False)
    log = production_logging()
    assert "Running job" not in log and "executed successfully" not in log
    assert "the job broke" in log                                              # errors still come through

"""Issue 15: >= 3,000 hypothesis-generated interactions through the fake Telegram against the real
dispatcher (aiogram polling, kiezbot's transport, flows, SQL) — and not one traceback.

Each example is a new resident (new chat id, random Telegram language; some onboarded, one in ten a
team member) who does ``STEPS`` random things: texts (HTML, formulas, emoji, right-to-left, 5,000
characters), every registered command with random arguments, presses of the buttons kiezbot just
showed, forged callback data on kiezbot's messages, photos, voice notes, files, locations, stickers.
A log handler on the root logger fails the test on any ERROR record that carries a traceback (the
engine's "flow failed", aiogram's "Failed to process update", a crash while sending) and on every
"Telegram refused a reply" (kiezbot sent something Telegram does not accept).

Default: 300 examples x 10 steps = 3,000 interactions (~2 min on a laptop). More:
``KIEZBOT_FUZZ_EXAMPLES=3000 python -m pytest -q tests/test_fuzz_telegram.py`` (30,000 interactions).
"""
from __future__ import annotations

import asyncio
import itertools
import logging
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.telegram import TelegramTransport, build_dispatcher, make_bot
from dialogs.app import build_dialogs
from locales import load_catalogs
from storage.models import StaffRow
from storage.unit_of_work import SqlUnitOfWork
from tests.fake_telegram import FakeTelegram
from tests.test_fuzz_dialogs import SHORT, TEXTS

EXAMPLES = int(os.environ.get("KIEZBOT_FUZZ_EXAMPLES", "300"))
STEPS = 10
CATALOGS = load_catalogs(all_languages=True)
LANGUAGES = [lang.code for lang in CATALOGS.languages]
USERS = itertools.count(8_100_000_000)
STAFF_GROUP = -100777


class Tracebacks(logging.Handler):
    """Every ERROR with a traceback, and every reply Telegram refused."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info or "Telegram refused" in record.getMessage():
            self.records.append(record)

    def first(self) -> str:
        record = self.records[0]
        return record.getMessage() + "\n" + (logging.Formatter().formatException(record.exc_info)
                                             if record.exc_info else "")


class Kiezbot:
    """kiezbot behind the fake Telegram; ``handled`` holds the ids of the updates the dispatcher finished."""

    def __init__(self, tg: FakeTelegram, dialogs) -> None:
        self.tg, self.dialogs = tg, dialogs
        self.handled: set[int] = set()
        self.changed = asyncio.Event()
        self.interactions = 0
        self.commands = sorted(set(dialogs.commands) | set(dialogs.staff_commands) | {"frobnicate"})
        self.prefixes = sorted(set(dialogs.buttons) | set(dialogs.staff_buttons) | {"nope"})

    async def middleware(self, handler, event, data):  # noqa: ANN001 — aiogram's outer middleware signature
        try:
            return await handler(event, data)
        finally:
            self.handled.add(event.update_id)
            self.changed.set()

    async def done(self, update_id: int) -> None:
        async def wait() -> None:
            while update_id not in self.handled:
                self.changed.clear()
                await self.changed.wait()
        await asyncio.wait_for(wait(), 20)
        self.interactions += 1


@pytest.fixture
async def kiezbot(db, clock):
    dialogs = build_dialogs(SqlUnitOfWork(db.sessions, db.addresses), CATALOGS, clock=clock,
                            staff_chat_id=STAFF_GROUP)
    failures = Tracebacks()
    logging.getLogger().addHandler(failures)
    async with FakeTelegram() as tg:
        bot = make_bot(tg.token, tg.base_url)
        dp = build_dispatcher(TelegramTransport(bot, dialogs))
        app = Kiezbot(tg, dialogs)
        dp.update.outer_middleware(app.middleware)
        polling = asyncio.create_task(dp.start_polling(bot, handle_signals=False, close_bot_session=False,
                                                       polling_timeout=1))
        app.db, app.failures = db, failures
        try:
            yield app
        finally:
            await dp.stop_polling()
            await asyncio.wait_for(polling, 10)
            await bot.session.close()
            logging.getLogger().removeHandler(failures)
    assert app.interactions >= EXAMPLES * STEPS, f"only {app.interactions} interactions"


def steps():
    forged = st.one_of(st.text(st.characters(max_codepoint=0x7FF), min_size=1, max_size=30),
                       st.tuples(st.integers(0, 200), st.sampled_from(["", "x", "0", "-1", "999999", "yes", "ok"]),
                                 st.integers(-5, 10**12)))
    return st.one_of(
        st.tuples(st.just("text"), TEXTS),
        st.tuples(st.just("command"), st.integers(0, 10**6), SHORT),
        st.tuples(st.just("press"), st.integers(0, 50)),
        st.tuples(st.just("press"), st.integers(0, 50)),
        st.tuples(st.just("press"), st.integers(0, 50)),
        st.tuples(st.just("forged"), forged),
        st.tuples(st.just("photo"), SHORT),
        st.tuples(st.just("voice"), st.integers(0, 600)),
        st.tuples(st.just("document"), st.sampled_from(["a.pdf", "x.exe", "", "ü.txt"])),
        st.tuples(st.just("location"), st.floats(-90, 90), st.floats(-180, 180)),
        st.tuples(st.just("sticker")),
    )


def clip(data: str) -> str:
    while len(data.encode()) > 64:
        data = data[:-1]
    return data or "x"


async def act(app: Kiezbot, user, step) -> None:
    kind = step[0]
    newest = next((m for m in reversed(user.inbox) if m.buttons and not m.deleted), None)
    if kind == "text":
        delivered = await user.send(step[1][:4096] or ".")
    elif kind == "command":
        delivered = await user.send(f"/{app.commands[step[1] % len(app.commands)]} {step[2]}".strip())
    elif kind == "press" and newest is not None:
        offered = [b["callback_data"] for row in (newest.reply_markup or {}).get("inline_keyboard") or [] for b in row
                   if "callback_data" in b]
        delivered = await user.press(newest, offered[step[1] % len(offered)]) if offered else await user.send("/menu")
    elif kind == "press":
        delivered = await user.send("/start")
    elif kind == "forged":
        value = step[1]
        data = clip(value if isinstance(value, str)
                    else f"{app.prefixes[value[0] % len(app.prefixes)]}:{value[1]}:{value[2]}")
        target = newest or next((m for m in reversed(user.inbox) if not m.deleted), None)
        if target is None:
            delivered = await user.send("/start")
        else:
            delivered = await app.tg.send_update({"callback_query": {
                "id": f"forged{next(USERS)}", "from": user.user, "message": target.to_json(), "data": data,
                "chat_instance": "fuzz"}})
    elif kind == "photo":
        delivered = await user.send_photo(caption=step[1] or None)
    elif kind == "voice":
        delivered = await user.send_voice(duration=step[1])
    elif kind == "document":
        delivered = await user.send_document(filename=step[1] or "file.bin")
    elif kind == "location":
        delivered = await user.send_location(step[1], step[2])
    else:
        delivered = await user.send_sticker()
    await app.done(delivered.update_id)


@settings(max_examples=EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(data=st.data(), language=st.sampled_from(LANGUAGES),
       telegram_code=st.sampled_from([*LANGUAGES, "en-GB", "ar-SA", "pt-br", "", None]),
       onboarded=st.booleans(), staff=st.integers(0, 9))
async def test_thousands_of_random_interactions_through_telegram_leave_no_traceback(kiezbot, data, language,
                                                                                  telegram_code, onboarded, staff):
    app = kiezbot
    user_id = next(USERS)
    if staff == 0:                                   # one in ten is a team member
        async with app.db.sessions() as session, session.begin():
            session.add(StaffRow(user_id=user_id, name="Fuzzy Staff"))
    user = app.tg.user(user_id, "Fuzz <b>&", language_code=telegram_code)
    if onboarded:
        await app.done((await user.send("/start")).update_id)
        if any(data == f"lang:{language}" for m in user.inbox for row in m.buttons for _, data in row):
            await app.done((await user.press(None, f"lang:{language}")).update_id)
        if any(data == "consent:yes" for m in user.inbox for row in m.buttons for _, data in row):
            await app.done((await user.press(None, "consent:yes")).update_id)
    for step in data.draw(st.lists(steps(), min_size=STEPS, max_size=STEPS), label="steps"):
        await act(app, user, step)
        assert not app.failures.records, app.failures.first()

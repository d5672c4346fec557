"""End to end on (fake) Telegram: a team member broadcasts from the staff group through the real
aiogram dispatcher; the delivery engine — woken by the update, as in `kiezbot run` — sends it."""
from __future__ import annotations

import asyncio
import time
from datetime import timedelta

from bot.delivery.broadcasts import BroadcastSteps
from bot.delivery.outbox_sender import DeliveryEngine, TelegramSender
from bot.delivery.ratelimit import Limits, RateLimiter
from bot.telegram import TelegramTransport, build_dispatcher, make_bot
from storage.models import ResidentRow, StaffRow
from tests.fake_telegram import FakeTelegram

STAFF_CHAT = -1009876


async def test_broadcast_from_the_staff_group_reaches_residents_once(dialogs, db, clock):
    dialogs.staff_chat_id = STAFF_CHAT
    residents = [3101, 3102, 3103]
    async with db.sessions() as session, session.begin():
        session.add(StaffRow(user_id=42, name="Dana"))
        session.add_all([ResidentRow(chat_id=i, language=lang, consent_at=clock(), area_key="pankstrasse")
                         for i, lang in zip(residents, ["de", "en", "de"])])
    start, started = clock(), time.monotonic()

    def running_clock():            # the test's instant, then real time passing
        return start + timedelta(seconds=time.monotonic() - started)

    async with FakeTelegram() as tg:
        bot = make_bot(tg.token, tg.base_url)
        people = [tg.user(i) for i in residents]
        for person in people:
            person.register()
        dana = tg.user(42, "Dana", language_code="en")
        group = tg.group(STAFF_CHAT, "QM-Team", members=[dana])
        engine = DeliveryEngine(db.sessions, TelegramSender(bot), RateLimiter(Limits(1000, 1000, 60000)),
                                clock=running_clock, broadcasts=BroadcastSteps(db.sessions, dialogs))
        dp = build_dispatcher(TelegramTransport(bot, dialogs, after_update=engine.tick))
        polling = asyncio.create_task(dp.start_polling(bot, handle_signals=False, close_bot_session=False,
                                                       polling_timeout=1))
        try:
            await group.send("/broadcast", user=dana)
            [question] = await group.wait_messages(1, timeout=10)
            await group.press(question, "QM Pankstraße", user=dana)
            await group.wait_messages(1, timeout=10)
            await group.send("Kiezfest am Samstag! Eintritt frei & mit Musik.", user=dana)
            [versions] = await group.wait_messages(1, timeout=10)
            await group.press(versions, "Preview", user=dana)
            *_, summary = await group.wait_messages(2, timeout=10)
            await group.press(summary, "Send to 3 residents", user=dana)
            [queued] = await group.wait_messages(1, timeout=10)
            assert "going out to 3 residents" in queued.text
            for person in people:
                [message] = await person.wait_messages(1, timeout=10)
                assert message.text.endswith("Kiezfest am Samstag! Eintritt frei & mit Musik.")
            [final] = await group.wait_messages(1, timeout=10)
            assert "is finished" in final.text and "Delivered: 3" in final.text
            await engine.drain()
            assert [len(p.inbox) for p in people] == [1, 1, 1]
        finally:
            await dp.stop_polling()
            await asyncio.wait_for(polling, 10)
            await engine.close()
            await bot.session.close()

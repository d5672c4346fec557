"""Signing up for an event through real aiogram against the fake Bot API: the messages, buttons and the
calendar file are all things Telegram accepts."""
from __future__ import annotations

import asyncio

import pytest

from bot.telegram import TelegramTransport, build_dispatcher, make_bot
from tests.event_helpers import add_event, get_event, parse_ics
from tests.fake_telegram import FakeTelegram


@pytest.fixture
async def tg():
    async with FakeTelegram() as fake:
        yield fake


async def test_sign_up_on_telegram_delivers_a_calendar_file(tg, dialogs, db):
    event = await add_event(db, title="Kiezfest <Hof> & Grill", title_en="Street party & barbecue", max_party=3)
    bot = make_bot(tg.token, tg.base_url)
    dp = build_dispatcher(TelegramTransport(bot, dialogs))
    polling = asyncio.create_task(dp.start_polling(bot, handle_signals=False, close_bot_session=False,
                                                   polling_timeout=5))
    try:
        ada = tg.user(7001, "Ada", language_code="en")
        await ada.send("/start")
        [languages] = await ada.wait_messages(1, timeout=10)
        await ada.press(languages, "lang:en")
        [notice] = await ada.wait_messages(1, timeout=10)
        await ada.press(notice, "OK, let's go")
        [menu] = await ada.wait_messages(1, timeout=10)
        await ada.press(menu, "📅 Events")
        await ada.wait_edit(menu, timeout=10)                     # the menu turns into the list in place
        assert "Street party & barbecue" in menu.text
        await ada.press(menu, "1. Street party & barbecue")
        [card] = await ada.wait_messages(1, timeout=10)
        await ada.press(card, "✅ Sign up")
        [question] = await ada.wait_messages(1, timeout=10)
        await ada.press(question, "3")
        confirmation, calendar = await ada.wait_messages(2, timeout=10)
        assert "You are signed up for “Street party & barbecue”, for 3 people." in confirmation.text
        assert calendar.document is not None and calendar.document.filename.endswith(".ics")
        assert "calendar" in (calendar.caption or "")
        vevent = parse_ics(calendar.document.data)
        assert str(vevent["UID"]) == event.uid and str(vevent["SUMMARY"]) == "Street party & barbecue"
        assert tg.errors == []                                     # every request was valid for Telegram
        assert (await get_event(db, event.id)).seats_taken == 3
    finally:
        await dp.stop_polling()
        await asyncio.wait_for(polling, 10)
        await bot.session.close()


async def test_reminders_reach_the_resident_through_the_delivery_engine(dialogs, db, clock):
    """Sign up, move the event, let the clock run: only the reminders for the new time arrive."""
    from datetime import timedelta

    from bot.delivery.outbox_sender import DeliveryConfig, DeliveryEngine, TelegramSender
    from bot.delivery.ratelimit import RateLimiter
    from tests.chat import ChatClient
    from tests.event_helpers import add_resident, add_staff, staff_in_group

    async def moving_sleep(seconds: float) -> None:
        clock.advance(seconds=max(0.0, seconds))
        await asyncio.sleep(0)

    async with FakeTelegram() as tg:
        tg.clock = lambda: clock().timestamp()
        bot = make_bot(tg.token, tg.base_url)
        try:
            ada = tg.user(7101, "Ada", language_code="de")
            ada.register()                                             # she has talked to the bot before
            await add_resident(db, 7101, "de")
            event = await add_event(db, title="Kiezfest", max_party=1)
            await ChatClient(dialogs, chat_id=7101, language_code="de").presses(f"ev:join:{event.id}")
            await add_staff(db, 42)
            dana = staff_in_group(dialogs, 42, "en")
            await dana.says(f"/editevent {event.id}")
            await dana.taps("Time")
            await dana.says("4.12.2026 18:00")
            await dana.taps("Change and tell them")
            engine = DeliveryEngine(db.sessions, TelegramSender(bot), RateLimiter(), DeliveryConfig(concurrency=1),
                                    clock=clock, sleep=moving_sleep, worker="test")
            await engine.drain()                                       # the change notice, with the new .ics
            [notice, calendar] = await ada.wait_messages(2, timeout=10)
            assert "wurde geändert" in notice.text and "4. Dezember 2026" in notice.text
            assert calendar.document is not None
            clock.now = event.starts_at - timedelta(days=2) + timedelta(minutes=1)   # the old 2-day reminder time
            await engine.drain()
            assert ada.inbox[-1] is calendar                           # nothing: that reminder was withdrawn
            clock.now = event.starts_at + timedelta(days=1) - timedelta(days=2) + timedelta(minutes=1)
            await engine.drain()
            [reminder] = await ada.wait_messages(1, timeout=10)
            assert "Erinnerung" in reminder.text and "Freitag, 4. Dezember 2026" in reminder.text
            assert any("Abmelden" in label for row in reminder.buttons for label, _ in row)
            assert tg.errors == []
        finally:
            await bot.session.close()

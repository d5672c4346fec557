"""The real bot (aiogram with its real HTTP session) against a fake Bot API server, acting as residents."""
from __future__ import annotations

import asyncio

import pytest
import pytest_asyncio
from aiogram.exceptions import TelegramRetryAfter

from bot.telegram import TelegramTransport, build_dispatcher, make_bot
from tests.fake_telegram import FakeTelegram


@pytest_asyncio.fixture
async def tg():
    async with FakeTelegram() as server:
        yield server


@pytest_asyncio.fixture
async def live(tg, dialogs):
    """kiezbot's dispatcher long-polling the fake server."""
    bot = make_bot(tg.token, tg.base_url)
    transport = TelegramTransport(bot, dialogs)
    dp = build_dispatcher(transport)
    await transport.set_commands()
    polling = asyncio.create_task(dp.start_polling(bot, handle_signals=False, close_bot_session=False,
                                                   polling_timeout=2))
    try:
        yield transport
    finally:
        await dp.stop_polling()
        await asyncio.wait_for(polling, 10)
        await bot.session.close()


async def onboard(tg, user_id: int, language: str = "en"):
    user = tg.user(user_id, first_name="Ada", language_code="en")
    await user.send("/start")
    [ask] = await user.wait_messages(1, timeout=10)
    assert "Which language" in ask.text
    await user.press(ask, f"lang:{language}")
    [notice] = await user.wait_messages(1, timeout=10)
    assert "/privacy" in notice.text
    await user.press(notice, "consent:yes")
    [menu] = await user.wait_messages(1, timeout=10)
    return user, menu


async def test_resident_finds_an_office_through_telegram(tg, live):
    user, menu = await onboard(tg, 5001)
    assert ("📍 Find my office", "office:start") in [b for row in menu.buttons for b in row]
    await user.send("Bellermanstr 81")
    intro, card = await user.wait_messages(2, timeout=10)
    assert "QM Badstraße" in intro.text
    assert "Bellermannstraße 81, 13357 Berlin" in card.text
    assert card.buttons[0][0][0] == "🗺 Show on the map"


async def test_commands_are_published_in_each_language(tg, live):
    commands_de = tg.commands(language_code="")
    commands_en = tg.commands(language_code="en")
    assert any(c["command"] == "cancel" for c in commands_de)
    de_help = next(c["description"] for c in commands_de if c["command"] == "language")
    en_help = next(c["description"] for c in commands_en if c["command"] == "language")
    assert de_help == "Sprache wählen" and en_help == "choose your language"


async def test_html_typed_by_a_resident_is_escaped(tg, live):
    user, _ = await onboard(tg, 5002)
    await user.send("/office")
    await user.wait_messages(1, timeout=10)
    await user.send("Foostraße <b>& 12")
    [answer] = await user.wait_messages(1, timeout=10)
    assert "<b>& 12" in answer.text                  # shown literally, not parsed as markup
    assert not [e for e in tg.errors if "parse entities" in str(e)]


async def test_a_very_long_message_gets_a_short_answer(tg, live):
    user, _ = await onboard(tg, 5003)
    await user.send("x" * 4000)
    [answer] = await user.wait_messages(1, timeout=10)
    assert len(answer.text) < 1000


async def test_telegram_429_is_waited_out_and_the_answer_arrives_once(tg, live):
    user, _ = await onboard(tg, 5004)
    tg.fail_next("sendMessage", error_code=429, retry_after=1)
    await user.send("/help")
    [answer] = await user.wait_messages(1, timeout=15)
    assert "/cancel" in answer.text
    assert tg.stats["429"] == 1
    await asyncio.sleep(0.2)
    assert len([m for m in user.inbox if "/cancel" in m.text]) == 1


async def test_a_sticker_gets_a_friendly_answer(tg, live):
    user, _ = await onboard(tg, 5005)
    await user.send_sticker()
    [answer] = await user.wait_messages(1, timeout=10)
    assert "only read text" in answer.text and "Where is my neighbourhood office?" in answer.text  # + the menu


async def test_old_menu_buttons_still_work_after_the_conversation_moved_on(tg, live):
    user, menu = await onboard(tg, 5006)
    await user.send("/help")
    await user.wait_messages(1, timeout=10)
    await user.press(menu, "office:start")             # an old message's button
    [answer] = await user.wait_messages(1, timeout=10)
    assert "Type your address" in answer.text


def test_retry_after_is_aiogram_s_own_exception():
    """The transport relies on aiogram's exception for 429 (a guard against renamed APIs)."""
    assert issubclass(TelegramRetryAfter, Exception)


async def test_a_button_press_without_data_is_answered_so_the_spinner_stops(tg, live):
    from tests.fake_telegram import CallbackQueryRecord

    user, menu = await onboard(tg, 5009)
    # A game button's press carries no callback data; Telegram's client spins until it is answered.
    record = CallbackQueryRecord("game-1", "", user.id, user.id, menu.message_id, tg.clock())
    tg._bot(None).queries["game-1"] = record
    await tg.send_update({"callback_query": {"id": "game-1", "from": user.user, "message": menu.to_json(),
                                             "chat_instance": "1", "game_short_name": "kiez"}})
    assert await record.wait_answered(timeout=10) == {}          # answered, with no toast
    await user.send("/help")                                   # and the bot goes on as before
    [help_] = await user.wait_messages(1, timeout=10)
    assert "/menu" in help_.text

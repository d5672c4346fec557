"""Translation end to end through aiogram and the fake Bot API, with the fake LibreTranslate: a Turkish idea
reaches the staff group with its German translation first, and the team's German question reaches the
resident in Turkish with the original beneath."""
from __future__ import annotations

import asyncio

import pytest

from bot.telegram import TelegramTransport, build_dispatcher, make_bot
from bot.translation.announce import announcer
from bot.translation.libretranslate import LibreTranslate
from bot.translation.runner import TranslationRunner
from dialogs.app import build_dialogs
from dialogs.translation import flows as translation_flows
from dialogs.translation.jobs import TranslationPolicy
from dialogs.translation.protect import ProtectingTranslator
from locales import load_catalogs
from storage.unit_of_work import SqlUnitOfWork
from tests.fake_telegram import FakeTelegram
from tests.fake_translation import FakeLibreTranslate
from tests.ideas_helpers import add_staff, card_button
from tests.test_ideas_telegram import deliver_outbox

STAFF_GROUP = -100123
TEXT = "Avluya ağaçların altına bir bank koyalım, yaşlı komşular dinlenebilsin."


async def queued(db, timeout: float = 10.0) -> None:
    """Until the outbox has a pending message (a condition with a deadline, not a fixed sleep)."""
    from sqlalchemy import func, select
    from storage.models import OutboxRow
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        async with db.sessions() as session:
            if await session.scalar(select(func.count()).select_from(OutboxRow).where(OutboxRow.state == "pending")):
                return
        await asyncio.sleep(0.05)
    raise AssertionError("nothing was queued")


@pytest.fixture
async def setup(db, clock):
    dialogs = build_dialogs(SqlUnitOfWork(db.sessions, db.addresses), load_catalogs(), clock=clock,
                            staff_chat_id=STAFF_GROUP)
    async with FakeTelegram() as tg, FakeLibreTranslate() as libre:
        translation_flows.configure(dialogs, TranslationPolicy(translate=True, team_language="de"),
                                    live=ProtectingTranslator(LibreTranslate(libre.base_url, timeout=2)))
        runner = TranslationRunner(db.sessions, translator=ProtectingTranslator(LibreTranslate(libre.base_url,
                                                                                            timeout=2)),
                                   clock=clock, announce=announcer(dialogs))
        bot = make_bot(tg.token, tg.base_url)
        transport = TelegramTransport(bot, dialogs)
        dp = build_dispatcher(transport)
        polling = asyncio.create_task(dp.start_polling(bot, handle_signals=False, close_bot_session=False,
                                                       polling_timeout=1))
        try:
            yield tg, transport, runner
        finally:
            await dp.stop_polling()
            await asyncio.wait_for(polling, 10)
            await bot.session.close()
            await runner.close()
            await translation_flows.settings(dialogs).live.close()


async def test_turkish_idea_to_a_german_card_and_a_german_question_back_in_turkish(setup, db):
    tg, transport, runner = setup
    await add_staff(db, 7001, "Dana")
    elif_ = tg.user(1001, "Elif", language_code="tr")
    dana = tg.user(7001, "Dana")
    staff = tg.group(STAFF_GROUP, "QM Team", members=[dana])

    async def step(action) -> object:
        await action
        [message] = await elif_.wait_messages(1, timeout=10)
        return message

    await step(elif_.send("/start"))
    await step(elif_.press(None, "lang:tr"))
    await step(elif_.press(None, "consent:yes"))
    await step(elif_.press(None, "idea:new"))
    await step(elif_.press(None, "idea:kind:project"))
    await step(elif_.press(None, "idea:area:badstrasse"))
    await step(elif_.send("Avluya bank"))
    await step(elif_.send(TEXT))
    thanks = await step(elif_.press(None, "idea:send"))
    assert "BAD-2026-001" in thanks.text

    assert await deliver_outbox(db, transport) == 1
    first = await staff.wait_message(timeout=10)
    assert TEXT in first.text and "Übersetzung folgt" in first.text       # at once, before any translation

    await runner.drain()
    assert await deliver_outbox(db, transport) == 1
    card = await staff.wait_message(timeout=10)
    german = card.text
    assert german.index("Maschinell übersetzt, Originalsprache: Türkisch") < german.index(TEXT.upper()) \
        < german.index("Original (Türkisch):") < german.index(TEXT)

    ask = await card_button(db, "BAD-2026-001", "ask")
    await staff.press(card, ask, user=dana)
    await staff.wait_edit(card, timeout=10)
    await staff.send("Wo genau im Hof soll die Bank stehen?", user=dana, reply_to=card)
    await queued(db)                          # the bot handles the update in the background; its answer is queued
    assert await deliver_outbox(db, transport) == 1                        # the preview, a copy of the card
    preview = await staff.wait_message(timeout=10)
    assert "WO GENAU IM HOF SOLL DIE BANK STEHEN?" in preview.text          # what Elif will read
    send = next(data for row in preview.buttons for _label, data in row if data.startswith("mod:send:"))
    await staff.press(preview, send, user=dana)
    await staff.wait_edit(preview, timeout=10)

    assert await deliver_outbox(db, transport) == 1
    [question] = await elif_.wait_messages(1, timeout=10)
    text = question.text
    assert text.index("WO GENAU IM HOF SOLL DIE BANK STEHEN?") < text.index("Wo genau im Hof soll die Bank stehen?")
    assert "Almanca" in text and "BAD-2026-001" in text

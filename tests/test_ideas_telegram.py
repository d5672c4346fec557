"""An idea with a voice note and a photo, end to end through aiogram and the fake Bot API.

The outbox rows are handed to the transport here the way the delivery engine will hand them; what is
checked is that Telegram accepts the card (HTML, caption and button limits, the resident's file ids
relayed to the group), that a team member's press edits the card in place, and that the resident's
notice arrives in their language.
"""
from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from bot.telegram import TelegramTransport, build_dispatcher, make_bot
from dialogs.app import build_dialogs
from dialogs.core.messages import reply_from_dict
from locales import load_catalogs
from storage.models import OutboxRow
from storage.unit_of_work import SqlUnitOfWork
from tests.fake_telegram import FakeTelegram
from tests.ideas_helpers import add_staff, card_button

STAFF_GROUP = -100123


async def deliver_outbox(db, transport: TelegramTransport) -> int:
    """What the delivery engine does with pending rows (here: once, in order, no retries)."""
    async with db.sessions() as session, session.begin():
        rows = (await session.execute(select(OutboxRow).where(OutboxRow.state == "pending")
                                      .order_by(OutboxRow.id))).scalars().all()
        for row in rows:
            await transport.send(row.chat_id, reply_from_dict(row.payload), None)
            row.state = "sent"
    return len(rows)


@pytest.fixture
async def telegram(db, clock):
    dialogs = build_dialogs(SqlUnitOfWork(db.sessions, db.addresses), load_catalogs(), clock=clock,
                            staff_chat_id=STAFF_GROUP)
    async with FakeTelegram() as tg:
        bot = make_bot(tg.token, tg.base_url)
        transport = TelegramTransport(bot, dialogs)
        dp = build_dispatcher(transport)
        polling = asyncio.create_task(dp.start_polling(bot, handle_signals=False, close_bot_session=False,
                                                       polling_timeout=1))
        try:
            yield tg, transport
        finally:
            await dp.stop_polling()
            await asyncio.wait_for(polling, 10)
            await bot.session.close()


async def test_idea_with_voice_and_photo_through_telegram(telegram, db):
    tg, transport = telegram
    await add_staff(db, 7001, "Dana")
    ada = tg.user(1001, "Ada", language_code="de")
    dana, stranger = tg.user(7001, "Dana"), tg.user(7002, "Nosy")
    staff = tg.group(STAFF_GROUP, "QM Team", members=[dana, stranger])

    async def step(action) -> object:
        await action
        [message] = await ada.wait_messages(1, timeout=10)
        return message

    await step(ada.send("/start"))
    await step(ada.press(None, "lang:de"))
    await step(ada.press(None, "consent:yes"))
    await step(ada.press(None, "idea:new"))
    await step(ada.press(None, "idea:kind:project"))
    await step(ada.press(None, "idea:area:badstrasse"))
    await step(ada.send("Bänke <für> alle & mehr"))
    await step(ada.send_voice(duration=30))
    await step(ada.press(None, "idea:next:body"))
    await step(ada.press(None, "idea:edit"))                 # "Change something" on the summary
    await step(ada.press(None, "idea:edit:media"))           # "Photos and location"
    await step(ada.send_photo())
    summary = await step(ada.press(None, "idea:next:media"))
    assert "Bänke <für> alle & mehr" in summary.text and "1 Sprachnachricht" in summary.text
    thanks = await step(ada.press(None, "idea:send"))
    assert "BAD-2026-001" in thanks.text

    assert await deliver_outbox(db, transport) == 1
    card, photo, voice = await staff.wait_messages(3, timeout=10)
    assert "BAD-2026-001" in card.text and "Bänke <für> alle & mehr" in card.text
    approve = await card_button(db, "BAD-2026-001", "ok")
    assert ("✅ Annehmen", approve) in card.buttons[0]
    assert photo.photo is not None and voice.voice is not None and "BAD-2026-001" in photo.caption

    refused = await staff.press(card, approve, user=stranger)
    answer = await refused.callback.wait_answered(10)
    assert answer["text"] == "Nur das Team des Quartiersmanagements kann das tun."
    assert card.edits == []                                    # nothing changed

    pressed = await staff.press(card, approve, user=dana)
    await staff.wait_edit(card, timeout=10)
    assert "Angenommen von Dana" in card.text and card.buttons == []
    assert (await pressed.callback.wait_answered(10))["text"] == "Angenommen. Die Person wird benachrichtigt."

    assert await deliver_outbox(db, transport) == 1
    [notice] = await ada.wait_messages(1, timeout=10)
    assert "Gute Nachricht" in notice.text and "BAD-2026-001" in notice.text

"""When the translations of a submission are done, the staff card is drawn again in place — the team
sees one card, not two — and only where Telegram no longer lets kiezbot edit it (deleted, "message can't
be edited") a new card is posted. Through the delivery engine against the fake Bot API and the fake
LibreTranslate; the clock is moved instead of sleeping."""
from __future__ import annotations

import asyncio

import pytest
import pytest_asyncio
from sqlalchemy import select

from bot.delivery.outbox_sender import DeliveryConfig, DeliveryEngine, TelegramSender
from bot.delivery.ratelimit import RateLimiter
from bot.translation.announce import announcer
from bot.translation.libretranslate import LibreTranslate
from bot.translation.runner import TranslationRunner
from dialogs.core.messages import Reply
from dialogs.translation import flows as translation_flows
from dialogs.translation.jobs import TranslationPolicy
from dialogs.translation.protect import ProtectingTranslator
from storage.models import OutboxRow
from tests.chat import ChatClient
from tests.fake_translation import FakeLibreTranslate
from tests.staff_tools import STAFF_CHAT

TITLE = "Avluya bank"
TEXT = "Avluya ağaçların altına bir bank koyalım, yaşlı komşular dinlenebilsin."


def moving_sleep(clock):
    async def sleep(seconds: float) -> None:
        clock.advance(seconds=max(0.0, seconds))
        await asyncio.sleep(0)
    return sleep


@pytest.fixture
def tg(tg, clock):
    tg.clock = lambda: clock().timestamp()
    return tg


@pytest_asyncio.fixture
async def world(staffed, db, clock, tg, bot):
    async with FakeLibreTranslate() as libre:
        translation_flows.configure(staffed, TranslationPolicy(translate=True, team_language="de"),
                                    live=ProtectingTranslator(LibreTranslate(libre.base_url, timeout=0.5)))
        runner = TranslationRunner(db.sessions, translator=ProtectingTranslator(LibreTranslate(libre.base_url,
                                                                                            timeout=0.5)),
                                   clock=clock, announce=announcer(staffed))
        delivery = DeliveryEngine(db.sessions, TelegramSender(bot), RateLimiter(), DeliveryConfig(concurrency=1),
                                  clock=clock, sleep=moving_sleep(clock), worker="test")
        staff = tg.group(STAFF_CHAT, "QM Team", members=[tg.user(7001, "Dana")])
        try:
            yield staff, runner, delivery
        finally:
            await runner.close()
            await translation_flows.settings(staffed).live.close()


async def turkish_idea(staffed) -> None:
    elif_ = ChatClient(staffed, chat_id=2001, language_code="tr")
    await elif_.onboard("tr")
    for data in ("idea:new", "idea:kind:project", "idea:area:badstrasse"):
        await elif_.presses(data)
    await elif_.says(TITLE)
    await elif_.says(TEXT)
    await elif_.presses("idea:send")


async def test_the_translated_card_replaces_the_first_one_in_place(world, staffed, db):
    staff, runner, delivery = world
    await turkish_idea(staffed)
    assert (await delivery.drain()).sent == 1
    [card] = staff.inbox
    assert TEXT in card.text and "Übersetzung folgt" in card.text            # at once, before the translation
    await runner.drain()
    assert (await delivery.drain()).sent == 1
    assert staff.inbox == [card]                                            # no second card in the chat
    assert len(card.edits) == 1 and "Übersetzung folgt" not in card.text
    assert card.text.index("Maschinell übersetzt, Originalsprache: Türkisch") < card.text.index(TEXT.upper()) \
        < card.text.index("Original (Türkisch):") < card.text.index(TEXT)
    assert card.buttons                                                     # the card's buttons stay
    async with db.sessions() as session:
        ids = (await session.scalars(select(OutboxRow.message_id).where(OutboxRow.purpose == "staff_card")
                                     .order_by(OutboxRow.id))).all()
    assert ids == [card.message_id, card.message_id]                      # /delete takes back this one message


async def test_a_deleted_card_is_posted_anew_with_the_translation(world, staffed, db):
    staff, runner, delivery = world
    await turkish_idea(staffed)
    await delivery.drain()
    [card] = staff.inbox
    card.deleted = True                                   # someone in the group deleted it
    await runner.drain()
    assert (await delivery.drain()).sent == 1
    new = [m for m in staff.inbox if not m.deleted]
    assert len(new) == 1 and new[0] is not card and TEXT.upper() in new[0].text and new[0].buttons


async def test_a_card_not_delivered_yet_is_followed_by_the_translated_one(world, staffed):
    staff, runner, delivery = world
    await turkish_idea(staffed)
    await runner.drain()                                  # translated before the first card went out
    assert (await delivery.drain()).sent == 2
    assert [("Übersetzung folgt" in m.text, TEXT.upper() in m.text) for m in staff.inbox] == [(True, False),
                                                                                            (False, True)]


async def test_a_message_that_cannot_be_edited_is_sent_anew(world, bot):
    staff, _runner, _delivery = world
    await staff.send("Guten Morgen", user=7001)                # a member's message: Telegram lets no bot edit it
    [own] = staff.history
    [part] = TelegramSender(bot).plan(Reply("Die Karte, neu", replace=own.message_id))
    sent = await part(STAFF_CHAT)
    assert sent != own.message_id and [m.text for m in staff.inbox] == ["Die Karte, neu"]


async def test_a_card_sent_as_a_caption_is_drawn_again_in_its_caption(world, tg, bot):
    staff, _runner, _delivery = world
    photo = tg.add_file(b"\xff\xd8\xff\xe0" + bytes(64) + b"\xff\xd9", "photo", mime_type="image/jpeg",
                        width=640, height=480)
    sent = await bot.send_photo(STAFF_CHAT, photo.file_id, caption="Karte")
    [part] = TelegramSender(bot).plan(Reply("🌐 Karte, übersetzt", replace=sent.message_id))
    assert await part(STAFF_CHAT) == sent.message_id
    [shown] = staff.inbox
    assert shown.text == "🌐 Karte, übersetzt" and shown.edits[-1]["method"] == "editMessageCaption"

"""Hostile or careless input: floods, huge texts and files, stickers and other things kiezbot cannot read."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest
import pytest_asyncio
from aiogram.types import Message
from sqlalchemy import select

from bot.telegram import TelegramTransport, build_dispatcher, inbound_from_message, make_bot
from dialogs.core.safety import MAX_INBOUND_TEXT, FloodGuard, Verdict
from storage.models import ConversationRow, ResidentRow, StaffRow
from tests.chat import ChatClient
from tests.fake_telegram import FakeTelegram

MB = 1024 * 1024


# --- the flood window (pure) ------------------------------------------------------------------------

def test_flood_guard_allows_the_limit_warns_once_then_stays_silent():
    guard, t = FloodGuard(limit=3), datetime(2026, 1, 1, tzinfo=timezone.utc)
    verdicts = [guard.hit(1, t + timedelta(seconds=i)) for i in range(6)]
    assert verdicts == [Verdict.OK] * 3 + [Verdict.WARN, Verdict.DROP, Verdict.DROP]
    assert guard.hit(2, t) is Verdict.OK                              # others are not affected


def test_flood_guard_lets_through_again_after_a_quiet_minute():
    guard, t = FloodGuard(limit=2), datetime(2026, 1, 1, tzinfo=timezone.utc)
    for i in range(5):
        guard.hit(1, t + timedelta(seconds=i))
    assert guard.hit(1, t + timedelta(seconds=30)) is Verdict.DROP    # still hammering: still silent
    assert guard.hit(1, t + timedelta(seconds=91)) is Verdict.OK      # a minute after the last one
    assert guard.hit(1, t + timedelta(seconds=92)) is Verdict.OK
    assert guard.hit(1, t + timedelta(seconds=93)) is Verdict.WARN    # a new window: warned again, once


def test_flood_guard_forgets_idle_people_and_can_be_switched_off():
    guard, t = FloodGuard(limit=2, max_people=10), datetime(2026, 1, 1, tzinfo=timezone.utc)
    for person in range(10):
        guard.hit(person, t)
    guard.hit(99, t + timedelta(minutes=5))
    assert len(guard._hits) == 1
    off = FloodGuard(limit=0)
    assert {off.hit(1, t) for _ in range(100)} == {Verdict.OK}


# --- flood control in the dialogs -------------------------------------------------------------------

@pytest.fixture(autouse=True)
def flood_control_on(dialogs):
    """As `kiezbot run` wires it (KIEZBOT_FLOOD_MESSAGES_PER_MINUTE=20); build_dialogs leaves it off."""
    dialogs.flood = FloodGuard(20)


async def test_a_flooding_resident_is_told_once_then_ignored_for_a_minute(english, db, clock):
    clock.advance(minutes=2)                                           # onboarding is out of the window
    for _ in range(20):
        clock.advance(seconds=1)
        await english.says("/help")
    slow = await english.says("/help")
    assert "slow down" in slow.text and "/cancel" not in slow.text
    silent = await english.says("Badstraße 10")
    assert silent.replies == [] and silent.toast is None
    pressed = await english.presses("office:start")
    assert pressed.replies == []
    clock.advance(minutes=1)
    answer = await english.says("Badstraße 10")
    assert "QM Badstraße" in answer.text


async def test_messages_over_the_limit_change_nothing_stored(english, db, clock):
    clock.advance(minutes=2)
    for _ in range(20):
        await english.says("/help")
    await english.presses("office:start")                              # warned: not handled
    await english.says("Badstraße 10")                                 # silent: not handled
    async with db.sessions() as session:
        step = await session.scalar(select(ConversationRow.step).where(ConversationRow.chat_id == 1002))
        resident = await session.get(ResidentRow, 1002)
    assert not step and resident.area_key is None


async def test_a_button_press_over_the_limit_gets_a_short_popup(english, clock):
    clock.advance(minutes=2)
    for _ in range(20):
        await english.says("/help")
    answer = await english.presses("office:start")
    assert answer.toast and "slow down" in answer.toast and answer.replies == []


async def test_staff_are_not_slowed_down(dialogs, db):
    async with db.sessions() as session, session.begin():
        session.add(StaffRow(user_id=2600, name="Dana"))
    staff = ChatClient(dialogs, chat_id=2600, language_code="en")
    await staff.onboard("en")
    for _ in range(40):
        answer = await staff.says("/help")
    assert "How to use me" in answer.text


async def test_the_slow_down_answer_is_in_the_residents_language(german, clock):
    clock.advance(minutes=2)
    for _ in range(21):
        answer = await german.says("/help")
    assert "langsamer" in answer.text


# --- size limits and content kiezbot cannot read ------------------------------------------------

async def test_a_very_long_text_is_clipped_and_the_resident_is_told(english, dialogs):
    seen = []

    async def echo_length(ctx):
        seen.append(len(ctx.inbound.text))
        ctx.say("got it")
        ctx.reset()

    async def start_echo(ctx):
        ctx.goto("echo.text")
        ctx.say("write")

    dialogs.command("echo", start_echo)
    dialogs.step("echo", echo_length)
    await english.says("/echo")
    answer = await english.says("x" * 5000)
    assert seen == [MAX_INBOUND_TEXT]
    assert "only the first 4,000 characters" in answer.replies[0].text and answer.replies[1].text == "got it"


async def test_a_huge_photo_is_refused_kindly_and_the_step_is_kept(english):
    await english.taps("Find my office")
    answer = await english.sends("photo", file_id="AgAC-big", file_size=11 * MB)
    assert "too large" in answer.text and "10 MB" in answer.text
    assert "QM Badstraße" in (await english.says("Badstraße 10")).text


async def test_a_long_voice_note_is_refused_kindly(german):
    answer = await german.sends("voice", file_id="AwAC-long", duration=6 * 60, file_size=MB)
    assert "6:00" in answer.text and "zu lang" in answer.text and "5 Minuten" in answer.text


@pytest.mark.parametrize("kind", ["sticker", "other"])
async def test_stickers_gifs_and_videos_get_a_friendly_answer_in_the_residents_language(german, english, kind):
    await german.taps("Büro finden")
    answer = await german.sends(kind, file_id="CAAC")
    assert "Ich kann nur Text, Sprachnachrichten, Fotos und Standorte lesen" in answer.text
    assert "QM Badstraße" in (await german.says("Badstraße 10")).text     # the step was kept
    await english.taps("Find my office")
    answer = await english.sends(kind, file_id="CAAC")
    assert "I can only read text, voice notes, photos and locations" in answer.text


async def test_a_sticker_at_the_menu_gets_a_friendly_answer_and_the_menu(english):
    answer = await english.sends("sticker", file_id="CAAC")
    assert "only read text" in answer.text and "📍 Find my office" in answer.buttons


async def test_a_file_where_none_is_expected_gets_a_friendly_answer_and_the_step_stays(english):
    await english.taps("Find my office")
    answer = await english.sends("document", file_id="BQAC", file_name="antrag.pdf", file_size=2000)
    assert "cannot open files" in answer.text and answer.buttons == []
    assert "QM Badstraße" in (await english.says("Badstraße 10")).text


async def test_a_step_that_accepts_files_gets_them_within_the_size_limit(english, dialogs):
    got = []

    async def upload(ctx):
        got.append(ctx.inbound.file_name)
        ctx.reset()
        ctx.say("thanks")

    async def ask(ctx):
        ctx.goto("upload.file")
        ctx.say("send the receipt")

    dialogs.command("upload", ask)
    dialogs.step("upload", upload)
    dialogs.accepts("upload", "document")
    await english.says("/upload")
    too_big = await english.sends("document", file_id="BQAC", file_name="scan.pdf", file_size=25 * MB)
    assert "too large" in too_big.text and got == []
    await english.sends("document", file_id="BQAC", file_name="receipt.pdf", file_size=300_000)
    assert got == ["receipt.pdf"]


# --- Telegram: what arrives as what -------------------------------------------------------------

def telegram_message(**content) -> Message:
    return Message.model_validate({"message_id": 5, "date": 1700000000, "chat": {"id": 9, "type": "private"},
                                   "from": {"id": 9, "is_bot": False, "first_name": "Ada"}, **content})


FILE = {"file_id": "F1", "file_unique_id": "U1"}


@pytest.mark.parametrize(("content", "kind"), [
    ({"sticker": {**FILE, "type": "regular", "width": 512, "height": 512, "is_animated": False,
                  "is_video": False}}, "sticker"),
    ({"animation": {**FILE, "width": 320, "height": 240, "duration": 3},
      "document": {**FILE, "file_name": "giphy.mp4"}}, "other"),                      # a GIF
    ({"video": {**FILE, "width": 320, "height": 240, "duration": 3}}, "other"),
    ({"contact": {"phone_number": "+4930123", "first_name": "Bo"}}, "other"),
    ({"document": {**FILE, "file_name": "antrag.pdf", "file_size": 1000}}, "document"),
])
def test_telegram_content_is_mapped_to_what_kiezbot_can_answer(content, kind):
    assert inbound_from_message(telegram_message(**content)).kind == kind


@pytest_asyncio.fixture
async def live(dialogs):
    async with FakeTelegram() as tg:
        bot = make_bot(tg.token, tg.base_url)
        dp = build_dispatcher(TelegramTransport(bot, dialogs))
        polling = asyncio.create_task(dp.start_polling(bot, handle_signals=False, close_bot_session=False,
                                                       polling_timeout=1))
        try:
            yield tg
        finally:
            await dp.stop_polling()
            await asyncio.wait_for(polling, 10)
            await bot.session.close()


async def test_through_telegram_a_sticker_and_a_gif_get_a_friendly_answer(live):
    user = live.user(6001, first_name="Ada", language_code="en")
    await user.send("/start")
    [ask] = await user.wait_messages(1, timeout=10)
    await user.press(ask, "lang:en")
    [notice] = await user.wait_messages(1, timeout=10)
    await user.press(notice, "consent:yes")
    await user.wait_messages(1, timeout=10)
    await user.send_sticker("🙂")
    [answer] = await user.wait_messages(1, timeout=10)
    assert "only read text" in answer.text
    gif = live.add_file(b"GIF89a" + bytes(16), "document", filename="giphy.mp4", mime_type="video/mp4")
    await user._post(None, {"document": gif, "extra": {"animation": {
        "file_id": gif.file_id, "file_unique_id": gif.file_unique_id, "width": 320, "height": 240, "duration": 2}}})
    [answer] = await user.wait_messages(1, timeout=10)
    assert "only read text" in answer.text                         # a GIF is not a file to open


async def test_a_nul_character_in_an_idea_does_not_lose_it(english, db):
    """Found by the Telegram fuzz test on PostgreSQL, whose text columns cannot hold U+0000: an idea whose
    title and text carry one is stored (without it) and acknowledged, not lost to "something went wrong"."""
    from storage.ideas import SubmissionRow
    await english.presses("idea:new")
    await english.presses("idea:kind:project")
    await english.presses("idea:area:badstrasse")
    await english.says("Benches\x00 by the canal")
    await english.says("More benches\x00 along the Panke, please.")
    thanks = await english.presses("idea:send")
    assert "something went wrong" not in thanks.text.lower() and "-2026-" in thanks.text
    async with db.sessions() as session:
        row = (await session.execute(select(SubmissionRow))).scalars().one()
    assert (row.title, row.text) == ("Benches by the canal", "More benches along the Panke, please.")

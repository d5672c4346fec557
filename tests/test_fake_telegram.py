"""Tests of the fake Telegram Bot API server itself (tests/fake_telegram.py).

Most tests talk to the fake through aiogram's real Bot + AiohttpSession, so they also prove that
aiogram's pydantic models accept the fake's JSON and that aiogram raises its own exception classes.
"""
from __future__ import annotations

import asyncio

import aiohttp
import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.filters import CommandStart
from aiogram.methods import SendPoll
from aiogram.types import (
    BotCommand,
    BufferedInputFile,
    CallbackQuery,
    ChatMemberAdministrator,
    ChatMemberLeft,
    ChatMemberMember,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    Message,
)
from aiohttp import web

from tests.fake_telegram import FakeTelegram, HtmlParseError, RateLimits, parse_html, utf16_len


@pytest.fixture
async def tg():
    async with FakeTelegram() as fake:
        yield fake


def make_bot(tg: FakeTelegram, token: str | None = None) -> Bot:
    return Bot(token or tg.token, session=AiohttpSession(api=TelegramAPIServer.from_base(tg.base_url)))


@pytest.fixture
async def bot(tg):
    b = make_bot(tg)
    yield b
    await b.session.close()


def kb(*rows: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=t, callback_data=d) for t, d in row] for row in rows])


async def raw(tg: FakeTelegram, method: str, token: str | None = None, http: str = "POST", **params):
    url = f"{tg.base_url}/bot{token or tg.token}/{method}"
    async with aiohttp.ClientSession() as s, s.request(http, url, json=params or None) as r:
        return r.status, await r.json()


TOO_LONG = "^Telegram server says - Bad Request: message is too long$"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# ------------------------------------------------------------------ HTML parse mode
def test_html_parser_produces_plain_text_and_utf16_entities():
    text, ents = parse_html('Hi <b>Ada 😀</b> &lt;3 &amp; &#228;&#x1F600; '
                            '<a href="https://x.de/?a=1&amp;b=2">hier</a> <span class="tg-spoiler">s</span>'
                            '<pre><code class="language-py">x=1</code></pre>'
                            '<blockquote expandable>q</blockquote>')
    assert text == "Hi Ada 😀 <3 & ä😀 hier sx=1q"
    by_type = {e["type"]: e for e in ents}
    assert by_type["bold"] == {"type": "bold", "offset": 3, "length": 6}  # 😀 = 2 UTF-16 units
    assert by_type["text_link"]["url"] == "https://x.de/?a=1&b=2"
    assert by_type["pre"]["language"] == "py" and "code" not in by_type
    assert by_type["spoiler"]["length"] == 1 and "expandable_blockquote" in by_type


@pytest.mark.parametrize("html, message", [
    ("ä <foo>x</foo>", 'Unsupported start tag "foo" at byte offset 3'),  # offsets count UTF-8 bytes
    ("line<br>", 'Unsupported start tag "br" at byte offset 4'),
    ("<b>bold", 'Can\'t find end tag corresponding to start tag "b"'),
    ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
    ("x</b>", "Unexpected end tag at byte offset 1"),
    ("a < b", 'Unsupported start tag "" at byte offset 2'),
    ("<b", "Unclosed start tag at byte offset 0"),
    ('<span class="x">y</span>', 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
    ("Tom & Jerry", 'Bare "&" at byte offset 4'),
    ("&nbsp;", 'Bare "&" at byte offset 0'),
])
def test_html_parser_rejects_like_telegram(html, message):
    with pytest.raises(HtmlParseError) as err:
        parse_html(html)
    assert str(err.value).startswith(message)


def test_html_parser_lenient_mode_keeps_bare_ampersand_like_tdlib():
    assert parse_html("Tom & Jerry &amp &foo;", strict=False)[0] == "Tom & Jerry & &foo;"


async def test_send_message_html_errors_surface_as_telegram_bad_request(tg, bot):
    u = tg.user(1001)
    u.register()
    with pytest.raises(TelegramBadRequest) as err:
        await bot.send_message(u.id, "Hallo<br>Welt", parse_mode="HTML")
    assert err.value.message == ("Bad Request: can't parse entities: "
                                 'Unsupported start tag "br" at byte offset 5')
    with pytest.raises(TelegramBadRequest, match="Can't find end tag corresponding to start tag \"b\""):
        await bot.send_message(u.id, "<b>open", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="only parse_mode HTML"):
        await bot.send_message(u.id, "*x*", parse_mode="MarkdownV2")
    assert u.inbox == []
    assert [r.status for r in tg.requests_for("sendMessage")] == [400, 400, 400]


# ------------------------------------------------------------------ limits
async def test_text_limit_counts_utf16_after_stripping_tags(tg, bot):
    u = tg.user(1001)
    u.register()
    await bot.send_message(u.id, "<b>" + "a" * 4096 + "</b>", parse_mode="HTML")  # tags don't count
    await bot.send_message(u.id, "😀" * 2048)  # 2 UTF-16 units each = 4096
    for too_long in ("a" * 4097, "😀" * 2049, "&lt;" * 4097):
        with pytest.raises(TelegramBadRequest, match=TOO_LONG):
            await bot.send_message(u.id, too_long, parse_mode="HTML")
    for empty in ("", "   \n ", "<b></b>"):
        with pytest.raises(TelegramBadRequest, match="message text is empty"):
            await bot.send_message(u.id, empty, parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="message caption is too long"):
        await bot.send_document(u.id, BufferedInputFile(b"x", "a.txt"), caption="c" * 1025)
    assert len(u.inbox) == 2 and utf16_len(u.inbox[1].text) == 4096


async def test_inline_keyboard_validation(tg, bot):
    u = tg.user(1001)
    u.register()
    await bot.send_message(u.id, "ok", reply_markup=kb([("64 bytes", "ä" * 32)]))  # 64 UTF-8 bytes
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(u.id, "x", reply_markup=kb([("65 bytes", "ä" * 32 + "a")]))
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(u.id, "x", reply_markup=kb([("empty", "")]))
    with pytest.raises(TelegramBadRequest, match="reply markup is too long"):
        await bot.send_message(u.id, "x", reply_markup=kb(*[[(str(i), str(i))] for i in range(101)]))
    with pytest.raises(TelegramBadRequest, match="Text buttons are unallowed in the inline keyboard"):
        await bot.send_message(u.id, "x", reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text="nothing")]]))
    with pytest.raises(TelegramBadRequest, match="exactly one of the optional fields"):
        await bot.send_message(u.id, "x", reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text="two", url="https://a.de", callback_data="d")]]))
    assert [m.text for m in u.inbox] == ["ok"] and u.inbox[0].buttons == [[("64 bytes", "ä" * 32)]]


# ------------------------------------------------------------------ chats, edits, callbacks
async def test_chat_edit_delete_and_callback_errors(tg, bot):
    with pytest.raises(TelegramBadRequest, match="Bad Request: chat not found"):
        await bot.send_message(5555, "hello stranger")  # never wrote to the bot
    u = tg.user(1001)
    await u.send("hi")
    m = await bot.send_message(u.id, "<b>Frage</b>", parse_mode="HTML", reply_markup=kb([("Ja", "yes")]))
    with pytest.raises(TelegramBadRequest, match="Bad Request: message to edit not found"):
        await bot.edit_message_text("x", chat_id=u.id, message_id=999)
    with pytest.raises(TelegramBadRequest) as err:  # same text (after parsing) and same markup
        await bot.edit_message_text("<strong>Frage</strong>", chat_id=u.id, message_id=m.message_id,
                                    parse_mode="HTML", reply_markup=kb([("Ja", "yes")]))
    assert err.value.message == (
        "Bad Request: message is not modified: specified new message content and reply markup are "
        "exactly the same as a current content and reply markup of the message")
    with pytest.raises(TelegramBadRequest, match="message can't be edited"):
        await bot.edit_message_text("x", chat_id=u.id, message_id=1)  # the user's own message
    edited = await bot.edit_message_text("Antwort", chat_id=u.id, message_id=m.message_id)
    assert isinstance(edited, Message) and edited.edit_date and edited.reply_markup is None  # markup removed
    msg = u.last
    assert msg.text == "Antwort" and msg.buttons == [] and msg.edits[0]["html"] == "<b>Frage</b>"
    with pytest.raises(TelegramBadRequest, match="query is too old and response timeout expired or query ID"):
        await bot.answer_callback_query("nonexistent")
    await bot.delete_message(u.id, m.message_id)
    assert msg.deleted
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(u.id, m.message_id)


async def test_callback_query_can_be_answered_once_and_expires(tg, bot):
    tg.clock = clock = Clock()
    u = tg.user(1001)
    await u.send("/start")
    await bot.send_message(u.id, "Wähle", reply_markup=kb([("Eins", "one"), ("Zwei", "two")]))
    with pytest.raises(LookupError, match=r"no inline button 'Drei'.*Eins"):
        await u.press(u.last, "Drei")
    first = await u.press(u.last, "Eins")  # by label
    second = await u.press(None, "two")  # by callback_data, newest message with buttons
    updates = await bot.get_updates(offset=first.update_id)
    assert [up.callback_query.data for up in updates] == ["one", "two"]
    assert updates[0].callback_query.message.text == "Wähle"
    assert await bot.answer_callback_query(first.callback.id, text="Danke", show_alert=True)
    assert (await first.callback.wait_answered(1)) == {"text": "Danke", "show_alert": True}
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(first.callback.id)  # answered twice
    clock.now += 16  # older than callback_ttl (15 s)
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(second.callback.id)


# ------------------------------------------------------------------ getUpdates
async def test_get_updates_offset_confirms_and_long_poll_wakes_up(tg, bot):
    u = tg.user(1001, "Ada")
    assert await bot.get_updates(timeout=0) == []
    await u.send("eins")
    await u.send("zwei")
    ups = await bot.get_updates()
    assert [x.message.text for x in ups] == ["eins", "zwei"]
    assert ups[0].message.from_user.language_code == "de"
    assert [x.message.text for x in await bot.get_updates(limit=1)] == ["eins"]  # unconfirmed: still there
    assert await bot.get_updates(offset=ups[-1].update_id + 1) == []  # confirmed and dropped
    assert tg.pending_updates() == []

    poll = asyncio.create_task(bot.get_updates(offset=ups[-1].update_id + 1, timeout=30))
    state = tg._bot(None)
    while not state.poll_waiters:  # the long poll is now parked in the fake
        await asyncio.sleep(0.01)
    assert not poll.done()
    await u.send("/hilfe")
    woke = await asyncio.wait_for(poll, 5)  # far below the 30 s poll timeout
    assert woke[0].message.text == "/hilfe" and woke[0].message.entities[0].type == "bot_command"

    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await bot.get_updates(offset=woke[0].update_id + 1, timeout=1) == []  # times out empty
    assert 0.9 <= loop.time() - started < 5


async def test_second_long_poll_terminates_the_first(tg, bot):
    first = asyncio.create_task(bot.get_updates(timeout=30))
    while not tg._bot(None).poll_waiters:
        await asyncio.sleep(0.01)
    status, body = await raw(tg, "getUpdates", timeout=0)
    assert status == 200 and body == {"ok": True, "result": []}
    with pytest.raises(TelegramConflictError, match="terminated by other getUpdates request"):
        await asyncio.wait_for(first, 5)


# ------------------------------------------------------------------ webhook
async def test_webhook_delivery_with_secret_header_and_reply_method(tg, bot):
    received: list[tuple[dict, dict]] = []

    async def hook(request: web.Request) -> web.Response:
        update = await request.json()
        received.append((dict(request.headers), update))
        if update["message"]["text"] == "reply-in-body":  # answer with a method in the response body
            return web.json_response({"method": "sendMessage", "chat_id": update["message"]["chat"]["id"],
                                      "text": "<i>from body</i>", "parse_mode": "HTML"})
        return web.json_response({})

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    try:
        u = tg.user(1001)
        await u.send("queued before the webhook")
        assert await bot.set_webhook(url, secret_token="s3cr3t-Token_1", drop_pending_updates=True)
        info = await bot.get_webhook_info()
        assert info.url == url and info.pending_update_count == 0
        with pytest.raises(TelegramConflictError, match="can't use getUpdates method while webhook is"):
            await bot.get_updates()
        delivered = await u.send("hallo")
        assert delivered.webhook_status == 200
        headers, update = received[-1]
        assert headers["X-Telegram-Bot-Api-Secret-Token"] == "s3cr3t-Token_1"
        assert update["message"]["text"] == "hallo" and update["update_id"] == delivered.update_id
        assert len(received) == 1  # the dropped pending update was not delivered
        await u.send("reply-in-body")
        assert u.last.text == "from body"
        assert u.last.entities == [{"type": "italic", "offset": 0, "length": 9}]
        assert tg.requests[-1].via == "webhook-response"

        await bot.set_webhook(url.replace("/hook", "/missing"))
        failed = await u.send("lost")
        assert failed.webhook_status == 404
        info = await bot.get_webhook_info()
        assert info.last_error_message.startswith("Wrong response from the webhook: 404")

        assert await bot.delete_webhook()
        await u.send("polling again")
        assert [x.message.text for x in await bot.get_updates()] == ["polling again"]
    finally:
        await runner.cleanup()


# ------------------------------------------------------------------ faults
async def test_fail_next_produces_aiogram_exceptions(tg, bot):
    u = tg.user(1001)
    u.register()
    tg.fail_next("sendMessage", retry_after=7)
    with pytest.raises(TelegramRetryAfter) as err:
        await bot.send_message(u.id, "a")
    assert err.value.retry_after == 7
    assert "Original description: Too Many Requests: retry after 7" in err.value.message
    tg.fail_next("SENDMESSAGE", error_code=502, times=2)
    for _ in range(2):
        with pytest.raises(TelegramServerError, match="Bad Gateway"):
            await bot.send_message(u.id, "b")
    await bot.send_message(u.id, "c")  # faults are used up
    assert [m.text for m in u.inbox] == ["c"]
    assert tg.stats["429"] == 1 and tg.stats["responses"][502] == 2
    assert tg.stats["requests"]["sendMessage"] == 4


async def test_fail_next_raw_429_shape(tg):
    tg.fail_next("getMe", retry_after=5)
    status, body = await raw(tg, "getMe")
    assert status == 429
    assert body == {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 5",
                    "parameters": {"retry_after": 5}}


async def test_hang_then_deliver_behind_a_client_timeout(tg):
    u = tg.user(1001)
    u.register()
    tg.fail_next("sendMessage", delay=0.6)
    url = f"{tg.base_url}/bot{tg.token}/sendMessage"
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=0.2)) as s:
        with pytest.raises(TimeoutError):
            async with s.post(url, data={"chat_id": str(u.id), "text": "slow"}):
                pass
    [msg] = await u.wait_messages(1, timeout=5)  # the client gave up, but Telegram still delivered it
    assert msg.text == "slow"


async def test_blocked_user_answers_403_until_they_write_again(tg, bot):
    u = tg.user(1001)
    await u.send("/start")
    tg.block(u.id)
    with pytest.raises(TelegramForbiddenError) as err:
        await bot.send_message(u.id, "reminder")
    assert err.value.message == "Forbidden: bot was blocked by the user"
    with pytest.raises(TelegramForbiddenError):
        await bot.send_chat_action(u.id, "typing")
    await u.send("/start")  # restarting the bot unblocks it
    await bot.send_message(u.id, "welcome back")
    assert [m.text for m in u.inbox] == ["welcome back"]


async def test_unknown_method_token_and_path(tg, bot):
    status, body = await raw(tg, "sendPoll", chat_id=1, question="q")
    assert status == 404 and body == {"ok": False, "error_code": 404, "description": "Not Found"}
    with pytest.raises(TelegramNotFound):
        await bot(SendPoll(chat_id=1, question="q", options=["a", "b"]))
    status, body = await raw(tg, "getMe", token="999:WRONG")
    assert status == 401 and body == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    wrong = make_bot(tg, "999:WRONG")
    with pytest.raises(TelegramUnauthorizedError):
        await wrong.get_me()
    await wrong.session.close()
    status, body = await raw(tg, "GETME", http="GET")  # method names are case-insensitive, GET works
    assert status == 200 and body["result"]["username"] == "kiezbot_test_bot"
    tg.stub("setMyDescription")
    assert await raw(tg, "setMyDescription", description="x") == (200, {"ok": True, "result": True})


# ------------------------------------------------------------------ rate limits
async def test_rate_limits_private_burst_group_per_minute_and_global(tg, bot):
    tg.clock = clock = Clock()
    tg.rate_limits = RateLimits(private_burst=3)
    u = tg.user(1001)
    u.register()
    for i in range(3):  # burst tolerance
        await bot.send_message(u.id, f"burst {i}")
    with pytest.raises(TelegramRetryAfter) as err:
        await bot.send_message(u.id, "too fast")
    assert err.value.retry_after == 1
    clock.now += 1.0  # one second refills one message
    await bot.send_message(u.id, "after waiting")
    with pytest.raises(TelegramRetryAfter):
        await bot.send_message(u.id, "too fast again")

    staff = tg.group(-1001234, "Staff", members=[u])
    clock.now += 10
    for i in range(20):
        clock.now += 0.5
        await bot.send_message(staff.id, f"g{i}")
    with pytest.raises(TelegramRetryAfter) as err:
        await bot.send_message(staff.id, "21st within a minute")
    assert 40 <= err.value.retry_after <= 60  # until the oldest leaves the 60 s window

    clock.now += 100
    for uid in range(2000, 2030):  # 30 different chats in the same instant
        tg.user(uid).register()
        await bot.send_message(uid, "broadcast")
    tg.user(2030).register()
    with pytest.raises(TelegramRetryAfter) as err:
        await bot.send_message(2030, "31st message this second")
    assert err.value.retry_after == 1
    assert tg.stats["429"] == 4
    assert len(tg.stats["delivered"][u.id]) == 4 and len(tg.stats["delivered"][staff.id]) == 20
    assert tg.achieved_rate(staff.id) == pytest.approx(2.0)  # one message per 0.5 s of fake clock


async def test_rate_limits_off_by_default_and_switchable(tg, bot):
    u = tg.user(1001)
    u.register()
    await asyncio.gather(*(bot.send_message(u.id, str(i)) for i in range(40)))
    assert len(u.inbox) == 40 and tg.stats["429"] == 0
    tg.rate_limits = True
    sends = (bot.send_message(u.id, str(i)) for i in range(10))
    results = await asyncio.gather(*sends, return_exceptions=True)
    assert sum(isinstance(r, TelegramRetryAfter) for r in results) >= 6  # burst of 3, +maybe 1 refilled


# ------------------------------------------------------------------ media, files and other methods
async def test_files_media_and_misc_methods(tg, bot):
    u = tg.user(1001, "Ada")
    await u.send_voice(duration=4)
    await u.send_photo(caption="Müll")
    await u.send_location(52.52, 13.40)
    await u.send_sticker()
    await u.send_document("liste.csv", b"a;b\n1;2\n")
    ups = await bot.get_updates()
    voice, photo, loc, sticker, doc = (x.message for x in ups)
    assert voice.voice.duration == 4 and photo.caption == "Müll" and loc.location.latitude == 52.52
    assert sticker.sticker.emoji == "👍" and doc.document.file_name == "liste.csv"
    f = await bot.get_file(doc.document.file_id)
    assert (await bot.download_file(f.file_path)).read() == b"a;b\n1;2\n"
    f = await bot.get_file(photo.photo[-1].file_id)
    assert (await bot.download_file(f.file_path)).read().startswith(b"\xff\xd8")
    with pytest.raises(TelegramBadRequest, match="wrong file_id"):
        await bot.get_file("nope")

    sent = await bot.send_document(u.id, BufferedInputFile(b"PDFDATA", "bericht.pdf"),
                                   caption="<b>Bericht</b>", parse_mode="HTML")
    assert sent.document.file_name == "bericht.pdf" and sent.caption == "Bericht"
    assert (u.last.document.filename, u.last.document.data, u.last.method) == ("bericht.pdf", b"PDFDATA",
                                                                               "sendDocument")
    await bot.send_photo(u.id, photo.photo[-1].file_id)  # re-send by file_id
    await bot.send_voice(u.id, BufferedInputFile(b"OggS..", "v.ogg"), duration=2)
    venue = await bot.send_venue(u.id, 52.5, 13.4, "Kiezbüro", "Hermannstr. 1")
    assert venue.venue.title == "Kiezbüro" and u.last.venue["address"] == "Hermannstr. 1"
    await bot.send_location(u.id, 52.5, 13.4)
    album = await bot.send_media_group(u.id, [InputMediaPhoto(media=BufferedInputFile(b"\xff\xd8a", "a.jpg")),
                                              InputMediaPhoto(media=BufferedInputFile(b"\xff\xd8b", "b.jpg"),
                                                              caption="zwei")])
    assert len(album) == 2 and album[0].media_group_id == album[1].media_group_id
    staff = tg.group(-100777, "Staff", members=[u])
    copied = await bot.copy_message(staff.id, u.id, doc.message_id)
    assert staff.last.message_id == copied.message_id and staff.last.document.filename == "liste.csv"
    fwd = await bot.forward_message(staff.id, u.id, voice.message_id)
    assert fwd.forward_origin.sender_user.id == u.id
    with pytest.raises(TelegramBadRequest, match="message to copy not found"):
        await bot.copy_message(staff.id, u.id, 4242)
    assert await bot.send_chat_action(u.id, "typing") and u.actions[-1][1] == "typing"
    with pytest.raises(TelegramBadRequest, match="wrong parameter action"):
        await bot.send_chat_action(u.id, "dancing")
    assert [m.method for m in u.inbox] == ["sendDocument", "sendPhoto", "sendVoice", "sendVenue",
                                           "sendLocation", "sendMediaGroup", "sendMediaGroup"]

    assert await bot.set_my_commands([BotCommand(command="start", description="Start")], language_code="de")
    assert [c.command for c in await bot.get_my_commands(language_code="de")] == ["start"]
    assert await bot.get_my_commands() == []
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Bad-Command", description="x")])
    assert await bot.delete_my_commands(language_code="de") and tg.commands(language_code="de") == []
    assert await bot.set_chat_menu_button()
    assert (await bot.get_chat(staff.id)).title == "Staff"
    assert await bot.close() and await bot.log_out()


async def test_get_chat_member_statuses(tg, bot):
    boss, helper, resident = tg.user(1), tg.user(2), tg.user(3)
    staff = tg.group(-1009, "Staff", members=[helper], admins=[boss])
    assert isinstance(await bot.get_chat_member(staff.id, boss.id), ChatMemberAdministrator)
    assert isinstance(await bot.get_chat_member(staff.id, helper.id), ChatMemberMember)
    assert isinstance(await bot.get_chat_member(staff.id, resident.id), ChatMemberLeft)
    tg.set_member_status(staff.id, helper.id, "kicked")
    assert (await bot.get_chat_member(staff.id, helper.id)).status == "kicked"
    tg.set_member_status(staff.id, resident.id, "restricted")
    assert (await bot.get_chat_member(staff.id, resident.id)).status == "restricted"
    tg.set_member_status(staff.id, resident.id, "creator")
    assert (await bot.get_chat_member(staff.id, resident.id)).status == "creator"
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.get_chat_member(-1, boss.id)


async def test_group_members_post_and_press_as_themselves(tg, bot):
    boss, helper = tg.user(1, "Boss", language_code="en"), tg.user(2, "Helfer")
    assert tg.user(1).user["language_code"] == "en"  # a later lookup keeps earlier settings
    staff = tg.group(-100321, "QM Staff", members=[helper], admins=[boss])
    await staff.send("Meldung 17")  # default sender: the first registered member (admins first)
    await bot.send_message(staff.id, "Übernehmen?", reply_markup=kb([("Ich", "take:17")]))
    pressed = await staff.press(staff.last, "Ich", user=helper)
    msg, query = (up for up in await bot.get_updates())
    assert msg.message.chat.type == "supergroup" and msg.message.from_user.id == boss.id
    assert query.callback_query.from_user.first_name == "Helfer"
    assert query.callback_query.message.chat.id == staff.id and pressed.callback.user_id == helper.id


async def test_wait_messages_times_out_with_a_helpful_message(tg, bot):
    u = tg.user(1001)
    u.register()
    with pytest.raises(TelegramBadRequest):
        await bot.send_message(u.id, "<p>x</p>", parse_mode="HTML")
    with pytest.raises(AssertionError, match=r'bot message.*sendMessage 400: .*Unsupported start tag "p"'):
        await u.wait_messages(1, timeout=0.1)
    await bot.send_message(u.id, "one")
    await bot.send_message(u.id, "two")
    assert [m.text for m in await u.wait_messages(2)] == ["one", "two"]  # a read cursor: no re-delivery
    await bot.send_message(u.id, "three")
    assert (await u.wait_message()).text == "three" and u.last.text == "three" and len(u.inbox) == 3


async def test_requests_are_recorded_with_typed_params(tg, bot):
    u = tg.user(1001)
    u.register()
    await bot.send_message(u.id, "x", reply_markup=kb([("A", "a")]))
    rec = tg.requests_for("sendmessage")[-1]
    assert rec.method == "sendMessage" and rec.status == 200 and rec.token == tg.token
    assert rec.params["chat_id"] == u.id  # form strings are typed like the Bot API does
    assert rec.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "a"
    assert isinstance(rec.time, float) and rec.response["text"] == "x"


async def test_multiple_tokens_are_separate_bots(tg):
    token2 = tg.add_bot("777:SECOND", username="second_bot")
    bot2 = make_bot(tg, token2)
    try:
        assert (await bot2.get_me()).username == "second_bot"
        await tg.user(1001, token=token2).send("hi second")
        assert [x.message.text for x in await bot2.get_updates()] == ["hi second"]
        assert tg.pending_updates() == []  # the default bot saw nothing
    finally:
        await bot2.session.close()


# ------------------------------------------------------------------ a real aiogram Dispatcher in polling mode
async def test_aiogram_dispatcher_polling_end_to_end(tg, bot):
    router = Router()

    @router.message(CommandStart())
    async def start(message: Message) -> None:
        await message.answer(f"Hallo <b>{message.from_user.first_name}</b>!", parse_mode="HTML",
                             reply_markup=kb([("Termine", "menu:events")]))

    @router.callback_query(F.data == "menu:events")
    async def events(query: CallbackQuery) -> None:
        await query.message.edit_text("Keine Termine diese Woche.")
        await query.answer("Geladen")

    @router.message(F.chat.type == "supergroup")
    async def staff_message(message: Message) -> None:
        member = await message.bot.get_chat_member(message.chat.id, message.from_user.id)
        await message.reply(f"{member.status}: {message.text}")

    dp = Dispatcher()
    dp.include_router(router)
    polling = asyncio.create_task(dp.start_polling(bot, handle_signals=False, close_bot_session=False,
                                                   polling_timeout=5))
    try:
        ada = tg.user(1001, "Ada")
        await ada.send("/start")
        [greeting] = await ada.wait_messages(1, timeout=10)
        assert greeting.text == "Hallo Ada!" and greeting.html == "Hallo <b>Ada</b>!"
        assert greeting.buttons == [[("Termine", "menu:events")]]
        press = await ada.press(greeting, "Termine")
        await ada.wait_edit(greeting, timeout=10)
        assert greeting.text == "Keine Termine diese Woche." and greeting.buttons == []
        assert (await press.callback.wait_answered(10))["text"] == "Geladen"

        staff = tg.group(-100555, "QM Staff", admins=[ada])
        await staff.send("Neue Meldung?")
        [reply] = await staff.wait_messages(1, timeout=10)
        assert reply.text == "administrator: Neue Meldung?" and reply.reply_to.text == "Neue Meldung?"
    finally:
        await dp.stop_polling()
        await asyncio.wait_for(polling, 10)

"""kiezbot's aiogram session (bot/telegram.py): the same requests as aiogram's own, answers of replies
checked but not turned into objects."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramBadRequest, TelegramRetryAfter
from aiogram.methods import EditMessageText, SendMessage
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.telegram import EditReply, KiezbotSession, SendReply

BOT = Bot("123456:TEST", default=DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True))
MARKUP = InlineKeyboardMarkup(inline_keyboard=[
    [InlineKeyboardButton(text="Ja ✓", callback_data="ev:yes:7"), InlineKeyboardButton(text="Nein", callback_data="ev:no")],
    [InlineKeyboardButton(text="Karte", url="https://www.openstreetmap.org/?mlat=52.5&mlon=13.4")],
])


def fields(session, method) -> dict:   # noqa: ANN001
    form = session.build_form_data(BOT, method)
    return {f[0]["name"]: f[2] for f in form._fields}


@pytest.mark.parametrize("method", [
    SendMessage(chat_id=42, text="<b>Hallo</b>", reply_markup=MARKUP),
    EditMessageText(chat_id=-100777, message_id=5, text="ي", reply_markup=MARKUP),
    SendMessage(chat_id=42, text="ohne Knöpfe"),
])
def test_requests_are_the_ones_aiogram_itself_sends(method):
    assert fields(KiezbotSession(), method) == fields(AiohttpSession(), method)


def test_values_that_are_not_plain_json_take_aiograms_way():
    session, theirs = KiezbotSession(), AiohttpSession()
    when = datetime(2026, 11, 26, 18, 0, tzinfo=timezone.utc)
    for value in ({"until": when, "note": None}, {"mode": ParseMode.HTML}, {"rows": [[1, None, "a"]], "x": False}):
        assert session.prepare_value(value, BOT, {}) == theirs.prepare_value(value, BOT, {})
    assert json.loads(session.prepare_value({"until": when}, BOT, {})) == {"until": str(round(when.timestamp()))}


def test_a_reply_is_sent_as_send_message_with_the_bots_defaults():
    reply = SendReply(chat_id=42, text="<b>Hallo</b>", reply_markup=MARKUP)
    assert reply.__api_method__ == "sendMessage" and EditReply.__api_method__ == "editMessageText"
    sent = fields(KiezbotSession(), reply)
    assert sent == fields(AiohttpSession(), SendMessage(chat_id=42, text="<b>Hallo</b>", reply_markup=MARKUP))
    assert sent["parse_mode"] == "HTML"


def test_the_answer_to_a_reply_is_checked_but_not_parsed():
    session = KiezbotSession()
    reply = SendReply(chat_id=42, text="Hallo")
    ok = json.dumps({"ok": True, "result": {"message_id": 9, "date": 1, "chat": {"id": 42, "type": "private"}}})
    assert session.check_response(BOT, reply, 200, ok).result == {"message_id": 9, "date": 1,
                                                                 "chat": {"id": 42, "type": "private"}}
    # a plain sendMessage still gets aiogram's Message
    assert session.check_response(BOT, SendMessage(chat_id=42, text="Hallo"), 200, ok).result.message_id == 9
    refused = json.dumps({"ok": False, "error_code": 400, "description": "Bad Request: message is not modified"})
    with pytest.raises(TelegramBadRequest, match="not modified"):
        session.check_response(BOT, EditReply(chat_id=42, message_id=9, text="x"), 400, refused)
    flood = json.dumps({"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 3",
                        "parameters": {"retry_after": 3}})
    with pytest.raises(TelegramRetryAfter) as caught:
        session.check_response(BOT, reply, 429, flood)
    assert caught.value.retry_after == 3

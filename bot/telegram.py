"""Telegram transport (aiogram 3): updates in, dialog replies out; long polling or webhook."""
from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from aiogram import Bot, Dispatcher, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ChatType, ParseMode
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError, TelegramRetryAfter
from aiogram.methods import EditMessageText, SendMessage
from aiogram.methods.base import Response
from aiogram.types import (BotCommand, BufferedInputFile, CallbackQuery, InlineKeyboardButton,
                           InlineKeyboardMarkup, Message)

from dialogs.core.engine import Dialogs
from dialogs.core.replies import chunk_replies
from dialogs.core.messages import Inbound, Reply, Sender
from dialogs.core.text import clip, plain
from dialogs.start.profile import (DESCRIPTION, DESCRIPTION_LIMIT, SHORT_DESCRIPTION,
                                   SHORT_DESCRIPTION_LIMIT)

log = logging.getLogger(__name__)

MAX_RETRIES = 5
SHOWN_KEPT = 4096          # messages whose last content the transport remembers (to skip identical edits)


# aiogram parses every Bot API answer with ``Response[method.__returning__]``. pydantic caches such a
# parametrised model only while something refers to it, and aiogram drops it right away, so after each
# garbage collection the next answer built the model class and its schema again: milliseconds, about
# every other update under load (README, Performance). The session keeps each one from its first use on.
_KEPT_RESPONSE_TYPES: dict[Any, type] = {}


_NOT_PLAIN = object()
_SCALARS = (str, int, float, bool)


def _plain_json(value: Any) -> Any:
    """``value`` without its ``None`` entries if it holds nothing but dicts, lists, strings, numbers and
    booleans (a keyboard as ``model_dump`` gives it), else ``_NOT_PLAIN``."""
    kind = type(value)
    if kind is dict:
        out = {}
        for key, item in value.items():
            if item is not None:
                item = _plain_json(item)
                if item is _NOT_PLAIN:
                    return _NOT_PLAIN
                out[key] = item
        return out
    if kind is list:
        items = []
        for item in value:
            if item is not None:
                item = _plain_json(item)
                if item is _NOT_PLAIN:
                    return _NOT_PLAIN
                items.append(item)
        return items
    return value if kind in _SCALARS else _NOT_PLAIN


class KiezbotSession(AiohttpSession):
    """aiogram's HTTP session, keeping the answer models it has built (see above), with a shorter way
    for plain JSON values such as keyboards (see ``prepare_value``)."""

    def prepare_value(self, value: Any, bot: Bot, files: dict[str, Any], _dumps_json: bool = True) -> Any:
        # aiogram prepares a dict field (reply_markup: six buttons of a dozen keys each, mostly None) one
        # value at a time, asking of each whether it is a default, a file, a date, an enum …, ~20 µs a
        # keyboard. One made of JSON's own types only needs its None entries dropped, as aiogram drops them;
        # anything else (a file, a date, an enum, a default) takes aiogram's way.
        if value is None or type(value) is str:   # most of a method's ~25 fields: as aiogram returns them
            return value
        if _dumps_json and type(value) is dict:
            plain = _plain_json(value)
            if plain is not _NOT_PLAIN:
                return self.json_dumps(plain)
        return super().prepare_value(value, bot=bot, files=files, _dumps_json=_dumps_json)

    def check_response(self, bot: Bot, method: Any, status_code: int, content: str) -> Any:
        returning = method.__returning__
        if returning not in _KEPT_RESPONSE_TYPES:
            _KEPT_RESPONSE_TYPES[returning] = Response[returning]
        return super().check_response(bot=bot, method=method, status_code=status_code, content=content)


class SendReply(SendMessage):
    """``sendMessage`` for a reply whose answer kiezbot does not read.

    Telegram answers a sent or edited message with the whole message, keyboard included, and aiogram
    validates that into pydantic objects (~40 µs for a message with six buttons, more than building and
    serialising the call). The replies of an update are sent and forgotten (an edit later takes the
    message id from the button press), so their answers are checked (``ok``, error codes → aiogram's
    exceptions, 429 → retry) but the ``result`` stays the JSON value Telegram sent. Everything else
    about the call (fields, defaults such as ``parse_mode``, serialisation) is ``SendMessage``'s.
    The delivery engine, which keeps message ids, still sends ``SendMessage``."""

    __returning__ = Any   # type: ignore[assignment]


class EditReply(EditMessageText):
    """``editMessageText`` for an update's reply, answer not read (see :class:`SendReply`)."""

    __returning__ = Any   # type: ignore[assignment]


def make_bot(token: str, api_base_url: str) -> Bot:
    session = KiezbotSession(api=TelegramAPIServer.from_base(api_base_url))
    return Bot(token=token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML,
                                                                           link_preview_is_disabled=True))


def sender_of(user: Any, chat: Any) -> Sender:
    kind = "private" if chat.type == ChatType.PRIVATE else "group"
    name = " ".join(p for p in (user.first_name, user.last_name) if p) if user else ""
    return Sender(chat_id=chat.id, user_id=user.id if user else chat.id,
                  language_code=user.language_code if user else None, display_name=name, chat_kind=kind)


def inbound_from_message(message: Message) -> Inbound:
    sender = sender_of(message.from_user, message.chat)
    mid = message.message_id
    if message.text is not None:
        return Inbound.parse_text(sender, message.text, message_id=mid)
    if message.voice is not None:
        v = message.voice
        return Inbound("voice", sender, file_id=v.file_id, file_size=v.file_size or 0, duration=v.duration,
                       text=message.caption or "", message_id=mid)
    if message.photo:
        p = message.photo[-1]
        return Inbound("photo", sender, file_id=p.file_id, file_size=p.file_size or 0,
                       text=message.caption or "", message_id=mid)
    if message.location is not None:
        return Inbound("location", sender, latitude=message.location.latitude,
                       longitude=message.location.longitude, message_id=mid)
    if message.animation is not None:      # a GIF arrives with a document too: it is not a file to read
        return Inbound("other", sender, text=message.caption or "", message_id=mid)
    if message.document is not None:
        d = message.document
        return Inbound("document", sender, file_id=d.file_id, file_size=d.file_size or 0,
                       file_name=d.file_name or "", text=message.caption or "", message_id=mid)
    if message.sticker is not None:
        return Inbound("sticker", sender, message_id=mid)
    return Inbound("other", sender, text=message.caption or "", message_id=mid)


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    if not reply.buttons:
        return None
    return _markup(tuple(tuple((b.label, b.data, b.url) for b in row) for row in reply.buttons))


@lru_cache(maxsize=1024)
def _markup(rows: tuple[tuple[tuple[str, str, str], ...], ...]) -> InlineKeyboardMarkup:
    """One keyboard as aiogram's (frozen) objects. Building them costs ~5 µs a button; the same menus,
    lists and yes/no questions are shown again and again, so the last 1,024 keyboards are kept."""
    return InlineKeyboardMarkup(inline_keyboard=[
        [InlineKeyboardButton(text=clip(label, 64), url=url) if url
         else InlineKeyboardButton(text=clip(label, 64), callback_data=data) for label, data, url in row]
        for row in rows])


async def call_with_retry(make_call, what: str):
    """Run a Bot API call; on 429 wait as long as Telegram asks and try again."""
    for attempt in range(MAX_RETRIES):
        try:
            return await make_call()
        except TelegramRetryAfter as exc:
            log.warning("%s: Telegram asks to wait %ss (attempt %s)", what, exc.retry_after, attempt + 1)
            await asyncio.sleep(exc.retry_after)
    return await make_call()


class TelegramTransport:
    def __init__(self, bot: Bot, dialogs: Dialogs, *, after_update: Callable[[], None] | None = None) -> None:
        self.bot = bot
        self.dialogs = dialogs
        # Called after an update that queued outbox messages (``Handled.queued``), once its own replies
        # are out: ``kiezbot run`` passes the delivery engine's tick, so messages an update queued for
        # other chats go out now, not at the next tick.
        self.after_update = after_update
        self.router = Router(name=__name__)
        self.router.message.register(self.on_message)
        # No filters: aiogram 3.31 runs a plain (non-async) filter such as ``F.data`` in a worker thread
        # (asyncio.to_thread), a thread hop on every button press; the handlers check what they need.
        self.router.callback_query.register(self.on_callback)
        # What this process last put into a message: (chat, message id) -> (text, keyboard). An edit to
        # the same content (a double tap, a list shown again) is not sent: Telegram would answer 400
        # "message is not modified". Another process's messages are unknown here; for them that 400
        # still counts as done (see send()).
        self._shown: OrderedDict[tuple[int, int], tuple[str, Any]] = OrderedDict()

    def _remember(self, chat_id: int, message_id: int | None, text: str, markup: Any) -> None:
        if message_id is None:
            return
        self._shown[(chat_id, message_id)] = (text, markup)
        self._shown.move_to_end((chat_id, message_id))
        while len(self._shown) > SHOWN_KEPT:
            self._shown.popitem(last=False)

    async def on_message(self, message: Message) -> None:
        if message.chat.type == ChatType.CHANNEL:
            return
        handled = await self.dialogs.handle(inbound_from_message(message))
        await self.deliver(message.chat.id, handled.replies, None)
        self._kick(handled.queued)

    async def on_callback(self, query: CallbackQuery) -> None:
        message = query.message
        chat = message.chat if message is not None else None
        if chat is None or not query.data:    # too old to carry its message, or a game button: no data
            await query.answer()
            return
        inbound = Inbound("press", sender_of(query.from_user, chat), data=query.data,
                          message_id=message.message_id)
        handled = await self.dialogs.handle(inbound)
        try:
            await query.answer(text=plain(handled.toast)[:200] if handled.toast else None)
        except TelegramBadRequest:   # too old to answer: harmless
            pass
        except Exception:  # noqa: BLE001 — committed already: see deliver()
            log.exception("answering a button press failed")   # the log line carries the chat pseudonymised
        await self.deliver(chat.id, handled.replies, message.message_id)
        self._kick(handled.queued)

    def _kick(self, queued: bool) -> None:
        if queued and self.after_update is not None:
            self.after_update()

    async def deliver(self, chat_id: int, replies: list[Reply], edit_message_id: int | None) -> None:
        """Send an update's replies. The update is committed by now, so nothing here raises: in webhook
        mode an exception would answer Telegram 500, and Telegram would send the update again — to be
        handled a second time on the state it already changed."""
        for reply in chunk_replies(replies):
            target = reply.chat_id or chat_id
            try:
                await self.send(target, reply, edit_message_id if target == chat_id else None)
            except TelegramForbiddenError:
                log.info("the chat blocked the bot; not sending")   # JSON logs carry the chat pseudonymised
                return
            except TelegramBadRequest as exc:
                log.error("Telegram refused a reply: %s", exc.message)
            except Exception:  # noqa: BLE001 — network errors, 5xx: the reply is lost, not the state
                log.exception("sending a reply failed (%s)",
                              "this chat" if target == chat_id else "another chat")
                return

    async def send(self, chat_id: int, reply: Reply, edit_message_id: int | None) -> None:
        markup = keyboard(reply)
        if reply.text and reply.edit and edit_message_id is not None:
            key = (chat_id, edit_message_id)
            if self._shown.get(key) == (reply.text, markup):
                return                                      # it shows (or is being edited to) exactly this
            # Remembered before the call: a second press handled meanwhile (a double tap) sees it.
            self._remember(chat_id, edit_message_id, reply.text, markup)
            try:
                await call_with_retry(lambda: self.bot(EditReply(
                    text=reply.text, chat_id=chat_id, message_id=edit_message_id, reply_markup=markup)), "edit")
                return
            except TelegramBadRequest as exc:
                if "not modified" in exc.message:        # drawn by another process: the same, so done
                    return
                self._shown.pop(key, None)
                # too old or deleted: fall through and send a new message
            except BaseException:
                self._shown.pop(key, None)                  # not shown: a later edit must not be skipped
                raise
        if reply.text:
            sent = await call_with_retry(lambda: self.bot(SendReply(chat_id=chat_id, text=reply.text,
                                                                    reply_markup=markup)), "send")
            self._remember(chat_id, sent.get("message_id") if isinstance(sent, dict) else None, reply.text, markup)
        if reply.venue:
            v = reply.venue
            await call_with_retry(lambda: self.bot.send_venue(chat_id, v.latitude, v.longitude, v.title[:256],
                                                              v.address[:256]), "venue")
        for m in reply.media:
            caption = m.caption or None
            if m.kind == "photo":
                await call_with_retry(lambda: self.bot.send_photo(chat_id, m.file_id, caption=caption), "photo")
            else:
                await call_with_retry(lambda: self.bot.send_voice(chat_id, m.file_id, caption=caption), "voice")
        if reply.document:
            d = reply.document
            await call_with_retry(lambda: self.bot.send_document(
                chat_id, BufferedInputFile(d.content, d.filename), caption=d.caption or None), "document")

    def _published_languages(self):  # noqa: ANN202 — (language code for Telegram or None, translator)
        """Telegram's language_code per catalog: None for the default language (what every other app
        language sees), the base code for the rest; variants (Einfache Sprache) share their base's."""
        for lang in self.dialogs.catalogs.languages:
            code = None if lang.code == self.dialogs.default_language else lang.code.split("_")[0]
            if lang.code.split("_")[0] != lang.code and code is not None:
                continue
            yield code, self.dialogs.translator(lang.code)

    async def set_commands(self) -> None:
        """Publish the command list in every language, so Telegram's menu shows it translated; then the
        profile texts (:meth:`set_profile`)."""
        for code, t in self._published_languages():
            commands = [BotCommand(command=name, description=clip(t._(msgid), 256))
                        for name, msgid in self.dialogs.command_help]
            try:
                await self.bot.set_my_commands(commands, language_code=code)
            except TelegramBadRequest as exc:
                log.warning("setMyCommands(%s) refused: %s", code, exc.message)
        await self.set_profile()

    async def set_profile(self) -> int:
        """Description and short description in every language (what people see before Start).

        Each is read first (getMyDescription / getMyShortDescription) and set only when it differs, so a
        restart costs two reads per language and no writes (Telegram rate-limits these setters hard).
        Returns the number of texts set. Failures are logged, never raised: a profile is no reason not to
        start."""
        changed = 0
        for code, t in self._published_languages():
            description = clip(t._(DESCRIPTION), DESCRIPTION_LIMIT)
            short = clip(t._(SHORT_DESCRIPTION), SHORT_DESCRIPTION_LIMIT)
            try:
                if (await self.bot.get_my_description(language_code=code)).description != description:
                    await call_with_retry(lambda: self.bot.set_my_description(description, language_code=code),
                                          "setMyDescription")
                    changed += 1
                if (await self.bot.get_my_short_description(language_code=code)).short_description != short:
                    await call_with_retry(lambda: self.bot.set_my_short_description(short, language_code=code),
                                          "setMyShortDescription")
                    changed += 1
            except TelegramBadRequest as exc:
                log.warning("bot profile (%s) refused: %s", code, exc.message)
            except Exception:  # noqa: BLE001 — network trouble at start-up: kiezbot runs without it
                log.exception("setting the bot profile (%s) failed", code)
                return changed
        if changed:
            log.info("bot profile updated: %s texts", changed)
        return changed


def build_dispatcher(transport: TelegramTransport) -> Dispatcher:
    dp = Dispatcher(disable_fsm=True)    # conversations are kiezbot's own (dialogs/, in the database)
    dp.include_router(transport.router)
    return dp

"""A local fake of the Telegram Bot API for end-to-end tests and benchmarks.

The fake is a real aiohttp HTTP server on 127.0.0.1 (random free port).  The bot
under test keeps its real aiogram ``AiohttpSession`` and only points it at the fake::

    from aiogram import Bot
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from tests.fake_telegram import FakeTelegram

    async with FakeTelegram() as tg:
        bot = Bot(tg.token, session=AiohttpSession(api=TelegramAPIServer.from_base(tg.base_url)))
        ...  # start the Dispatcher (polling), or bot.set_webhook(...) to get updates POSTed
        u = tg.user(1001, first_name="Ada", language_code="de")
        await u.send("/start")                    # -> update (getUpdates queue or webhook POST)
        [msg] = await u.wait_messages(1, timeout=5)
        assert "Willkommen" in msg.text           # .text = plain text, .html = raw as sent
        await u.press(msg, "Termine")             # button label or callback_data
        await u.wait_edit(msg)                    # msg is updated in place; msg.edits = history

Wire protocol (what the fake does like api.telegram.org)
  * ``POST|GET {base}/bot{token}/{method}`` with JSON, form-urlencoded or multipart bodies
    (aiogram sends form data, multipart with ``attach://`` parts for uploads); method
    names are case-insensitive; ``GET {base}/file/bot{token}/{file_path}`` serves file bytes.
  * Answers ``{"ok": true, "result": ...}`` or ``{"ok": false, "error_code": N,
    "description": "..."}`` (+ ``parameters.retry_after`` for 429) with Telegram's
    wording, so aiogram raises TelegramBadRequest / TelegramForbiddenError /
    TelegramRetryAfter / TelegramNotFound / TelegramConflictError / TelegramServerError.
  * Unknown token -> 401 "Unauthorized"; unknown method -> 404 "Not Found"
    (``tg.stub(method, result)`` adds a trivial method if the bot needs one).

Validation: text 1..4096 UTF-16 units after entity parsing and whitespace trimming,
caption <= 1024, inline keyboards (<= 100 buttons, exactly one action field,
callback_data 1..64 UTF-8 bytes), known chat ids, edit/delete/answer semantics.
``parse_mode=HTML`` is parsed by a port of tdlib's parser (same error strings and
UTF-8 byte offsets).  Deliberate deviations (all documented where implemented):
  * a bare ``&`` that does not start a valid entity is rejected (tdlib keeps it
    literally); pass ``FakeTelegram(strict_html=False)`` for Telegram's leniency;
  * Markdown/MarkdownV2 are rejected with 400 (the project only uses HTML);
  * a button with more than one action field is rejected (Telegram silently picks one);
  * webhook deliveries are not retried; http:// webhook URLs are allowed.

Simulation API (plain Python, no HTTP): ``tg.user()``, ``tg.group()`` return chat
helpers (``send*``, ``press``, ``wait_messages``, ``inbox``, ``last``);
faults: ``tg.fail_next()``, ``tg.block()``; rate limits: ``FakeTelegram(rate_limits=True)``
or ``tg.rate_limits = RateLimits(...)``; observation: ``tg.requests``, ``tg.errors``,
``tg.stats``, ``tg.webhook_deliveries``.  ``tg.clock`` (default ``time.monotonic``)
drives rate limits and callback-query expiry and may be replaced by a test.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import mimetypes
import re
import secrets
import time
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Self
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

DEFAULT_TOKEN = "123456:TEST-TOKEN"
TOKEN_RE = re.compile(r"^\d+:[\w-]+$")
MAX_TEXT, MAX_CAPTION, MAX_BUTTONS, MAX_CALLBACK_BYTES = 4096, 1024, 100, 64
NOT_MODIFIED = ("message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message")
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
CHAT_ACTIONS = {"typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
                "upload_document", "choose_sticker", "find_location", "record_video_note",
                "upload_video_note"}
BUTTON_ACTIONS = ("url", "callback_data", "web_app", "login_url", "switch_inline_query",
                  "switch_inline_query_current_chat", "switch_inline_query_chosen_chat", "copy_text",
                  "callback_game", "pay")
JSON_FIELDS = {"reply_markup", "entities", "caption_entities", "media", "allowed_updates", "commands",
               "scope", "menu_button", "link_preview_options", "reply_parameters", "message_ids"}
INT_FIELDS = {"message_id", "offset", "limit", "timeout", "duration", "user_id", "reply_to_message_id",
              "message_thread_id", "max_connections", "cache_time", "width", "height", "live_period"}
FLOAT_FIELDS = {"latitude", "longitude", "horizontal_accuracy"}
BOOL_FIELDS = {"disable_notification", "protect_content", "show_alert", "drop_pending_updates",
               "disable_web_page_preview", "allow_sending_without_reply", "has_spoiler",
               "disable_content_type_detection", "show_caption_above_media"}
# sends that count as "messages" for rate limiting and stats
SEND_METHODS = {"sendmessage", "sendvenue", "sendlocation", "senddocument", "sendphoto", "sendvoice",
                "sendmediagroup", "copymessage", "forwardmessage"}


class TelegramError(Exception):
    """Raised inside the fake; becomes Telegram's error JSON and HTTP status."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code, self.description, self.retry_after = code, description, retry_after

    def payload(self) -> dict:
        body: dict[str, Any] = {"ok": False, "error_code": self.code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad(msg: str) -> TelegramError:
    return TelegramError(400, "Bad Request: " + msg)


def too_many(retry_after: int) -> TelegramError:
    return TelegramError(429, f"Too Many Requests: retry after {retry_after}", retry_after)


def utf16_len(s: str) -> int:
    return len(s.encode("utf-16-le")) // 2


# --------------------------------------------------------------------------- HTML parse mode
class HtmlParseError(ValueError):
    pass


_SPACE = " \t\r\n\f\v"
_HTML_TAGS = {"a", "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler",
              "tg-emoji", "pre", "code", "blockquote"}
_ENTITY_TYPE = {"b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline",
                "ins": "underline", "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
                "span": "spoiler", "tg-spoiler": "spoiler", "code": "code", "pre": "pre"}


def _decode_entity(text: str, pos: int) -> tuple[str | None, int]:
    """tdlib's decode_html_entity: (&lt; &gt; &amp; &quot; &#NN; &#xHH;), ';' optional."""
    n, end = len(text), pos + 1
    if end < n and text[end] == "#":
        end += 1
        hexa = end < n and text[end] == "x"
        end += hexa
        start = end
        digits = "0123456789abcdefABCDEF" if hexa else "0123456789"
        while end < n and text[end] in digits:
            end += 1
        if end == start or end - pos >= 10:
            return None, pos
        code = int(text[start:end], 16 if hexa else 10)
        if code == 0 or code >= 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return None, pos
        ch = chr(code)
    else:
        while end < n and text[end].isascii() and text[end].isalpha():
            end += 1
        ch = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}.get(text[pos + 1:end])
        if ch is None:
            return None, pos
    return ch, end + 1 if end < n and text[end] == ";" else end


def parse_html(text: str, *, strict: bool = True) -> tuple[str, list[dict]]:
    """Parse Telegram's HTML subset -> (plain text, MessageEntity dicts in UTF-16 units).

    Raises HtmlParseError with tdlib's messages ("Unsupported start tag "x" at byte offset N", ...).
    With strict=True a bare '&' is an error (tdlib would keep it literally)."""
    def boff(i: int) -> int:
        return len(text[:i].encode("utf-8"))

    out: list[str] = []
    u16 = 0
    stack: list[tuple[str, str, int, int]] = []  # tag, argument, utf16 offset, index in out
    entities: list[dict] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "&":
            ch, j = _decode_entity(text, i)
            if ch is not None:
                out.append(ch)
                u16 += utf16_len(ch)
                i = j
                continue
            if strict:
                raise HtmlParseError(f'Bare "&" at byte offset {boff(i)} is not part of an HTML entity; '
                                     "escape it as &amp; (FakeTelegram strict_html; Telegram keeps it)")
        if c != "<":
            out.append(c)
            u16 += 2 if ord(c) > 0xFFFF else 1
            i += 1
            continue
        begin = i
        i += 1
        if i < n and text[i] == "/":  # end tag
            if not stack:
                raise HtmlParseError(f"Unexpected end tag at byte offset {boff(begin)}")
            j = i + 1
            while j < n and text[j] not in _SPACE and text[j] != ">":
                j += 1
            end_name = text[i + 1:j].lower()
            while j < n and text[j] in _SPACE:
                j += 1
            if j >= n or text[j] != ">":
                raise HtmlParseError(f"Unclosed end tag at byte offset {boff(begin)}")
            tag, arg, start, out_pos = stack.pop()
            if end_name and end_name != tag:
                raise HtmlParseError(f'Unmatched end tag at byte offset {boff(begin)}, expected "</{tag}>", '
                                     f'found "</{end_name}>"')
            i = j + 1
            if u16 > start:
                entities.append(_make_entity(tag, arg, start, u16 - start, "".join(out[out_pos:]), entities))
            continue
        j = i
        while j < n and text[j] not in _SPACE and text[j] != ">":
            j += 1
        if j >= n:
            raise HtmlParseError(f"Unclosed start tag at byte offset {boff(begin)}")
        tag = text[i:j].lower()
        if tag not in _HTML_TAGS:
            raise HtmlParseError(f'Unsupported start tag "{tag}" at byte offset {boff(begin)}')
        attrs: dict[str, str] = {}
        i = j
        while True:
            while i < n and text[i] in _SPACE:
                i += 1
            if i >= n:
                raise HtmlParseError(f"Unclosed start tag at byte offset {boff(begin)}")
            if text[i] == ">":
                break
            ab = i
            while i < n and text[i] not in _SPACE and text[i] not in "=>":
                i += 1
            name = text[ab:i].lower()
            if not name:
                raise HtmlParseError(f'Empty attribute name in the tag "{tag}" at byte offset {boff(begin)}')
            while i < n and text[i] in _SPACE:
                i += 1
            if i >= n or text[i] != "=":
                if tag == "blockquote" and name == "expandable":
                    attrs[name] = ""
                    continue
                raise HtmlParseError(f'Expected equal sign in declaration of an attribute of the tag "{tag}" '
                                     f"at byte offset {boff(begin)}")
            i += 1
            while i < n and text[i] in _SPACE:
                i += 1
            if i >= n:
                raise HtmlParseError(f'Unclosed start tag "{tag}" at byte offset {boff(begin)}')
            if text[i] not in "'\"":
                tb = i
                while i < n and ((text[i].isascii() and text[i].isalnum()) or text[i] in ".-"):
                    i += 1
                value = text[tb:i].lower()
                if i < n and text[i] not in _SPACE and text[i] != ">":
                    raise HtmlParseError(f"Unexpected end of name token at byte offset {boff(tb)}")
            else:
                quote, buf = text[i], []
                i += 1
                while i < n and text[i] != quote:
                    if text[i] == "&":
                        ch, j = _decode_entity(text, i)
                        if ch is not None:
                            buf.append(ch)
                            i = j
                            continue
                    buf.append(text[i])
                    i += 1
                i += 1 if i < n else 0
                value = "".join(buf)
            if i >= n:
                raise HtmlParseError(f"Unclosed start tag at byte offset {boff(begin)}")
            attrs[name] = value
        i += 1
        arg = ""
        if tag == "a":
            arg = attrs.get("href", "")
        elif tag == "code":
            arg = attrs.get("class", "")[9:] if attrs.get("class", "").startswith("language-") else ""
        elif tag == "span" and attrs.get("class") != "tg-spoiler":
            raise HtmlParseError(f'Tag "span" must have class "tg-spoiler" at byte offset {boff(begin)}')
        elif tag == "tg-emoji":
            arg = attrs.get("emoji-id", "")
            if not arg.isdigit():
                raise HtmlParseError(f'Tag "tg-emoji" must have attribute "emoji-id" '
                                     f"at byte offset {boff(begin)}")
        elif tag == "blockquote" and "expandable" in attrs:
            arg = "expandable"
        stack.append((tag, arg, u16, len(out)))
    if stack:
        raise HtmlParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _make_entity(tag: str, arg: str, offset: int, length: int, inner: str, done: list[dict]) -> dict:
    e: dict[str, Any] = {"offset": offset, "length": length}
    if tag == "a":
        e.update(type="text_link", url=arg or inner)
    elif tag == "blockquote":
        e["type"] = "expandable_blockquote" if arg else "blockquote"
    elif tag == "tg-emoji":
        e.update(type="custom_emoji", custom_emoji_id=arg)
    elif tag == "pre":
        e["type"] = "pre"
        for k, prev in enumerate(done):  # <pre><code class="language-x"> -> pre with language
            if prev["type"] == "code" and prev["offset"] == offset and prev["length"] == length:
                if prev.get("language"):
                    e["language"] = prev["language"]
                del done[k]
                break
    else:
        e["type"] = _ENTITY_TYPE[tag]
        if tag == "code" and arg:
            e["language"] = arg  # only kept when wrapped in <pre>
    return e


def _strip(text: str, entities: list[dict]) -> tuple[str, list[dict]]:
    """Telegram trims leading/trailing whitespace and shifts/clips the entities."""
    stripped = text.strip()
    lead = utf16_len(text[:len(text) - len(text.lstrip())])
    total, result = utf16_len(stripped), []
    for e in entities:
        start, end = max(0, e["offset"] - lead), min(total, e["offset"] + e["length"] - lead)
        if end > start:
            e = dict(e, offset=start, length=end - start)
            if e["type"] == "code":
                e.pop("language", None)
            result.append(e)
    return stripped, result


# --------------------------------------------------------------------------- records
@dataclass
class FakeFile:
    file_id: str
    file_unique_id: str
    data: bytes
    kind: str  # document | photo | voice | sticker
    filename: str | None = None
    mime_type: str | None = None
    file_path: str = ""
    width: int | None = None
    height: int | None = None
    duration: int | None = None

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass
class RecordedRequest:
    method: str
    params: dict
    time: float
    token: str
    files: dict = field(default_factory=dict)
    status: int = 0
    response: Any = None
    via: str = "http"


@dataclass
class SentMessage:
    """A message in a chat (bot->chat in ``inbox``; user messages only in ``history``)."""
    message_id: int
    chat_id: int
    method: str
    date: int
    from_user: dict
    chat: dict
    text: str = ""
    html: str | None = None  # raw text/caption exactly as the bot sent it
    entities: list = field(default_factory=list)
    is_caption: bool = False
    reply_markup: dict | None = None
    document: FakeFile | None = None
    photo: FakeFile | None = None
    voice: FakeFile | None = None
    sticker: FakeFile | None = None
    location: dict | None = None
    venue: dict | None = None
    media_group_id: str | None = None
    reply_to: SentMessage | None = None
    extra: dict = field(default_factory=dict)
    edits: list[dict] = field(default_factory=list)  # previous states, oldest first
    edit_date: int | None = None
    deleted: bool = False
    from_bot: bool = True
    params: dict = field(default_factory=dict)

    @property
    def caption(self) -> str | None:
        return self.text if self.is_caption else None

    @property
    def buttons(self) -> list[list[tuple[str, Any]]]:
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        return [[(b.get("text"), next((b[k] for k in BUTTON_ACTIONS if k in b), None)) for b in r]
                for r in rows]

    @property
    def keyboard(self) -> list[list[str]]:
        """Reply-keyboard button texts (ReplyKeyboardMarkup), if the bot sent one."""
        rows = (self.reply_markup or {}).get("keyboard") or []
        return [[b if isinstance(b, str) else b.get("text") for b in r] for r in rows]

    def snapshot(self) -> dict:
        return {"text": self.text, "html": self.html, "entities": self.entities,
                "reply_markup": self.reply_markup, "edit_date": self.edit_date}

    def to_json(self, with_reply: bool = True) -> dict:
        m: dict[str, Any] = {"message_id": self.message_id, "from": self.from_user, "chat": self.chat,
                             "date": self.date}
        key = "caption" if self.is_caption else "text"
        if self.text:
            m[key] = self.text
        if self.entities:
            m["caption_entities" if self.is_caption else "entities"] = self.entities
        for f in (self.document, self.voice, self.sticker):
            if f:
                m[f.kind] = _file_json(f)
        if self.photo:
            m["photo"] = _photo_sizes(self.photo)
        if self.location:
            m["location"] = self.location
        if self.venue:
            m["venue"] = self.venue
        if self.media_group_id:
            m["media_group_id"] = self.media_group_id
        if self.reply_markup and "inline_keyboard" in self.reply_markup:
            m["reply_markup"] = {"inline_keyboard": self.reply_markup["inline_keyboard"]}
        if self.edit_date:
            m["edit_date"] = self.edit_date
        if with_reply and self.reply_to:
            m["reply_to_message"] = self.reply_to.to_json(with_reply=False)
        m.update(self.extra)
        return m

    def __repr__(self) -> str:
        return f"<SentMessage #{self.message_id} {self.method} chat={self.chat_id} {self.text[:50]!r}>"


def _file_json(f: FakeFile) -> dict:
    d: dict[str, Any] = {"file_id": f.file_id, "file_unique_id": f.file_unique_id, "file_size": f.size}
    if f.kind == "document":
        d.update(file_name=f.filename, mime_type=f.mime_type)
    elif f.kind == "voice":
        d.update(duration=f.duration or 0, mime_type=f.mime_type or "audio/ogg")
    elif f.kind == "sticker":
        d.update(type="regular", width=512, height=512, is_animated=False, is_video=False,
                 emoji=f.filename or "👍")
    return {k: v for k, v in d.items() if v is not None}


def _photo_sizes(f: FakeFile) -> list[dict]:
    w, h = f.width or 1280, f.height or 960
    thumb = {"file_id": f.file_id + "-s", "file_unique_id": f.file_unique_id + "s",
             "file_size": min(f.size, 1500), "width": 90, "height": max(1, 90 * h // w)}
    return [thumb, {"file_id": f.file_id, "file_unique_id": f.file_unique_id, "file_size": f.size,
                    "width": w, "height": h}]


@dataclass
class CallbackQueryRecord:
    id: str
    data: str
    user_id: int
    chat_id: int
    message_id: int
    created: float
    answer: dict | None = None  # params of answerCallbackQuery once answered
    _event: asyncio.Event = field(default_factory=asyncio.Event, repr=False)

    @property
    def answered(self) -> bool:
        return self.answer is not None

    async def wait_answered(self, timeout: float = 5.0) -> dict:
        try:
            await asyncio.wait_for(self._event.wait(), timeout)
        except TimeoutError:
            raise AssertionError(f"callback query {self.id} ({self.data!r}) not answered "
                                 f"within {timeout}s") from None
        return self.answer  # type: ignore[return-value]


@dataclass
class DeliveredUpdate:
    """What a simulated user action produced."""
    update: dict
    webhook_status: int | None = None  # HTTP status of the webhook POST (None: polling / connection error)
    webhook_error: str | None = None
    dropped: bool = False  # filtered out by allowed_updates
    callback: CallbackQueryRecord | None = None

    @property
    def update_id(self) -> int:
        return self.update["update_id"]

    @property
    def message(self) -> dict | None:
        return self.update.get("message")


@dataclass
class Fault:
    method: str  # lower-case method name or "*"
    error_code: int | None
    retry_after: int | None
    description: str | None
    delay: float
    times: int


@dataclass
class RateLimits:
    """Telegram's documented limits; retry_after is computed from the window."""
    global_per_sec: int = 30
    private_per_sec: float = 1.0
    private_burst: int = 3
    group_per_min: int = 20


_ERROR_TEXT = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden: bot was blocked by the user",
               404: "Not Found", 409: "Conflict", 500: "Internal Server Error", 502: "Bad Gateway",
               503: "Service Unavailable", 504: "Gateway Timeout"}
_UNSET: Any = object()


# --------------------------------------------------------------------------- per-bot state
class _BotState:
    def __init__(self, token: str, username: str, first_name: str) -> None:
        self.token, self.id = token, int(token.split(":")[0])
        self.user = {"id": self.id, "is_bot": True, "first_name": first_name, "username": username}
        self.updates: list[dict] = []
        self.next_update_id = 1
        self.poll_waiters: list[asyncio.Future] = []
        self.webhook: dict | None = None
        self.allowed_updates: list[str] | None = None
        self.commands: dict[tuple[str, str], list[dict]] = {}
        self.descriptions: dict[str, str] = {}          # language_code ("" = default) -> text
        self.short_descriptions: dict[str, str] = {}
        self.menu_buttons: dict[int | None, dict] = {}
        self.known: set[int] = set()
        self.chats: dict[int, SimChat] = {}
        self.messages: dict[tuple[int, int], SentMessage] = {}
        self.msg_ids: dict[int, itertools.count] = defaultdict(lambda: itertools.count(1))
        self.queries: dict[str, CallbackQueryRecord] = {}


# --------------------------------------------------------------------------- simulated chats
class SimChat:
    """A chat as seen by simulated users.  Use SimUser (private) / SimGroup (supergroup)."""

    def __init__(self, tg: FakeTelegram, bot: _BotState, chat: dict) -> None:
        self.tg, self._bot, self.chat = tg, bot, chat
        self.id: int = chat["id"]
        self.inbox: list[SentMessage] = []    # everything the bot sent here (edits applied in place)
        self.history: list[SentMessage] = []  # both directions, in order
        self.actions: list[tuple[float, str]] = []  # sendChatAction calls
        self._read = 0
        self._changed = asyncio.Event()

    @property
    def token(self) -> str:
        return self._bot.token

    @property
    def last(self) -> SentMessage | None:
        return self.inbox[-1] if self.inbox else None

    @property
    def unread(self) -> list[SentMessage]:
        return self.inbox[self._read:]

    def mark_read(self) -> None:
        self._read = len(self.inbox)

    def block(self) -> None:
        self.tg.block(self.id, token=self.token)

    def unblock(self) -> None:
        self.tg.unblock(self.id, token=self.token)

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0,
                       what: str = "condition") -> Any:
        """Wait until predicate() is truthy (re-checked on every change in this chat)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            event = self._changed
            result = predicate()
            if result:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                errors = [f"{r.method} {r.status}: {(r.response or {}).get('description')}"
                          for r in self.tg.errors[-3:]]
                raise AssertionError(f"timeout after {timeout}s waiting for {what} in chat {self.id}; "
                                     f"last inbox={self.inbox[-5:]}; recent API errors={errors}")
            try:
                await asyncio.wait_for(event.wait(), remaining)
            except TimeoutError:
                pass

    async def wait_messages(self, n: int = 1, timeout: float = 5.0) -> list[SentMessage]:
        """The bot's next n messages to this chat not yet returned by wait_messages (a read cursor)."""
        await self.wait_for(lambda: len(self.inbox) - self._read >= n, timeout, f"{n} new bot message(s)")
        msgs = self.inbox[self._read:self._read + n]
        self._read += n
        return msgs

    async def wait_message(self, timeout: float = 5.0) -> SentMessage:
        return (await self.wait_messages(1, timeout))[0]

    async def wait_edit(self, message: SentMessage, timeout: float = 5.0,
                        edits: int | None = None) -> SentMessage:
        """Wait until `message` has been edited (or reaches `edits` edits in total)."""
        target = len(message.edits) + 1 if edits is None else edits
        await self.wait_for(lambda: len(message.edits) >= target, timeout,
                            f"edit of message {message.message_id}")
        return message

    # ---- user actions
    def _sender(self, user: SimUser | int | None) -> dict:
        raise NotImplementedError

    async def _post(self, user: SimUser | int | None, content: dict, *,
                    reply_to: SentMessage | int | None = None) -> DeliveredUpdate:
        sender = self._sender(user)
        self.tg._on_user_activity(self._bot, self)
        mid = next(self._bot.msg_ids[self.id])
        msg = SentMessage(mid, self.id, "user", int(time.time()), sender, self.chat, from_bot=False,
                          **content)
        if reply_to is not None:
            rid = reply_to if isinstance(reply_to, int) else reply_to.message_id
            msg.reply_to = self._bot.messages.get((self.id, rid))
        self._bot.messages[(self.id, mid)] = msg
        self.history.append(msg)
        self._notify()
        return await self.tg._enqueue(self._bot, {"message": msg.to_json()})

    async def send(self, text: str, *, user: SimUser | int | None = None,
                   reply_to: SentMessage | int | None = None,
                   entities: list[dict] | None = None) -> DeliveredUpdate:
        ents = list(entities or [])
        m = re.match(r"/[A-Za-z0-9_]{1,32}(@[A-Za-z0-9_]+)?", text)
        if m and not entities:
            ents.append({"type": "bot_command", "offset": 0, "length": utf16_len(m.group(0))})
        return await self._post(user, {"text": text, "entities": ents}, reply_to=reply_to)

    async def send_voice(self, duration: int = 3, data: bytes | None = None, *, caption: str | None = None,
                         user: SimUser | int | None = None) -> DeliveredUpdate:
        f = self.tg.add_file(data if data is not None else b"OggS\x00\x02" + bytes(64), "voice",
                             mime_type="audio/ogg", duration=duration)
        return await self._post(user, {"voice": f, **_caption(caption)})

    async def send_photo(self, data: bytes | None = None, *, caption: str | None = None, width: int = 1280,
                         height: int = 960, user: SimUser | int | None = None) -> DeliveredUpdate:
        jpeg = b"\xff\xd8\xff\xe0" + bytes(64) + b"\xff\xd9"
        f = self.tg.add_file(data if data is not None else jpeg, "photo", mime_type="image/jpeg",
                             width=width, height=height)
        return await self._post(user, {"photo": f, **_caption(caption)})

    async def send_document(self, filename: str = "file.txt", data: bytes = b"hello", *,
                            mime_type: str | None = None, caption: str | None = None,
                            user: SimUser | int | None = None) -> DeliveredUpdate:
        f = self.tg.add_file(data, "document", filename=filename, mime_type=mime_type)
        return await self._post(user, {"document": f, **_caption(caption)})

    async def send_sticker(self, emoji: str = "👍", *, user: SimUser | int | None = None) -> DeliveredUpdate:
        f = self.tg.add_file(b"RIFF\x00\x00\x00\x00WEBP", "sticker", filename=emoji, mime_type="image/webp")
        return await self._post(user, {"sticker": f})

    async def send_location(self, latitude: float, longitude: float, *,
                            user: SimUser | int | None = None) -> DeliveredUpdate:
        loc = {"latitude": float(latitude), "longitude": float(longitude)}
        return await self._post(user, {"location": loc})

    async def press(self, message: SentMessage | int | None, button: str, *,
                    user: SimUser | int | None = None) -> DeliveredUpdate:
        """Press an inline button (by label or callback_data) of a bot message in this chat.

        message=None picks the newest bot message here that has inline buttons."""
        if message is None:
            message = next((m for m in reversed(self.inbox) if m.buttons and not m.deleted), None)
            if message is None:
                raise LookupError(f"no bot message with inline buttons in chat {self.id}")
        elif isinstance(message, int):
            message = self._bot.messages.get((self.id, message))
            if message is None:
                raise LookupError(f"no message with that id in chat {self.id}")
        if message.chat_id != self.id or not message.from_bot:
            raise LookupError(f"message {message.message_id} is not a bot message in chat {self.id}")
        if message.deleted:
            raise LookupError(f"message {message.message_id} was deleted by the bot")
        flat = [b for row in (message.reply_markup or {}).get("inline_keyboard") or [] for b in row]
        hit = next((b for b in flat if b.get("text") == button), None) or \
            next((b for b in flat if b.get("callback_data") == button), None)
        if hit is None:
            raise LookupError(f"no inline button {button!r} in message {message.message_id} "
                              f"({message.text[:40]!r}); buttons are {message.buttons}")
        if "callback_data" not in hit:
            raise LookupError(f"button {button!r} has no callback_data (it is {hit}); "
                              "pressing it sends no update")
        sender = self._sender(user)
        qid = f"{next(self.tg._ids)}{secrets.token_hex(4)}"
        rec = CallbackQueryRecord(qid, hit["callback_data"], sender["id"], self.id, message.message_id,
                                  self.tg.clock())
        self._bot.queries[qid] = rec
        query = {"id": qid, "from": sender, "message": message.to_json(), "data": hit["callback_data"],
                 "chat_instance": str(abs(hash((self._bot.id, self.id))))}
        d = await self.tg._enqueue(self._bot, {"callback_query": query})
        d.callback = rec
        return d


def _caption(caption: str | None) -> dict:
    return {"text": caption or "", "is_caption": True}


class SimUser(SimChat):
    """A simulated user and its private chat with the bot (chat id == user id)."""

    def __init__(self, tg: FakeTelegram, bot: _BotState, user: dict) -> None:
        chat = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
        for k in ("last_name", "username"):
            if user.get(k):
                chat[k] = user[k]
        super().__init__(tg, bot, chat)
        self.user = user

    @property
    def first_name(self) -> str:
        return self.user["first_name"]

    def register(self) -> None:
        """Make the private chat known to the bot without sending anything."""
        self._bot.known.add(self.id)

    def _sender(self, user: SimUser | int | None) -> dict:
        return self.user if user is None else self.tg._user_json(user)


class SimGroup(SimChat):
    """A (super)group the bot is in; messages/presses come from `user=` (default: first member)."""

    def __init__(self, tg: FakeTelegram, bot: _BotState, chat: dict, members: list[int]) -> None:
        super().__init__(tg, bot, chat)
        self.members = members

    def add_member(self, user: SimUser | int, status: str = "member") -> None:
        uid = user if isinstance(user, int) else user.id
        if uid not in self.members:
            self.members.append(uid)
        self.tg.set_member_status(self.id, uid, status)

    def _sender(self, user: SimUser | int | None) -> dict:
        if user is None:
            if not self.members:
                raise ValueError(f"group {self.id} has no members; pass user=")
            user = self.members[0]
        return self.tg._user_json(user)


# --------------------------------------------------------------------------- the server
class FakeTelegram:
    def __init__(self, token: str = DEFAULT_TOKEN, *, rate_limits: bool | RateLimits = False,
                 strict_html: bool = True, callback_ttl: float = 15.0, bot_username: str = "kiezbot_test_bot",
                 bot_first_name: str = "KiezBot", webhook_timeout: float = 10.0) -> None:
        self.token = token
        self.strict_html, self.callback_ttl, self.webhook_timeout = strict_html, callback_ttl, webhook_timeout
        self.clock: Callable[[], float] = time.monotonic
        self.time_shift = 0.0             # seconds added to "now" when judging a message's age (tests)
        self.admin_in: set[int] = set()   # chats where the bot is an administrator
        self.requests: list[RecordedRequest] = []
        self.errors: list[RecordedRequest] = []
        self.webhook_deliveries: list[dict] = []
        self.files: dict[str, FakeFile] = {}
        self.stats: dict[str, Any] = {"requests": Counter(), "responses": Counter(), "429": 0,
                                      "delivered": defaultdict(list), "sent": []}
        self._bots: dict[str, _BotState] = {}
        self._users: dict[int, dict] = {}
        self._members: dict[tuple[int, int], str] = {}
        self._blocked: set[tuple[str, int]] = set()
        self._faults: list[Fault] = []
        self._stubs: dict[str, Any] = {}
        self._ids = itertools.count(1)
        self._rl: RateLimits | None = None
        self._rl_global: dict[str, deque] = defaultdict(deque)
        self._rl_private: dict[tuple[str, int], tuple[float, float]] = {}
        self._rl_group: dict[tuple[str, int], deque] = defaultdict(deque)
        self.rate_limits = rate_limits
        self._handlers = {name[3:].lower(): (name[3:], getattr(self, name)) for name in dir(self)
                          if name.startswith("_m_")}
        self._runner: web.AppRunner | None = None
        self._client: aiohttp.ClientSession | None = None
        self._closing = asyncio.Event()
        self._tasks: set[asyncio.Task] = set()
        self.base_url = ""
        self.port = 0
        self.add_bot(token, username=bot_username, first_name=bot_first_name)

    # ---- lifecycle
    async def start(self) -> FakeTelegram:
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        app.router.add_route("*", "/{tail:.*}", self._handle_unknown)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._client = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.webhook_timeout))
        return self

    async def stop(self) -> None:
        self._closing.set()
        for bot in self._bots.values():
            for fut in bot.poll_waiters:
                if not fut.done():
                    fut.set_result("closed")
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._client:
            await self._client.close()
        if self._runner:
            await self._runner.cleanup()

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ---- configuration / simulation API
    def add_bot(self, token: str, *, username: str | None = None, first_name: str = "TestBot") -> str:
        if not TOKEN_RE.match(token):
            raise ValueError(f"not a Telegram-shaped token: {token!r}")
        username = username or f"bot{token.split(':')[0]}_bot"
        self._bots.setdefault(token, _BotState(token, username, first_name))
        return token

    @property
    def bot_user(self) -> dict:
        return self._bots[self.token].user

    def _bot(self, token: str | None) -> _BotState:
        return self._bots[token or self.token]

    def user(self, id: int, first_name: str | None = None, *, last_name: str | None = None,
             username: str | None = None, language_code: str | None = _UNSET,
             token: str | None = None) -> SimUser:
        """The simulated user `id` (created on first call, language "de" by default; later calls
        only change the fields that are passed) and its private chat with the bot of `token`."""
        new = id not in self._users
        u = self._users.setdefault(id, {"id": id, "is_bot": False, "first_name": first_name or f"User{id}"})
        if language_code is _UNSET:
            language_code = "de" if new else None
        for k, v in (("first_name", first_name), ("last_name", last_name), ("username", username),
                     ("language_code", language_code)):
            if v is not None:
                u[k] = v
        bot = self._bot(token)
        chat = bot.chats.get(id)
        if not isinstance(chat, SimUser):
            chat = bot.chats[id] = SimUser(self, bot, u)
        return chat

    def group(self, id: int, title: str = "Staff", members: Sequence[SimUser | int] = (), *,
              admins: Sequence[SimUser | int] = (), creator: SimUser | int | None = None,
              type: str = "supergroup", username: str | None = None, token: str | None = None) -> SimGroup:
        bot = self._bot(token)
        chat = {"id": id, "type": type, "title": title}
        if username:
            chat["username"] = username
        g = bot.chats.get(id)
        if not isinstance(g, SimGroup):
            g = bot.chats[id] = SimGroup(self, bot, chat, [])
        bot.known.add(id)
        owner = [creator] if creator is not None else []
        for status, users in (("creator", owner), ("administrator", admins), ("member", members)):
            for u in users:
                self._user_json(u)
                g.add_member(u, status)
        return g

    def chat(self, chat_id: int, token: str | None = None) -> SimChat:
        return self._bot(token).chats[chat_id]

    def set_member_status(self, chat_id: int, user_id: int, status: str) -> None:
        """status: creator | administrator | member | restricted | left | kicked"""
        self._members[(chat_id, user_id)] = status

    def block(self, chat_id: int, token: str | None = None) -> None:
        self._blocked.add((token or self.token, chat_id))

    def unblock(self, chat_id: int, token: str | None = None) -> None:
        self._blocked.discard((token or self.token, chat_id))

    def fail_next(self, method: str, error_code: int | None = _UNSET, *, retry_after: int | None = None,
                  description: str | None = None, delay: float = 0.0, times: int = 1) -> None:
        """Make the next `times` calls of `method` ("*" = any) fail.

        error_code defaults to 429 (retry_after defaults to 3), or to None when only `delay` is
        given: then the request hangs `delay` seconds and is processed normally afterwards (a
        client that timed out meanwhile never learns the message was sent, as in real life)."""
        if error_code is _UNSET:
            error_code = None if delay else 429
        if error_code == 429 and retry_after is None:
            retry_after = 3
        self._faults.append(Fault(method.lower(), error_code, retry_after, description, delay, times))

    def stub(self, method: str, result: Any = True) -> None:
        """Answer an otherwise unknown method with `result` (a value or a callable(params) -> value)."""
        self._stubs[method.lower()] = result

    @property
    def rate_limits(self) -> RateLimits | None:
        return self._rl

    @rate_limits.setter
    def rate_limits(self, value: bool | RateLimits | None) -> None:
        self._rl = RateLimits() if value is True else (value or None)

    def add_file(self, data: bytes, kind: str = "document", *, filename: str | None = None,
                 mime_type: str | None = None, **dims: Any) -> FakeFile:
        n = next(self._ids)
        if kind == "document":
            filename = filename or f"file_{n}"
            mime_type = mime_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
        ext = {"photo": "jpg", "voice": "oga", "sticker": "webp"}.get(kind)
        ext = ext or (filename or "bin").rsplit(".", 1)[-1]
        f = FakeFile(f"FAKE{kind[:3].upper()}{n}-{secrets.token_hex(6)}", f"U{n}{secrets.token_hex(3)}",
                     bytes(data), kind, filename, mime_type, f"{kind}s/file_{n}.{ext}", **dims)
        self.files[f.file_id] = f
        return f

    def pending_updates(self, token: str | None = None) -> list[dict]:
        return list(self._bot(token).updates)

    def commands(self, scope: dict | None = None, language_code: str = "",
                 token: str | None = None) -> list[dict]:
        return self._bot(token).commands.get((_scope_key(scope), language_code), [])

    def description(self, language_code: str = "", token: str | None = None) -> str:
        return self._bot(token).descriptions.get(language_code, "")

    def short_description(self, language_code: str = "", token: str | None = None) -> str:
        return self._bot(token).short_descriptions.get(language_code, "")

    def requests_for(self, method: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method.lower() == method.lower()]

    def achieved_rate(self, chat_id: int | None = None) -> float:
        """Messages/second actually delivered (to one chat or overall), first to last message."""
        if chat_id is not None:
            ts = self.stats["delivered"][chat_id]
        else:
            ts = [t for t, _, _ in self.stats["sent"]]
        return (len(ts) - 1) / (ts[-1] - ts[0]) if len(ts) > 1 and ts[-1] > ts[0] else 0.0

    async def send_update(self, update: dict, token: str | None = None) -> DeliveredUpdate:
        """Inject a raw update body, e.g. {"my_chat_member": {...}} (update_id is added)."""
        return await self._enqueue(self._bot(token), update)

    # ---- internals: users, chats, updates
    def _user_json(self, user: SimUser | int) -> dict:
        if isinstance(user, SimUser):
            return user.user
        return self._users.setdefault(user, {"id": user, "is_bot": False, "first_name": f"User{user}",
                                             "language_code": "de"})

    def _on_user_activity(self, bot: _BotState, chat: SimChat) -> None:
        bot.known.add(chat.id)
        if isinstance(chat, SimUser):  # a user who writes has (re)started the bot
            self._blocked.discard((bot.token, chat.id))

    async def _enqueue(self, bot: _BotState, body: dict) -> DeliveredUpdate:
        update = {"update_id": bot.next_update_id, **body}
        bot.next_update_id += 1
        d = DeliveredUpdate(update)
        kind = next(k for k in body)
        if bot.allowed_updates and kind not in bot.allowed_updates:
            d.dropped = True
            return d
        if bot.webhook:
            await self._post_webhook(bot, update, d)
        else:
            bot.updates.append(update)
            for fut in bot.poll_waiters:
                if not fut.done():
                    fut.set_result("update")
        return d

    async def _post_webhook(self, bot: _BotState, update: dict, d: DeliveredUpdate) -> None:
        wh = bot.webhook
        assert wh is not None and self._client is not None
        headers = {"Content-Type": "application/json"}
        if wh.get("secret_token"):
            headers["X-Telegram-Bot-Api-Secret-Token"] = wh["secret_token"]
        entry: dict[str, Any] = {"update_id": update["update_id"], "url": wh["url"], "headers": headers,
                                 "status": None, "error": None, "time": self.clock()}
        try:
            async with self._client.post(wh["url"], data=json.dumps(update), headers=headers) as resp:
                entry["status"] = d.webhook_status = resp.status
                if 200 <= resp.status < 300:
                    await self._webhook_reply(bot, resp)
                else:
                    entry["error"] = f"Wrong response from the webhook: {resp.status} {resp.reason}"
        except (TimeoutError, aiohttp.ClientError, OSError) as e:
            entry["error"] = f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
        if entry["error"]:
            d.webhook_error = wh["last_error_message"] = entry["error"]
            wh["last_error_date"] = int(time.time())
        self.webhook_deliveries.append(entry)

    async def _webhook_reply(self, bot: _BotState, resp: aiohttp.ClientResponse) -> None:
        """Telegram executes a method returned in the webhook response body (JSON or multipart)."""
        params: dict[str, Any] = {}
        files: dict[str, FakeFile] = {}
        ctype = resp.headers.get("Content-Type", "")
        if ctype.startswith("multipart/"):
            reader = aiohttp.MultipartReader.from_response(resp)
            while (part := await reader.next()) is not None:
                data = await part.read()  # type: ignore[union-attr]
                if part.filename:  # type: ignore[union-attr]
                    files[part.name] = self._upload(data, part.filename, None)  # type: ignore
                else:
                    params[part.name] = data.decode()  # type: ignore[union-attr]
        else:
            try:
                params = json.loads(await resp.text() or "{}")
            except ValueError:
                return
        if isinstance(params, dict) and isinstance(params.get("method"), str):
            method = params.pop("method")
            try:
                await self._execute(bot, method, _coerce(params), files, via="webhook-response")
            except TelegramError:
                pass  # Telegram silently ignores failures of webhook-reply methods

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # ---- HTTP
    async def _handle_unknown(self, request: web.Request) -> web.Response:
        return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        path = request.match_info["path"]
        if request.match_info["token"] not in self._bots:
            return web.json_response(TelegramError(401, "Unauthorized").payload(), status=401)
        f = next((f for f in self.files.values() if f.file_path == path), None)
        if f is None:
            return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)
        return web.Response(body=f.data, content_type=f.mime_type or "application/octet-stream")

    async def _handle_api(self, request: web.Request) -> web.Response:
        token, method = request.match_info["token"], request.match_info["method"]
        executed = False
        try:
            bot = self._bots.get(token)
            if bot is None:
                raise TelegramError(401, "Unauthorized")
            params, files = await self._read_params(request)
            executed = True
            result = await self._execute(bot, method, params, files)
            body = {"ok": True, "result": result}
            if isinstance(result, tuple):  # (result, description)
                body = {"ok": True, "result": result[0], "description": result[1]}
            return web.json_response(body)
        except TelegramError as e:
            if not executed:  # 401 or unparseable body: still visible in tg.requests
                self._record(token, method, {}, {}, e.code, e.payload(), "http")
            return web.json_response(e.payload(), status=e.code)

    async def _read_params(self, request: web.Request) -> tuple[dict, dict]:
        params: dict[str, Any] = dict(request.query)
        files: dict[str, FakeFile] = {}
        if request.content_type == "application/json":
            try:
                body = await request.json() if request.can_read_body else {}
            except ValueError:
                raise bad("can't parse JSON encoded request") from None
            if not isinstance(body, dict):
                raise bad("can't parse JSON encoded request")
            params.update(body)
        elif request.content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
            for key, value in (await request.post()).items():
                if isinstance(value, web.FileField):
                    files[key] = self._upload(value.file.read(), value.filename, value.content_type)
                else:
                    params[key] = value
        return _coerce(params), files

    def _upload(self, data: bytes, filename: str | None, content_type: str | None) -> FakeFile:
        ctype = None if content_type in (None, "application/octet-stream") else content_type
        return FakeFile("", "", data, "upload", filename, ctype)

    def _record(self, token: str, method: str, params: dict, files: dict, status: int, response: Any,
                via: str) -> RecordedRequest:
        rec = RecordedRequest(method, params, self.clock(), token,
                              {k: {"filename": f.filename, "size": f.size} for k, f in files.items()},
                              status, response, via)
        self.requests.append(rec)
        self.stats["requests"][method] += 1
        self.stats["responses"][status] += 1
        if status != 200:
            self.errors.append(rec)
        if status == 429:
            self.stats["429"] += 1
        return rec

    async def _execute(self, bot: _BotState, method: str, params: dict, files: dict,
                       via: str = "http") -> Any:
        key = method.lower()
        name = self._handlers.get(key, (method, None))[0]
        try:
            fault = next((f for f in self._faults if f.times > 0 and f.method in (key, "*")), None)
            if fault:
                fault.times -= 1
                if fault.delay:
                    try:
                        await asyncio.wait_for(self._closing.wait(), fault.delay)
                    except TimeoutError:
                        pass
                if fault.error_code is not None:
                    desc = fault.description or _ERROR_TEXT.get(fault.error_code, "Error")
                    if fault.error_code == 429 and not fault.description:
                        desc = f"Too Many Requests: retry after {fault.retry_after}"
                    raise TelegramError(fault.error_code, desc, fault.retry_after)
            if key in self._handlers:
                result = await self._handlers[key][1](bot, params, files)
            elif key in self._stubs:
                stub = self._stubs[key]
                result = stub(params) if callable(stub) else stub
            else:
                raise TelegramError(404, "Not Found")
        except TelegramError as e:
            self._record(bot.token, name, params, files, e.code, e.payload(), via)
            raise
        self._record(bot.token, name, params, files, 200, result, via)
        return result

    # ---- shared validation helpers
    def _chat(self, bot: _BotState, p: dict, key: str = "chat_id", *, write: bool = True) -> SimChat:
        raw = p.get(key)
        if raw in (None, ""):
            raise bad(f"{key} is empty")
        if isinstance(raw, str) and raw.startswith("@"):
            name = raw[1:].lower()
            chat = next((c for c in bot.chats.values()
                         if c.chat.get("username", "").lower() == name and c.id in bot.known), None)
        else:
            try:
                cid = int(raw)
            except (TypeError, ValueError):
                raise bad("chat not found") from None
            chat = bot.chats.get(cid) if cid in bot.known else None
        if chat is None:
            raise bad("chat not found")
        if write and (bot.token, chat.id) in self._blocked:
            raise TelegramError(403, "Forbidden: bot was blocked by the user" if isinstance(chat, SimUser)
                                else f"Forbidden: bot was kicked from the {chat.chat['type']} chat")
        return chat

    def _text(self, p: dict, key: str, mode_key: str = "parse_mode", ent_key: str = "entities",
              caption: bool = False) -> tuple[str, list[dict]]:
        raw = p.get(key)
        raw = "" if raw is None else str(raw)
        mode = p.get(mode_key)
        if mode:
            if str(mode).lower() == "html":
                try:
                    text, ents = parse_html(raw, strict=self.strict_html)
                except HtmlParseError as e:
                    raise bad(f"can't parse entities: {e}") from None
            elif str(mode).lower() in ("markdown", "markdownv2"):
                raise bad(f"can't parse entities: FakeTelegram implements only parse_mode HTML "
                          f"(got {mode!r})")
            else:
                raise bad("unsupported parse_mode")
        else:
            text, ents = raw, p.get(ent_key) or []
            required = {"type", "offset", "length"}
            if not isinstance(ents, list) or \
                    not all(isinstance(e, dict) and required <= e.keys() for e in ents):
                raise bad("can't parse entities JSON object")
        text, ents = _strip(text, ents)
        limit = MAX_CAPTION if caption else MAX_TEXT
        if not caption and not text:
            raise bad("message text is empty")
        if utf16_len(text) > limit:
            raise bad("message caption is too long" if caption else "message is too long")
        return text, ents

    def _markup(self, p: dict) -> dict | None:
        mk = p.get("reply_markup")
        if mk is None:
            return None
        if not isinstance(mk, dict):
            raise bad("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in mk:
            rows = mk["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise bad('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays')
            if sum(len(r) for r in rows) > MAX_BUTTONS:
                raise bad("reply markup is too long")
            for b in (b for r in rows for b in r):
                if not isinstance(b, dict) or not isinstance(b.get("text"), str):
                    raise bad("can't parse inline keyboard button: Field \"text\" must be of type String")
                actions = [k for k in BUTTON_ACTIONS if b.get(k) is not None and b.get(k) is not False]
                if not actions:
                    raise bad("can't parse inline keyboard button: "
                              "Text buttons are unallowed in the inline keyboard")
                if len(actions) > 1:  # Telegram would silently use one of them; the fake is stricter
                    raise bad(f"can't parse inline keyboard button: exactly one of the optional fields "
                              f"must be used, got {actions}")
                if "callback_data" in actions:
                    data = b["callback_data"]
                    if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_BYTES:
                        raise bad("BUTTON_DATA_INVALID")
                if "url" in actions and not re.match(r"^(https?|tg)://\S+$", str(b["url"])):
                    raise bad(f"inline keyboard button URL '{b['url']}' is invalid: Unsupported URL protocol")
        elif "keyboard" in mk:
            rows = mk["keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise bad('field "keyboard" of the ReplyKeyboardMarkup must be an Array of Arrays')
            if sum(len(r) for r in rows) > 300:
                raise bad("reply markup is too long")
        elif not ({"remove_keyboard", "force_reply"} & mk.keys()):
            raise bad("can't parse reply keyboard markup JSON object")
        return mk

    def _reply_to(self, bot: _BotState, chat: SimChat, p: dict) -> SentMessage | None:
        rp = p.get("reply_parameters") or {}
        mid = rp.get("message_id", p.get("reply_to_message_id"))
        if mid is None:
            return None
        msg = bot.messages.get((chat.id, int(mid)))
        if (msg is None or msg.deleted) and not (rp.get("allow_sending_without_reply")
                                                 or p.get("allow_sending_without_reply")):
            raise bad("message to be replied not found")
        return msg

    def _rate_limit(self, bot: _BotState, chat: SimChat, count: int = 1) -> None:
        rl, now = self._rl, self.clock()
        if rl is None:
            return
        glob = self._rl_global[bot.token]
        while glob and glob[0] <= now - 1.0:
            glob.popleft()
        if len(glob) + count > rl.global_per_sec:
            raise too_many(max(1, math.ceil(glob[0] + 1.0 - now)))
        key = (bot.token, chat.id)
        if isinstance(chat, SimUser):
            tokens, last = self._rl_private.get(key, (float(rl.private_burst), now))
            tokens = min(float(rl.private_burst), tokens + (now - last) * rl.private_per_sec)
            if tokens < count:
                raise too_many(max(1, math.ceil((count - tokens) / rl.private_per_sec)))
            self._rl_private[key] = (tokens - count, now)
        else:
            win = self._rl_group[key]
            while win and win[0] <= now - 60.0:
                win.popleft()
            if len(win) + count > rl.group_per_min:
                raise too_many(max(1, math.ceil(win[0] + 60.0 - now)))
            win.extend([now] * count)
        glob.extend([now] * count)

    def _deliver(self, bot: _BotState, chat: SimChat, method: str, p: dict, **content: Any) -> SentMessage:
        msg = SentMessage(next(bot.msg_ids[chat.id]), chat.id, method, int(time.time()), bot.user, chat.chat,
                          params=p, **content)
        bot.messages[(chat.id, msg.message_id)] = msg
        chat.inbox.append(msg)
        chat.history.append(msg)
        now = self.clock()
        self.stats["delivered"][chat.id].append(now)
        self.stats["sent"].append((now, chat.id, method))
        chat._notify()
        return msg

    def _input_file(self, p: dict, files: dict, key: str, kind: str) -> FakeFile:
        value = p.get(key)
        up = files.get(key)
        if isinstance(value, str) and value.startswith("attach://"):
            up = files.get(value[9:])
            if up is None:
                raise bad(f"can't parse InputFile: file {value[9:]} not found")
        if up is not None:
            if not up.data:
                raise bad("file must be non-empty")
            if len(up.data) > 50 * 1024 * 1024:
                raise TelegramError(413, "Request Entity Too Large")
            return self.add_file(up.data, kind, filename=up.filename or (key if kind == "document" else None),
                                 mime_type=up.mime_type)
        if not value:
            raise bad(f"there is no {key} in the request")
        if str(value) in self.files:
            return self.files[str(value)]
        if re.match(r"^https?://", str(value)):  # no network here: pretend the download worked
            return self.add_file(b"", kind, filename=urlsplit(str(value)).path.rsplit("/", 1)[-1] or "file")
        raise bad("wrong file identifier/HTTP URL specified")

    def _find(self, bot: _BotState, p: dict, what: str) -> tuple[SimChat, SentMessage]:
        if p.get("inline_message_id"):
            raise bad("MESSAGE_ID_INVALID")  # inline mode is not simulated
        chat = self._chat(bot, p)
        if p.get("message_id") in (None, ""):
            raise bad("message identifier is not specified")
        msg = bot.messages.get((chat.id, int(p["message_id"])))
        if msg is None or msg.deleted:
            raise bad(f"message to {what} not found")
        return chat, msg

    # ---- methods (name after _m_ is the canonical Bot API name)
    async def _m_getMe(self, bot: _BotState, p: dict, f: dict) -> dict:
        return {**bot.user, "can_join_groups": True, "can_read_all_group_messages": False,
                "supports_inline_queries": False, "can_connect_to_business": False, "has_main_web_app": False}

    async def _m_logOut(self, bot: _BotState, p: dict, f: dict) -> bool:
        return True

    async def _m_close(self, bot: _BotState, p: dict, f: dict) -> bool:
        return True

    async def _m_getUpdates(self, bot: _BotState, p: dict, f: dict) -> list[dict]:
        if bot.webhook:
            raise TelegramError(409, "Conflict: can't use getUpdates method while webhook is active; "
                                     "use deleteWebhook to delete the webhook first")
        offset, limit = int(p.get("offset") or 0), max(1, min(100, int(p.get("limit") or 100)))
        if p.get("allowed_updates") is not None:
            bot.allowed_updates = list(p["allowed_updates"]) or None
        if offset > 0:
            bot.updates = [u for u in bot.updates if u["update_id"] >= offset]
        elif offset < 0:
            bot.updates = bot.updates[offset:]
        for fut in bot.poll_waiters:  # only one long poll per bot, like Telegram
            if not fut.done():
                fut.set_result("terminated")
        timeout = float(p.get("timeout") or 0)
        if not bot.updates and timeout > 0 and not self._closing.is_set():
            fut = asyncio.get_running_loop().create_future()
            bot.poll_waiters.append(fut)
            try:
                why = await asyncio.wait_for(fut, timeout)
            except TimeoutError:
                why = "timeout"
            finally:
                bot.poll_waiters.remove(fut)
            if why == "terminated":
                raise TelegramError(409, "Conflict: terminated by other getUpdates request; "
                                         "make sure that only one bot instance is running")
        return bot.updates[:limit] if not bot.webhook else []

    async def _m_setWebhook(self, bot: _BotState, p: dict, f: dict) -> tuple:
        url = str(p.get("url") or "")
        if not url:
            return await self._m_deleteWebhook(bot, p, f)
        parts = urlsplit(url)
        local_http = parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost")
        if parts.scheme != "https" and not local_http:
            raise bad("bad webhook: An HTTPS URL must be provided for webhook")
        secret = p.get("secret_token")
        if secret is not None and not re.match(r"^[A-Za-z0-9_-]{1,256}$", str(secret)):
            raise bad("secret token contains unallowed characters")
        if p.get("drop_pending_updates"):
            bot.updates.clear()
        if p.get("allowed_updates") is not None:
            bot.allowed_updates = list(p["allowed_updates"]) or None
        bot.webhook = {"url": url, "secret_token": secret,
                       "max_connections": int(p.get("max_connections") or 40)}
        for fut in bot.poll_waiters:
            if not fut.done():
                fut.set_result("webhook")
        if bot.updates:
            self._spawn(self._flush_pending(bot))
        return True, "Webhook was set"

    async def _flush_pending(self, bot: _BotState) -> None:
        while bot.webhook and bot.updates:
            await self._post_webhook(bot, bot.updates.pop(0), DeliveredUpdate({}))

    async def _m_deleteWebhook(self, bot: _BotState, p: dict, f: dict) -> tuple:
        had = bot.webhook is not None
        bot.webhook = None
        if p.get("drop_pending_updates"):
            bot.updates.clear()
        return True, "Webhook was deleted" if had else "Webhook is already deleted"

    async def _m_getWebhookInfo(self, bot: _BotState, p: dict, f: dict) -> dict:
        info: dict[str, Any] = {"url": "", "has_custom_certificate": False,
                                "pending_update_count": len(bot.updates)}
        if bot.webhook:
            info.update(url=bot.webhook["url"], max_connections=bot.webhook["max_connections"],
                        ip_address="127.0.0.1")
            for k in ("last_error_date", "last_error_message"):
                if k in bot.webhook:
                    info[k] = bot.webhook[k]
        if bot.allowed_updates:
            info["allowed_updates"] = bot.allowed_updates
        return info

    async def _send(self, bot: _BotState, p: dict, method: str, *, count: int = 1,
                    **content: Any) -> SentMessage:
        chat = self._chat(bot, p)
        reply_to = self._reply_to(bot, chat, p)
        markup = self._markup(p)
        self._rate_limit(bot, chat, count)
        return self._deliver(bot, chat, method, p, reply_markup=markup, reply_to=reply_to, **content)

    async def _m_sendMessage(self, bot: _BotState, p: dict, f: dict) -> dict:
        text, ents = self._text(p, "text")
        msg = await self._send(bot, p, "sendMessage", text=text, entities=ents, html=p.get("text"))
        return msg.to_json()

    async def _media(self, bot: _BotState, p: dict, files: dict, method: str, key: str) -> dict:
        self._chat(bot, p)  # chat/blocked errors come before file errors
        caption, ents = self._text(p, "caption", ent_key="caption_entities", caption=True)
        fake = self._input_file(p, files, key, key)
        if key == "voice":
            fake.duration = int(p.get("duration") or fake.duration or 1)
        msg = await self._send(bot, p, method, text=caption, entities=ents, html=p.get("caption"),
                               is_caption=True, **{key: fake})
        return msg.to_json()

    async def _m_sendDocument(self, bot: _BotState, p: dict, f: dict) -> dict:
        return await self._media(bot, p, f, "sendDocument", "document")

    async def _m_sendPhoto(self, bot: _BotState, p: dict, f: dict) -> dict:
        return await self._media(bot, p, f, "sendPhoto", "photo")

    async def _m_sendVoice(self, bot: _BotState, p: dict, f: dict) -> dict:
        return await self._media(bot, p, f, "sendVoice", "voice")

    def _latlon(self, p: dict) -> dict:
        for k in ("latitude", "longitude"):
            if p.get(k) in (None, ""):
                raise bad(f"{k} is empty")
        lat, lon = float(p["latitude"]), float(p["longitude"])
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise bad("wrong location specified")  # approximate wording
        return {"latitude": lat, "longitude": lon}

    async def _m_sendLocation(self, bot: _BotState, p: dict, f: dict) -> dict:
        return (await self._send(bot, p, "sendLocation", location=self._latlon(p))).to_json()

    async def _m_sendVenue(self, bot: _BotState, p: dict, f: dict) -> dict:
        loc = self._latlon(p)
        for k in ("title", "address"):
            if not p.get(k):
                raise bad(f"{k} is empty")
        venue = {"location": loc, "title": str(p["title"]), "address": str(p["address"])}
        for k in ("foursquare_id", "foursquare_type", "google_place_id", "google_place_type"):
            if p.get(k):
                venue[k] = p[k]
        return (await self._send(bot, p, "sendVenue", location=loc, venue=venue)).to_json()

    async def _m_sendMediaGroup(self, bot: _BotState, p: dict, files: dict) -> list[dict]:
        chat = self._chat(bot, p)
        media = p.get("media")
        if not isinstance(media, list) or not 2 <= len(media) <= 10:
            raise bad("wrong number of media in the album")  # approximate wording
        prepared = []
        for item in media:
            kind = item.get("type") if isinstance(item, dict) else None
            if kind not in ("photo", "document", "video", "audio"):
                raise bad("can't parse InputMedia: unsupported media type")
            caption, ents = self._text(item, "caption", ent_key="caption_entities", caption=True)
            fake = self._input_file({"media": item.get("media")}, files, "media",
                                    "photo" if kind == "photo" else "document")
            prepared.append((kind, fake, caption, ents, item.get("caption")))
        reply_to = self._reply_to(bot, chat, p)
        self._rate_limit(bot, chat, len(prepared))
        group_id = str(next(self._ids) + 10 ** 15)
        out = []
        for kind, fake, caption, ents, html in prepared:
            content = {"photo" if kind == "photo" else "document": fake}
            msg = self._deliver(bot, chat, "sendMediaGroup", p, text=caption, entities=ents, html=html,
                                is_caption=True, media_group_id=group_id, reply_to=reply_to, **content)
            out.append(msg.to_json())
        return out

    def _source(self, bot: _BotState, p: dict, what: str) -> SentMessage:
        src_chat = self._chat(bot, p, "from_chat_id", write=False)
        src = bot.messages.get((src_chat.id, int(p.get("message_id") or 0)))
        if src is None or src.deleted:
            raise bad(f"message to {what} not found")
        return src

    def _content(self, src: SentMessage) -> dict:
        keys = ("text", "entities", "is_caption", "document", "photo", "voice", "sticker", "location",
                "venue")
        return {k: getattr(src, k) for k in keys}

    async def _m_copyMessage(self, bot: _BotState, p: dict, f: dict) -> dict:
        src = self._source(bot, p, "copy")
        content = self._content(src)
        content["html"] = src.html
        if "caption" in p and src.is_caption:
            content["text"], content["entities"] = self._text(p, "caption", ent_key="caption_entities",
                                                              caption=True)
            content["html"] = p.get("caption")
        msg = await self._send(bot, p, "copyMessage", **content)
        return {"message_id": msg.message_id}

    async def _m_forwardMessage(self, bot: _BotState, p: dict, f: dict) -> dict:
        src = self._source(bot, p, "forward")
        origin = {"type": "user", "date": src.date, "sender_user": src.from_user}
        msg = await self._send(bot, {k: v for k, v in p.items() if k != "reply_markup"}, "forwardMessage",
                               html=src.html, extra={"forward_origin": origin}, **self._content(src))
        return msg.to_json()

    def _apply_edit(self, chat: SimChat, msg: SentMessage, method: str, **changes: Any) -> dict:
        if all(getattr(msg, k) == v for k, v in changes.items() if k != "html"):  # compared after parsing
            raise bad(NOT_MODIFIED)
        state = msg.snapshot()
        state.update(method=method, time=self.clock())
        msg.edits.append(state)
        for k, v in changes.items():
            setattr(msg, k, v)
        msg.edit_date = int(time.time())
        chat._notify()
        return msg.to_json()

    async def _m_editMessageText(self, bot: _BotState, p: dict, f: dict) -> dict:
        chat, msg = self._find(bot, p, "edit")
        if not msg.from_bot:
            raise bad("message can't be edited")
        if msg.is_caption or msg.location:
            raise bad("there is no text in the message to edit")
        text, ents = self._text(p, "text")
        return self._apply_edit(chat, msg, "editMessageText", text=text, entities=ents,
                                reply_markup=self._markup(p), html=p.get("text"))

    async def _m_editMessageCaption(self, bot: _BotState, p: dict, f: dict) -> dict:
        chat, msg = self._find(bot, p, "edit")
        if not msg.from_bot:
            raise bad("message can't be edited")
        if not msg.is_caption:
            raise bad("there is no caption in the message to edit")
        text, ents = self._text(p, "caption", ent_key="caption_entities", caption=True)
        return self._apply_edit(chat, msg, "editMessageCaption", text=text, entities=ents,
                                reply_markup=self._markup(p), html=p.get("caption"))

    async def _m_editMessageReplyMarkup(self, bot: _BotState, p: dict, f: dict) -> dict:
        chat, msg = self._find(bot, p, "edit")
        if not msg.from_bot:
            raise bad("message can't be edited")
        return self._apply_edit(chat, msg, "editMessageReplyMarkup", reply_markup=self._markup(p))

    async def _m_deleteMessage(self, bot: _BotState, p: dict, f: dict) -> bool:
        chat, msg = self._find(bot, p, "delete")
        # Telegram: a bot deletes its own messages only within 48 hours, unless it is an administrator
        # (with "delete messages") of the group: then any message.
        if time.time() + self.time_shift - msg.date > 48 * 3600 and chat.id not in self.admin_in:
            raise bad("message can't be deleted for everyone")
        msg.deleted = True
        chat._notify()
        return True

    async def _m_answerCallbackQuery(self, bot: _BotState, p: dict, f: dict) -> bool:
        q = bot.queries.get(str(p.get("callback_query_id") or ""))
        if q is None or q.answered or self.clock() - q.created > self.callback_ttl:
            raise bad(QUERY_TOO_OLD)
        if len(str(p.get("text") or "")) > 200:
            raise bad("MESSAGE_TOO_LONG")
        q.answer = {k: v for k, v in p.items() if k != "callback_query_id"}
        q._event.set()
        return True

    async def _m_sendChatAction(self, bot: _BotState, p: dict, f: dict) -> bool:
        chat = self._chat(bot, p)
        if p.get("action") not in CHAT_ACTIONS:
            raise bad("wrong parameter action in request")
        chat.actions.append((self.clock(), p["action"]))
        chat._notify()
        return True

    async def _m_setMyCommands(self, bot: _BotState, p: dict, f: dict) -> bool:
        cmds = p.get("commands")
        if not isinstance(cmds, list):
            raise bad("can't parse commands JSON object")
        if len(cmds) > 100:
            raise bad("too many commands")  # approximate wording
        for c in cmds:
            if not isinstance(c, dict) or not re.match(r"^[a-z0-9_]{1,32}$", str(c.get("command", ""))):
                raise bad("BOT_COMMAND_INVALID")
            if not 1 <= len(str(c.get("description", "")).strip()) <= 256:
                raise bad("command description must be non-empty")  # approximate wording
        bot.commands[(_scope_key(p.get("scope")), str(p.get("language_code") or ""))] = \
            [{"command": c["command"], "description": c["description"]} for c in cmds]
        return True

    async def _m_getMyCommands(self, bot: _BotState, p: dict, f: dict) -> list[dict]:
        return bot.commands.get((_scope_key(p.get("scope")), str(p.get("language_code") or "")), [])

    async def _m_deleteMyCommands(self, bot: _BotState, p: dict, f: dict) -> bool:
        bot.commands.pop((_scope_key(p.get("scope")), str(p.get("language_code") or "")), None)
        return True

    # Bot API 6.6: the profile texts; an empty or missing text removes the language's own one.
    async def _m_setMyDescription(self, bot: _BotState, p: dict, f: dict) -> bool:
        return self._set_profile_text(bot.descriptions, p, "description", 512)

    async def _m_getMyDescription(self, bot: _BotState, p: dict, f: dict) -> dict:
        return {"description": bot.descriptions.get(str(p.get("language_code") or ""), "")}

    async def _m_setMyShortDescription(self, bot: _BotState, p: dict, f: dict) -> bool:
        return self._set_profile_text(bot.short_descriptions, p, "short_description", 120)

    async def _m_getMyShortDescription(self, bot: _BotState, p: dict, f: dict) -> dict:
        return {"short_description": bot.short_descriptions.get(str(p.get("language_code") or ""), "")}

    @staticmethod
    def _set_profile_text(store: dict[str, str], p: dict, field: str, limit: int) -> bool:
        code = str(p.get("language_code") or "")
        if code and not re.fullmatch(r"[a-z]{2}", code):
            raise bad("language code is invalid")            # approximate wording
        text = str(p.get(field) or "")
        if len(text) > limit:
            raise bad(f"{field} is too long")                # approximate wording
        if text:
            store[code] = text
        else:
            store.pop(code, None)
        return True

    async def _m_setChatMenuButton(self, bot: _BotState, p: dict, f: dict) -> bool:
        cid = self._chat(bot, p, write=False).id if p.get("chat_id") not in (None, "") else None
        button = p.get("menu_button") or {"type": "default"}
        if not isinstance(button, dict) or button.get("type") not in ("default", "commands", "web_app"):
            raise bad("can't parse menu button JSON object")  # approximate wording
        bot.menu_buttons[cid] = button
        return True

    async def _m_getChatMenuButton(self, bot: _BotState, p: dict, f: dict) -> dict:
        cid = self._chat(bot, p, write=False).id if p.get("chat_id") not in (None, "") else None
        return bot.menu_buttons.get(cid) or bot.menu_buttons.get(None) or {"type": "default"}

    async def _m_getFile(self, bot: _BotState, p: dict, f: dict) -> dict:
        fid = str(p.get("file_id") or "")
        fake = self.files.get(fid) or (self.files.get(fid[:-2]) if fid.endswith("-s") else None)
        if fake is None:
            raise bad("wrong file_id or the file is temporarily unavailable")
        if fake.size > 20 * 1024 * 1024:
            raise bad("file is too big")
        return {"file_id": fid, "file_unique_id": fake.file_unique_id, "file_size": fake.size,
                "file_path": fake.file_path}

    async def _m_getChat(self, bot: _BotState, p: dict, f: dict) -> dict:
        chat = self._chat(bot, p, write=False)
        gifts = {k: False for k in ("unlimited_gifts", "limited_gifts", "unique_gifts",
                                    "premium_subscription", "gifts_from_channels")}
        return {**chat.chat, "accent_color_id": 0, "max_reaction_count": 11, "accepted_gift_types": gifts}

    async def _m_getChatMember(self, bot: _BotState, p: dict, f: dict) -> dict:
        chat = self._chat(bot, p, write=False)
        if p.get("user_id") in (None, ""):
            raise bad("user_id is empty")
        uid = int(p["user_id"])
        user = bot.user if uid == bot.id else self._user_json(uid)
        if isinstance(chat, SimUser):
            status = "member" if uid in (chat.id, bot.id) else "left"
        else:
            status = self._members.get((chat.id, uid)) or ("administrator" if uid == bot.id else "left")
        return _chat_member(status, user)


def _scope_key(scope: Any) -> str:
    return json.dumps(scope or {"type": "default"}, sort_keys=True)


def _chat_member(status: str, user: dict) -> dict:
    m: dict[str, Any] = {"status": status, "user": user}
    if status == "creator":
        m["is_anonymous"] = False
    elif status == "administrator":
        m.update({k: False for k in ("is_anonymous", "can_be_edited", "can_post_stories", "can_edit_stories",
                                     "can_delete_stories", "can_promote_members",
                                     "can_send_welcome_messages")})
        m.update({k: True for k in ("can_manage_chat", "can_delete_messages", "can_manage_video_chats",
                                    "can_restrict_members", "can_change_info", "can_invite_users",
                                    "can_pin_messages")})
    elif status == "restricted":
        m.update({k: False for k in ("can_send_messages", "can_send_audios", "can_send_documents",
                                     "can_send_photos", "can_send_videos", "can_send_video_notes",
                                     "can_send_voice_notes", "can_send_polls", "can_send_other_messages",
                                     "can_add_web_page_previews", "can_react_to_messages", "can_edit_tag",
                                     "can_change_info", "can_invite_users", "can_pin_messages",
                                     "can_manage_topics")})
        m.update(is_member=True, until_date=0)
    elif status == "kicked":
        m["until_date"] = 0
    elif status not in ("member", "left"):
        raise ValueError(f"unknown chat member status {status!r}")
    return m


def _coerce(params: dict) -> dict:
    """Type form-encoded strings the way the Bot API reads each parameter."""
    out: dict[str, Any] = {}
    for k, v in params.items():
        if isinstance(v, str):
            if k in JSON_FIELDS:
                try:
                    v = json.loads(v)
                except ValueError:
                    raise bad("can't parse reply keyboard markup JSON object" if k == "reply_markup"
                              else f"can't parse {k} JSON object") from None
            elif k in INT_FIELDS or (k in ("chat_id", "from_chat_id") and re.fullmatch(r"-?\d+", v)):
                try:
                    v = int(v)
                except ValueError:
                    raise bad(f"wrong parameter {k} in request") from None
            elif k in FLOAT_FIELDS:
                try:
                    v = float(v)
                except ValueError:
                    raise bad(f"wrong parameter {k} in request") from None
            elif k in BOOL_FIELDS:
                v = v.lower() in ("true", "1")
        out[k] = v
    return out

"""Senders: how one outbox message reaches a messenger (Telegram through aiogram, the terminal chat), and
the errors a sender reports to the delivery engine (retry after, blocked, rejected, transient, moved)."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramConflictError,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNotFound,
    TelegramRetryAfter,
)
from aiogram.types import BufferedInputFile

from bot.telegram import keyboard
from dialogs.core.logsafe import who
from dialogs.core.messages import MAX_CAPTION, Reply
from dialogs.core.replies import chunk_replies
from dialogs.core.text import visible_length

log = logging.getLogger(__name__)

# Telegram's answers when a message cannot be drawn again in place (then it is sent anew).
CANNOT_EDIT = ("message to edit not found", "message can't be edited", "no text in the message",
               "no caption in the message", "MESSAGE_ID_INVALID")

Part = Callable[[int], Awaitable["int | None"]]     # sends one Bot API message to a chat -> message_id


# --- what a sender may answer --------------------------------------------------------------------
class SendError(Exception):
    """Telegram did not take the message; the subclass says what to do about it."""


class RetryAfter(SendError):
    def __init__(self, seconds: float) -> None:
        super().__init__(f"429: retry after {seconds}s")
        self.seconds = seconds


class Blocked(SendError):
    """403: the person blocked kiezbot or deleted their account (or kiezbot left the group)."""


class Rejected(SendError):
    """400 and the like: the request itself is wrong; sending it again gives the same answer."""


class Transient(SendError):
    """Network trouble, a timeout, a 5xx: worth another try later."""


class Moved(SendError):
    def __init__(self, chat_id: int) -> None:
        super().__init__(f"group moved to supergroup {chat_id}")
        self.chat_id = chat_id


class Sender(Protocol):
    def plan(self, reply: Reply) -> list[Part]: ...


class TelegramSender:
    """Turns a reply into Bot API calls (long texts split, then venue, media, document)."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    def plan(self, reply: Reply) -> list[Part]:
        if reply.withdraw:
            return [lambda chat, mid=mid: self._withdraw(chat, mid, reply.text) for mid in reply.withdraw]
        pieces = chunk_replies([reply])
        if reply.replace is not None and len(pieces) == 1 and not (reply.venue or reply.media or reply.document):
            return [lambda chat, mid=reply.replace, p=pieces[0]: self._replace(chat, mid, p)]
        parts: list[Part] = []
        for piece in pieces:
            if piece.text:
                parts.append(lambda chat, p=piece: self._call(
                    self.bot.send_message(chat, p.text, reply_markup=keyboard(p))))
            if piece.venue:
                v = piece.venue
                parts.append(lambda chat, v=v: self._call(
                    self.bot.send_venue(chat, v.latitude, v.longitude, v.title[:256], v.address[:256])))
            for m in piece.media:
                if m.kind == "photo":
                    parts.append(lambda chat, m=m: self._call(
                        self.bot.send_photo(chat, m.file_id, caption=m.caption or None)))
                else:
                    parts.append(lambda chat, m=m: self._call(
                        self.bot.send_voice(chat, m.file_id, caption=m.caption or None)))
            if piece.document:
                d = piece.document
                parts.append(lambda chat, d=d: self._call(self.bot.send_document(
                    chat, BufferedInputFile(d.content, d.filename), caption=d.caption or None)))
        return parts

    async def _replace(self, chat: int, message_id: int, reply: Reply) -> int | None:
        """Draw message ``message_id`` again in place (its text, or its caption if it is a photo or voice
        note); where Telegram no longer lets kiezbot edit it — deleted ("message to edit not found"),
        "message can't be edited", a caption too short for the text — send ``reply`` as a new message.
        Returns the id of the message that shows it."""
        markup = keyboard(reply)
        try:
            try:
                await self._call(self.bot.edit_message_text(text=reply.text, chat_id=chat, message_id=message_id,
                                                            reply_markup=markup))
                return message_id
            except Rejected as exc:
                if "no text in the message" not in str(exc) or visible_length(reply.text) > MAX_CAPTION:
                    raise
            await self._call(self.bot.edit_message_caption(caption=reply.text, chat_id=chat, message_id=message_id,
                                                           reply_markup=markup))
            return message_id
        except Rejected as exc:
            reason = str(exc)
            if "not modified" in reason:                 # it shows exactly this already
                return message_id
            if not any(why in reason for why in CANNOT_EDIT):
                raise
            log.info("message %s in chat %s cannot be edited (%s); sending it anew", message_id, who(chat), exc)
        return await self._call(self.bot.send_message(chat, reply.text, reply_markup=markup))

    async def _withdraw(self, chat: int, message_id: int, replacement: str) -> None:
        """Delete one earlier message; where Telegram refuses (older than 48 hours and kiezbot is no
        administrator there), overwrite its text or caption with ``replacement``. A message that is
        gone already counts as withdrawn; a photo or voice note that can be neither deleted nor
        replaced keeps its file but loses its caption (logged: make kiezbot an administrator)."""
        try:
            await self._call(self.bot.delete_message(chat, message_id))
            return None
        except Rejected as exc:
            if "not found" in str(exc):
                return None
            log.info("message %s in chat %s could not be deleted (%s); overwriting it", message_id, who(chat), exc)
        try:
            await self._call(self.bot.edit_message_text(text=replacement, chat_id=chat, message_id=message_id))
            return None
        except Rejected:
            pass
        try:
            await self._call(self.bot.edit_message_caption(caption=replacement, chat_id=chat, message_id=message_id))
        except Rejected as exc:
            log.warning("message %s in chat %s could be neither deleted nor overwritten (%s); make kiezbot an "
                        "administrator of the staff group who may delete messages", message_id, who(chat), exc)
        return None

    @staticmethod
    async def _call(request: Awaitable[Any]) -> int | None:
        try:
            message = await request
        except TelegramRetryAfter as exc:
            raise RetryAfter(exc.retry_after) from exc
        except TelegramMigrateToChat as exc:
            raise Moved(exc.migrate_to_chat_id) from exc
        except TelegramForbiddenError as exc:
            raise Blocked(f"403: {exc.message}") from exc
        except (TelegramBadRequest, TelegramNotFound, TelegramEntityTooLarge, TelegramConflictError) as exc:
            raise Rejected(f"{type(exc).__name__}: {exc.message}") from exc
        except TelegramAPIError as exc:          # 5xx, network errors, timeouts, 401
            raise Transient(f"{type(exc).__name__}: {exc.message}") from exc
        except (OSError, asyncio.TimeoutError) as exc:
            raise Transient(f"{type(exc).__name__}: {exc}") from exc
        return getattr(message, "message_id", None)


class TerminalSender:
    """Shows outbox messages in ``kiezbot chat`` (no limits, nothing can fail)."""

    def __init__(self, render: Callable[[Reply], None]) -> None:
        self.render = render

    def plan(self, reply: Reply) -> list[Part]:
        async def show(_chat: int) -> int | None:
            for piece in chunk_replies([reply]):
                self.render(piece)
            return None
        return [show]

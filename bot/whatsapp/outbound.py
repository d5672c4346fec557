"""Outbox messages to WhatsApp residents: the same durable outbox and delivery engine as Telegram.

:class:`RoutingSender` sits where the delivery engine expects its sender: a chat id of a WhatsApp
resident (``storage.whatsapp.is_whatsapp_chat``) goes to :class:`WhatsAppSender`, every other to the
Telegram sender. Per message the window rules decide (:func:`bot.whatsapp.window.decide`): free-form,
a template, or *not sendable* — which becomes the outbox row's final state ``failed`` with the reason,
so it is recorded and never retried. The Cloud API's answers map onto the engine's outcomes:

* rate limited (130429, 4, 80007, …) → ``RetryAfter`` (all sending pauses, nothing counts as an attempt);
  the pair rate limit to one person (131056) → ``Transient``: that message again after the engine's
  exponential backoff, the others go on;
* not reachable (131026 …) → ``Blocked`` (the resident marked unreachable, their waiting messages stopped);
* outside the window although kiezbot's clock said inside → the template if there is one, else not sendable;
* rejected → ``Rejected`` (failed at once); retry later (5xx, network, token) → ``Transient``.

The engine hands a sender only the reply, not the outbox row; :func:`track_rows` lets the row (its
purpose and id) reach :class:`WhatsAppSender` through a context variable. A message that needs several
WhatsApp messages is one outbox part: after a failure in the middle, a retry sends it whole again.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import replace
from datetime import datetime
from typing import Any

from aiogram.types import BufferedInputFile

from bot.delivery.outbox_sender import Blocked, DeliveryEngine, Part, Rejected, RetryAfter, Sender, Transient
from bot.delivery.ratelimit import Limits, RateLimiter, Window
from bot.whatsapp import client as api
from bot.whatsapp.render import render
from bot.whatsapp.transport import LIST_BUTTON, WA_MEDIA, menu_to_json, send_outgoing
from bot.whatsapp.window import Decision, Templates, decide
from dialogs.core.engine import utc_now
from dialogs.core.messages import Media, Reply
from storage import whatsapp as store
from storage.handles import Sessions
from storage.models import ResidentRow
from storage.outbox import Claimed, aware

log = logging.getLogger(__name__)

MAX_MEDIA_BYTES = 16 * 1024 * 1024     # WhatsApp's own limit for audio; images are at most 5 MB
CURRENT_ROW: ContextVar[Claimed | None] = ContextVar("kiezbot_outbox_row", default=None)


def track_rows(delivery: DeliveryEngine, recipient_gap: float | None = None) -> DeliveryEngine:
    """Make the outbox row being sent visible to the senders (``CURRENT_ROW``) — each row is sent in
    its own task, so the context variable is that row's — and, with ``recipient_gap``, pace WhatsApp
    residents by :class:`ChannelRateLimiter`."""
    original = delivery._send

    async def send(row: Claimed, at: float, report: Any) -> None:
        token = CURRENT_ROW.set(row)
        try:
            await original(row, at, report)
        finally:
            CURRENT_ROW.reset(token)
    delivery._send = send          # type: ignore[method-assign]
    if recipient_gap is not None:
        delivery.limiter = ChannelRateLimiter(delivery.limiter.limits, recipient_gap)
    return delivery


class ChannelRateLimiter(RateLimiter):
    """The delivery engine's limiter, with its own pace per WhatsApp resident: Meta's "pair rate limit"
    (131056) allows about one message every 6 seconds to one person (``recipient_gap``); Telegram chats
    keep Telegram's pace. The overall rate stays shared (KIEZBOT_RATE_GLOBAL_PER_SEC)."""

    def __init__(self, limits: Limits | None = None, recipient_gap: float = 6.0) -> None:
        super().__init__(limits)
        self.recipient_gap = recipient_gap

    def chat_gap(self, chat_id: int) -> float:
        return self.recipient_gap if store.is_whatsapp_chat(chat_id) else super().chat_gap(chat_id)

    def _chat_log(self, chat_id: int) -> Window:
        if store.is_whatsapp_chat(chat_id) and chat_id not in self._chat_logs:
            self._chat_logs[chat_id] = Window(1, self.recipient_gap)
        return super()._chat_log(chat_id)


class WhatsAppSender:
    def __init__(self, client: api.WhatsAppClient, sessions: Sessions, templates: Templates, *,
                 default_language: str = "de", clock: Callable[[], datetime] = utc_now) -> None:
        self.client, self.sessions, self.templates = client, sessions, templates
        self.default_language, self.clock = default_language, clock
        self.writes = store.writer(sessions)

    def plan(self, reply: Reply) -> list[Part]:
        async def send(chat_id: int) -> int | None:
            await self.send(chat_id, reply)
            return None
        return [send]

    async def send(self, chat_id: int, reply: Reply) -> list[str]:
        row = CURRENT_ROW.get()
        purpose, outbox_id = (row.purpose, row.id) if row is not None else ("", None)
        async with self.sessions() as session:
            contact = await store.contact(session, chat_id)
            resident = await session.get(ResidentRow, chat_id)
            if contact is None:
                raise Blocked("no WhatsApp number for this chat (erased)")
            wa_id, last, stopped = contact.wa_id, aware(contact.last_inbound_at), contact.stopped_at is not None
        language = (resident.language if resident is not None else None) or self.default_language
        now = self.clock()
        decision = decide(purpose=purpose, language=language, text=reply.text, last_inbound_at=last, now=now,
                          stopped=stopped, templates=self.templates)
        try:
            sent, menu = await self._send(wa_id, reply, decision)
        except api.OutsideWindow:
            # Meta's clock and ours disagree about the window: the template, if this purpose has one.
            fallback = decide(purpose=purpose, language=language, text=reply.text, last_inbound_at=None, now=now,
                              stopped=stopped, templates=self.templates)
            if fallback.kind != "template":
                raise Rejected(fallback.reason or "not sendable on WhatsApp: outside the 24-hour window") from None
            sent, menu = await self._mapped(wa_id, reply, fallback)
        async with self.writes.begin() as session:
            for wamid in sent:
                await store.record_sent(session, wamid, chat_id, outbox_id, now)
            contact = await store.contact(session, chat_id)
            if contact is not None and decision.kind == "free" and menu is not None:
                contact.menu = menu
        return sent

    async def _send(self, wa_id: str, reply: Reply, decision: Decision) -> tuple[list[str], dict | None]:
        if decision.kind == "not_sendable":
            raise Rejected(decision.reason)
        return await self._mapped(wa_id, reply, decision, raise_window=True)

    async def _mapped(self, wa_id: str, reply: Reply, decision: Decision,
                      raise_window: bool = False) -> tuple[list[str], dict | None]:
        try:
            if decision.kind == "template":
                assert decision.template is not None
                wamid = await self.client.send_template(wa_id, decision.template.name, decision.template.language,
                                                        list(decision.params))
                return [wamid], None
            rendered = render(reply, list_button=LIST_BUTTON)
            sent = [await send_outgoing(self.client, wa_id, m) for m in rendered.messages]
            return sent, menu_to_json(rendered.menu)
        except api.OutsideWindow:
            if raise_window:
                raise
            raise Rejected("not sendable on WhatsApp: outside the 24-hour window") from None
        except api.RateLimited as exc:
            if exc.code == 131056:
                raise Transient(f"WhatsApp pair rate limit ({exc.code})") from None
            raise RetryAfter(exc.retry_after) from None
        except api.NotReachable as exc:
            raise Blocked(f"WhatsApp: not reachable ({exc.code})") from None
        except api.Rejected as exc:
            raise Rejected(f"WhatsApp refused it ({exc.code}): {exc.title}") from None
        except api.RetryLater as exc:
            raise Transient(f"WhatsApp ({exc.code}): {exc.title}") from None


class RoutingSender:
    """Telegram chats to ``telegram``, WhatsApp residents to ``whatsapp`` (see the module docstring)."""

    def __init__(self, telegram: Sender, whatsapp: WhatsAppSender) -> None:
        self.telegram, self.whatsapp = telegram, whatsapp

    def plan(self, reply: Reply) -> list[Part]:
        telegram_parts = self.telegram.plan(reply)
        [whatsapp_part] = self.whatsapp.plan(reply)
        rehosted: list[list[Part]] = []

        async def for_telegram() -> list[Part]:
            """Photos and voice notes from WhatsApp (``wa:`` file ids): fetched from Meta when a part of
            this message first goes to Telegram, uploaded with it."""
            if not rehosted:
                rehosted.append(self.telegram.plan(await self.rehost(reply)))
            return rehosted[0]

        needs_rehost = any(m.file_id.startswith(WA_MEDIA) for m in reply.media)

        def part(index: int) -> Part:
            async def send(chat_id: int) -> int | None:
                if store.is_whatsapp_chat(chat_id):
                    return await whatsapp_part(chat_id) if index == 0 else None
                parts = await for_telegram() if needs_rehost else telegram_parts
                return await parts[index](chat_id)
            return send
        return [part(i) for i in range(len(telegram_parts))]

    async def rehost(self, reply: Reply) -> Reply:
        media = []
        for m in reply.media:
            if not m.file_id.startswith(WA_MEDIA):
                media.append(m)
                continue
            try:
                found = await self.whatsapp.client.download(m.file_id.removeprefix(WA_MEDIA), MAX_MEDIA_BYTES)
            except api.MediaTooLarge as exc:
                raise Rejected(f"WhatsApp media too large for Telegram ({exc})") from None
            except api.WhatsAppError as exc:
                if isinstance(exc, api.RetryLater):
                    raise Transient(f"WhatsApp media ({exc.code}): {exc.title}") from None
                raise Rejected(f"WhatsApp media gone ({exc.code}): {exc.title}") from None
            name = "photo.jpg" if m.kind == "photo" else "voice.ogg"
            # aiogram takes an uploaded file where a file id goes
            media.append(Media(m.kind, BufferedInputFile(found.content, name), m.caption))  # type: ignore[arg-type]
        return replace(reply, media=media)

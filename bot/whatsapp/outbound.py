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
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.delivery.outbox_sender import Blocked, DeliveryEngine, Part, Rejected, RetryAfter, Sender, Transient
from bot.whatsapp import client as api
from bot.whatsapp.render import render
from bot.whatsapp.transport import LIST_BUTTON, menu_to_json, send_outgoing
from bot.whatsapp.window import Decision, Templates, decide
from dialogs.core.engine import utc_now
from dialogs.core.messages import Reply
from storage import whatsapp as store
from storage.models import ResidentRow
from storage.outbox import Claimed, aware

log = logging.getLogger(__name__)

CURRENT_ROW: ContextVar[Claimed | None] = ContextVar("kiezbot_outbox_row", default=None)


def track_rows(delivery: DeliveryEngine) -> DeliveryEngine:
    """Make the outbox row being sent visible to the senders (``CURRENT_ROW``) — each row is sent in
    its own task, so the context variable is that row's."""
    original = delivery._send

    async def send(row: Claimed, at: float, report: Any) -> None:
        token = CURRENT_ROW.set(row)
        try:
            await original(row, at, report)
        finally:
            CURRENT_ROW.reset(token)
    delivery._send = send          # type: ignore[method-assign]
    return delivery


class WhatsAppSender:
    def __init__(self, client: api.WhatsAppClient, sessions: async_sessionmaker, templates: Templates, *,
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

        def part(index: int) -> Part:
            async def send(chat_id: int) -> int | None:
                if store.is_whatsapp_chat(chat_id):
                    return await whatsapp_part(chat_id) if index == 0 else None
                return await telegram_parts[index](chat_id)
            return send
        return [part(i) for i in range(len(telegram_parts))]

"""WhatsApp transport: webhook messages in, through the same dialogs engine as Telegram and the terminal
chat; replies rendered by :mod:`bot.whatsapp.render` and sent with the Cloud API client.

A resident on WhatsApp is a chat id from ``storage/whatsapp.py`` (never their phone number: that stays
in ``whatsapp_contacts``), so flows, outbox, logs and /mydata work unchanged. Per message:

1. the contact row is found or made, its window opened (``last_inbound_at``);
2. "STOP" (any language, :func:`bot.whatsapp.window.is_stop`) ends unrequested messages and cancels the
   waiting ones; "START" lets them come again — both answered with a short language-neutral line;
3. a typed number or label is matched against the menu the resident was offered last (a press), a tap
   on a reply button or list row is a press already; text, locations and stickers pass as they are;
   photos and voice notes pass with the file id ``wa:<media id>`` (the staff group gets them through
   ``outbound.RoutingSender``), documents, videos, reactions and contacts are answered like other
   unreadable content;
4. the replies go back at once (the window is open: the resident just wrote); a reply for another chat
   (the staff group) is handed to ``elsewhere`` (the durable outbox); the last menu is stored.
"""
from __future__ import annotations

import logging
import mimetypes
from collections.abc import Awaitable, Callable
from datetime import datetime

from bot.whatsapp.client import NotReachable, WhatsAppClient, WhatsAppError
from bot.whatsapp.render import Menu, Outgoing, render
from bot.whatsapp.webhook import WaMessage, WaStatus
from bot.whatsapp.window import UNREQUESTED, is_start, is_stop
from dialogs.core.engine import Dialogs, utc_now
from dialogs.core.logsafe import who
from dialogs.core.messages import Inbound, Reply, Sender
from storage import whatsapp as store
from storage.handles import Sessions

log = logging.getLogger(__name__)

STOPPED_TEXT = "🔕 STOP ✓\n↩️ START"
STARTED_TEXT = "🔔 START ✓"
LIST_BUTTON = "☰"
WA_MEDIA = "wa:"            # file ids of media a resident sent on WhatsApp


# The language a number's country suggests — only a proposal at first contact (the ✓ in the language list,
# as Telegram's app language is); the resident chooses. Longest prefix wins.
COUNTRY_LANGUAGE = {
    "49": "de", "43": "de", "41": "de", "90": "tr", "48": "pl", "40": "ro", "373": "ro", "359": "bg", "380": "uk",
    "7": "ru", "375": "ru", "44": "en", "1": "en", "353": "en", "61": "en",
    **{code: "ar" for code in ("20", "212", "213", "216", "218", "249", "961", "962", "963", "964", "965", "966",
                               "967", "968", "970", "971", "973", "974")},
}


def language_hint(wa_id: str) -> str | None:
    digits = wa_id.lstrip("+")
    for length in (3, 2, 1):
        if digits[:length] in COUNTRY_LANGUAGE:
            return COUNTRY_LANGUAGE[digits[:length]]
    return None


def menu_to_json(menu: Menu | None) -> dict | None:
    return None if menu is None else {"choices": [list(c) for c in menu.choices], "numbered": menu.numbered}


def menu_from_json(data: dict | None) -> Menu | None:
    if not data:
        return None
    return Menu(tuple((str(label), str(value)) for label, value in data.get("choices") or []),
                numbered=bool(data.get("numbered")))


async def send_outgoing(client: WhatsAppClient, to: str, message: Outgoing) -> str:
    if message.kind == "document" and message.document is not None:
        d = message.document
        mime = mimetypes.guess_type(d.filename)[0] or "application/octet-stream"
        return await client.send_document(to, d.content, d.filename, message.content.get("caption", ""), mime)
    return await client.send(to, message.kind, message.content)


class WhatsAppTransport:
    def __init__(self, client: WhatsAppClient, dialogs: Dialogs, sessions: Sessions, *,
                 clock: Callable[[], datetime] = utc_now,
                 elsewhere: Callable[[int, Reply], Awaitable[None]] | None = None,
                 after_update: Callable[[], None] | None = None) -> None:
        self.client, self.dialogs, self.sessions = client, dialogs, sessions
        self.writes = store.writer(sessions)
        self.clock = clock
        self.elsewhere = elsewhere
        self.after_update = after_update

    # --- in --------------------------------------------------------------------------------------
    async def on_message(self, message: WaMessage) -> None:
        now = self.clock()
        async with self.writes.begin() as session:
            if not await store.claim_inbound(session, message.message_id, now):
                log.info("WhatsApp message taken before (another process, or replayed); ignored")
                return
            contact = await store.contact_for(session, message.wa_id, now)
            contact.last_inbound_at = now
            chat_id, menu = contact.chat_id, menu_from_json(contact.menu)
            answer = None
            if message.kind == "text" and is_stop(message.text):
                cancelled = await store.stop_unrequested(session, chat_id, now, tuple(UNREQUESTED))
                log.info("WhatsApp chat %s sent STOP; %s waiting message(s) cancelled", who(chat_id), cancelled)
                answer = STOPPED_TEXT
            elif message.kind == "text" and contact.stopped_at is not None and is_start(message.text):
                contact.stopped_at = None
                answer = STARTED_TEXT
        if answer is not None:
            await self._send(chat_id, message.wa_id, [Outgoing("text", {"body": answer})])
            return
        inbound = self.to_inbound(message, chat_id, menu)
        try:
            if message.kind in ("photo", "voice") and message.media_id:
                inbound = await self.media_inbound(message, inbound)
            handled = await self.dialogs.handle(inbound)
        except BaseException:
            async with self.writes.begin() as session:     # Meta delivers it again: handle it then
                await store.release_inbound(session, message.message_id)
            raise
        replies = [Reply(text=handled.toast), *handled.replies] if handled.toast else handled.replies
        elsewhere = await self.deliver(chat_id, message.wa_id, replies)
        # Outbox messages the update (or its replies for other chats) queued go out now, not at the next tick.
        if (handled.queued or elsewhere) and self.after_update is not None:
            self.after_update()

    @staticmethod
    def to_inbound(message: WaMessage, chat_id: int, menu: Menu | None) -> Inbound:
        sender = Sender(chat_id=chat_id, user_id=chat_id, language_code=language_hint(message.wa_id),
                        display_name=message.name, channel="whatsapp")
        if message.kind == "press":
            return Inbound("press", sender, data=message.data)
        if message.kind == "text":
            data = menu.resolve(message.text) if menu is not None else None
            if data is not None:
                return Inbound("press", sender, data=data)
            return Inbound.parse_text(sender, message.text)
        if message.kind == "location" and message.latitude is not None:
            return Inbound("location", sender, latitude=message.latitude, longitude=message.longitude)
        if message.kind == "sticker":
            return Inbound("sticker", sender)
        return Inbound("other", sender, text=message.text)

    async def media_inbound(self, message: WaMessage, fallback: Inbound) -> Inbound:
        """A photo or voice note as the flows take them: its file id is ``wa:<media id>`` (the bytes stay
        at Meta until the staff group needs them, see ``outbound.RoutingSender``), its size from the media
        endpoint so the flows' size limits apply. Voice notes come without a duration."""
        try:
            info = await self.client.media_info(message.media_id)
        except WhatsAppError as exc:
            log.warning("WhatsApp media of chat %s not found (%s); answered as unreadable",
                        who(fallback.sender.chat_id), exc.code)
            return fallback
        return Inbound(message.kind, fallback.sender, file_id=WA_MEDIA + message.media_id,  # type: ignore[arg-type]
                       file_size=int(info.get("file_size") or 0), text=message.text)

    # --- out -------------------------------------------------------------------------------------
    async def deliver(self, chat_id: int, wa_id: str, replies: list[Reply]) -> bool:
        """Send an update's replies; like Telegram's, nothing here raises (the update is committed).
        Replies for other chats go into the outbox (``elsewhere``): returns whether there were any."""
        messages: list[Outgoing] = []
        menu: Menu | None = None
        elsewhere = False
        for reply in replies:
            if reply.chat_id is not None and reply.chat_id != chat_id:
                if self.elsewhere is not None:
                    await self.elsewhere(reply.chat_id, reply)
                    elsewhere = True
                continue
            rendered = render(reply, list_button=LIST_BUTTON)
            messages.extend(rendered.messages)
            if rendered.menu is not None:
                menu = rendered.menu
        await self._send(chat_id, wa_id, messages, menu=menu, remember_menu=bool(messages))
        return elsewhere

    async def _send(self, chat_id: int, wa_id: str, messages: list[Outgoing], *, menu: Menu | None = None,
                    remember_menu: bool = False) -> None:
        sent: list[str] = []
        for message in messages:
            try:
                sent.append(await send_outgoing(self.client, wa_id, message))
            except NotReachable as exc:
                log.info("WhatsApp chat %s cannot be reached (%s); not sending", who(chat_id), exc.code)
                break
            except WhatsAppError as exc:
                log.error("WhatsApp refused a reply to chat %s: %s", who(chat_id), exc)
                break
            except Exception:  # noqa: BLE001 — the reply is lost, not the state
                log.exception("sending a WhatsApp reply to chat %s failed", who(chat_id))
                break
        now = self.clock()
        async with self.writes.begin() as session:
            contact = await store.contact(session, chat_id)
            if contact is None:               # erased meanwhile (/delete): nothing to remember
                return
            if remember_menu:
                contact.menu = menu_to_json(menu)
            for wamid in sent:
                await store.record_sent(session, wamid, chat_id, None, now)

    async def on_status(self, status: WaStatus) -> None:
        async with self.writes.begin() as session:
            row = await store.record_status(session, status.message_id, status.status, status.error_code)
        if row is not None and status.status == "failed":
            log.warning("WhatsApp could not deliver a message to chat %s (error %s)", who(row.chat_id),
                        status.error_code)

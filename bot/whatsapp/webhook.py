"""The WhatsApp webhook on kiezbot's aiohttp server: Meta's verification handshake, signed deliveries.

* ``GET {path}?hub.mode=subscribe&hub.verify_token=…&hub.challenge=…`` — answered with the challenge
  when the verify token matches (compared in constant time), else 403.
* ``POST {path}`` — the raw body is checked against ``X-Hub-Signature-256`` (``sha256=`` + hex
  HMAC-SHA256 with the app secret, constant-time compare) *before* it is parsed; a missing or wrong
  signature is answered 401 and nothing in the body is read. Then per change: messages (→ ``on_message``)
  and status callbacks sent/delivered/read/failed (→ ``on_status``).
* Replays: a message id seen before is ignored (the last ``seen_size`` ids per process here; across
  processes the transport claims each id in the database), and so is a message older than ``max_age``
  (its own ``timestamp``). Deliveries for another phone number id are
  ignored. The answer is 200 once the messages are handled; when handling fails it is 500 and Meta
  delivers again (the id is remembered only after success).

Log lines carry no phone number and no message text.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from aiohttp import web

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/whatsapp/webhook"
STATUSES = ("sent", "delivered", "read", "failed")


@dataclass(frozen=True)
class WaMessage:
    """One message a WhatsApp user sent, reduced to what kiezbot uses."""

    wa_id: str                 # the sender's WhatsApp id (their phone number): personal data
    message_id: str
    sent_at: datetime
    kind: str                  # text, press, photo, voice, document, location, sticker, other
    name: str = ""             # profile name
    text: str = ""             # text body, caption, or a pressed button's title
    data: str = ""             # a pressed reply button's or list row's id
    media_id: str = ""
    mime_type: str = ""
    file_name: str = ""
    latitude: float | None = None
    longitude: float | None = None
    raw_type: str = ""         # WhatsApp's own type (reaction, contacts, video, unsupported …)


@dataclass(frozen=True)
class WaStatus:
    message_id: str
    status: str                # sent, delivered, read, failed
    wa_id: str
    at: datetime
    error_code: int | None = None
    error_title: str = ""


def signature_ok(app_secret: bytes, body: bytes, header: str | None) -> bool:
    """``X-Hub-Signature-256`` of ``body`` is the HMAC-SHA256 with the app secret (constant-time compare)."""
    if not header:
        return False
    expected = "sha256=" + hmac.new(app_secret, body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), header.strip().encode())


def _when(value: object) -> datetime:
    try:
        return datetime.fromtimestamp(int(str(value)), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return datetime.fromtimestamp(0, UTC)


_MEDIA_KINDS = {"image": "photo", "audio": "voice", "document": "document"}


def parse_message(raw: dict, names: dict[str, str]) -> WaMessage:
    kind = str(raw.get("type") or "")
    wa_id = str(raw.get("from") or "")
    base = {"wa_id": wa_id, "message_id": str(raw.get("id") or ""), "sent_at": _when(raw.get("timestamp")),
            "name": names.get(wa_id, ""), "raw_type": kind}
    if kind == "text":
        return WaMessage(kind="text", text=str((raw.get("text") or {}).get("body") or ""), **base)
    if kind == "interactive":
        inter = raw.get("interactive") or {}
        reply = inter.get("button_reply") or inter.get("list_reply") or {}
        if reply.get("id"):
            return WaMessage(kind="press", data=str(reply["id"]), text=str(reply.get("title") or ""), **base)
    if kind == "button":      # a template's quick-reply button: its text as if typed
        return WaMessage(kind="text", text=str((raw.get("button") or {}).get("text") or ""), **base)
    if kind in _MEDIA_KINDS:
        media = raw.get(kind) or {}
        return WaMessage(kind=_MEDIA_KINDS[kind], media_id=str(media.get("id") or ""),
                         mime_type=str(media.get("mime_type") or ""), text=str(media.get("caption") or ""),
                         file_name=str(media.get("filename") or ""), **base)
    if kind == "location":
        loc = raw.get("location") or {}
        try:
            return WaMessage(kind="location", latitude=float(loc["latitude"]), longitude=float(loc["longitude"]),
                             **base)
        except (KeyError, TypeError, ValueError):
            pass
    if kind == "sticker":
        return WaMessage(kind="sticker", **base)
    return WaMessage(kind="other", **base)


def parse_status(raw: dict) -> WaStatus | None:
    status = str(raw.get("status") or "")
    if status not in STATUSES:
        return None
    errors = raw.get("errors") or [{}]
    code = errors[0].get("code")
    return WaStatus(message_id=str(raw.get("id") or ""), status=status, wa_id=str(raw.get("recipient_id") or ""),
                    at=_when(raw.get("timestamp")), error_code=int(code) if code is not None else None,
                    error_title=str(errors[0].get("title") or ""))


class WhatsAppWebhook:
    def __init__(self, *, verify_token: str, app_secret: str,
                 on_message: Callable[[WaMessage], Awaitable[None]],
                 on_status: Callable[[WaStatus], Awaitable[None]] | None = None,
                 phone_number_id: str | None = None, max_age: timedelta = timedelta(hours=24),
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC), seen_size: int = 10_000) -> None:
        self._verify_token = verify_token.encode()
        self._secret = app_secret.encode()
        self.on_message, self.on_status = on_message, on_status
        self.phone_number_id = phone_number_id
        self.max_age, self.clock = max_age, clock
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._seen_size = seen_size
        self.refused = 0          # POSTs with a missing or wrong signature
        self.ignored = 0          # replayed or too old messages

    def register(self, app: web.Application, path: str = WEBHOOK_PATH) -> None:
        app.router.add_get(path, self.verify)
        app.router.add_post(path, self.receive)

    async def verify(self, request: web.Request) -> web.Response:
        q = request.query
        token = q.get("hub.verify_token", "").encode()
        if q.get("hub.mode") == "subscribe" and hmac.compare_digest(token, self._verify_token):
            return web.Response(text=q.get("hub.challenge", ""), content_type="text/plain")
        log.warning("WhatsApp webhook verification refused (wrong verify token or mode)")
        return web.Response(status=403, text="Forbidden")

    def seen(self, message_id: str) -> bool:
        return message_id in self._seen

    def remember(self, message_id: str) -> None:
        self._seen[message_id] = None
        while len(self._seen) > self._seen_size:
            self._seen.popitem(last=False)

    async def receive(self, request: web.Request) -> web.Response:
        body = await request.read()
        if not signature_ok(self._secret, body, request.headers.get("X-Hub-Signature-256")):
            self.refused += 1
            log.warning("WhatsApp webhook POST refused: %s signature (%s so far)",
                        "no" if "X-Hub-Signature-256" not in request.headers else "a wrong", self.refused)
            return web.Response(status=401, text="bad signature")
        try:
            payload = json.loads(body)
        except ValueError:
            log.warning("WhatsApp webhook POST with a valid signature but no JSON body; ignored")
            return web.Response(text="ok")
        for entry in payload.get("entry") or [] if isinstance(payload, dict) else []:
            for change in entry.get("changes") or []:
                if change.get("field") != "messages":
                    continue
                value = change.get("value") or {}
                pnid = str((value.get("metadata") or {}).get("phone_number_id") or "")
                if self.phone_number_id and pnid != self.phone_number_id:
                    continue
                try:
                    await self._handle(value)
                except Exception:  # noqa: BLE001 — Meta delivers again on a non-200 answer
                    log.exception("handling a WhatsApp webhook delivery failed; Meta will deliver it again")
                    return web.Response(status=500, text="retry")
        return web.Response(text="ok")

    async def _handle(self, value: dict) -> None:
        names = {str(c.get("wa_id")): str((c.get("profile") or {}).get("name") or "")
                 for c in value.get("contacts") or []}
        now = self.clock()
        for raw in value.get("messages") or []:
            message = parse_message(raw, names)
            if not message.message_id or self.seen(message.message_id):
                self.ignored += 1
                log.info("WhatsApp message delivered again (same id); ignored")
                continue
            if now - message.sent_at > self.max_age:
                self.ignored += 1
                self.remember(message.message_id)
                log.warning("WhatsApp message older than %s; ignored", self.max_age)
                continue
            await self.on_message(message)
            self.remember(message.message_id)
        if self.on_status is not None:
            for raw in value.get("statuses") or []:
                status = parse_status(raw)
                if status is not None:
                    await self.on_status(status)

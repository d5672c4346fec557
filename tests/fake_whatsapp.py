"""A local fake of the WhatsApp Business Cloud API (Graph API) for tests.

A real aiohttp server on 127.0.0.1 (random free port). kiezbot's own client (bot/whatsapp/client.py) is
pointed at it with ``KIEZBOT_WHATSAPP_API_BASE_URL=fake.api_base_url``::

    async with FakeWhatsApp(webhook_url=kiezbot_url + "/whatsapp/webhook") as wa:
        ada = wa.user("4915112345678", name="Ada")
        await ada.send("Hallo")                      # a signed webhook POST to kiezbot
        [msg] = await ada.wait_messages(1)           # what kiezbot sent to Ada (payload dicts)
        await ada.press(msg, "Deutsch")              # button or list row, by title or id

Wire protocol, as Meta documents it (developers.facebook.com/docs/whatsapp/cloud-api/reference/messages,
…/webhooks/payload-examples, …/support/error-codes, …/reference/media):

* ``POST /{version}/{phone_number_id}/messages`` with ``Authorization: Bearer <token>`` and a JSON body
  ``{"messaging_product": "whatsapp", "recipient_type": "individual", "to": wa_id, "type": …}``;
  ``type`` text (body 1..4096), interactive ``button`` (1..3 reply buttons, id ≤ 256, title 1..20,
  body ≤ 1024), interactive ``list`` (action.button 1..20, 1..10 sections, 1..10 rows in all, row id ≤ 200,
  title 1..24, description ≤ 72, section titles required with more than one section, body ≤ 4096),
  ``template`` (a registered name and language, the number of body parameters it declares; parameters
  without new lines, tabs or more than four spaces in a row), ``location``, ``document`` (a media id).
  Answer: ``{"messaging_product": "whatsapp", "contacts": [{"input": to, "wa_id": to}],
  "messages": [{"id": "wamid…"}]}``.
* Errors as the Graph API gives them: HTTP 400 (401 for tokens, 429 for throttling) with
  ``{"error": {"message", "type", "code", "error_data": {"messaging_product", "details"},
  "error_subcode"?, "fbtrace_id"}}``. Codes used: 190 (token), 100 (invalid parameter), 131008/131009
  (missing/invalid parameter), 131047 (re-engagement: free-form message outside the 24-hour window),
  130429 (rate limit), 131056 (pair rate limit), 131026 (undeliverable), 132000 (template parameter count),
  132001 (template does not exist), 132018 (template parameter format), 131000 (something went wrong).
* Media: ``GET /{version}/{media_id}`` → ``{"url", "mime_type", "sha256", "file_size", "id",
  "messaging_product"}``; the URL (served by the fake) needs the same bearer token and is valid for five
  minutes (``fake.url_ttl``; the URL carries its expiry as ``ext``, like Meta's lookaside URLs): after
  that it answers 404 without a Graph error body, and a new ``GET /{media_id}`` gives a fresh URL.
  ``fake.stale_urls = n`` hands out the next n URLs already expired (as if kiezbot had waited too long);
  ``fake.delete_media(id)`` makes the media id unknown, as after Meta's 30 days (``GET`` answers error 100
  "Unsupported get request").
  ``POST /{version}/{phone_number_id}/media`` (multipart: file, type, messaging_product) → ``{"id"}``.
* Webhooks: ``{"object": "whatsapp_business_account", "entry": [{"id": WABA, "changes": [{"field":
  "messages", "value": {"messaging_product", "metadata": {"display_phone_number", "phone_number_id"},
  "contacts": [{"profile": {"name"}, "wa_id"}], "messages": [...]}}]}]}`` or ``"statuses": [{"id",
  "status": sent|delivered|read|failed, "timestamp", "recipient_id", "errors"?}]``, signed with
  ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body with the app secret>``.

The 24-hour window is the fake's too: a non-template message to a user whose last message is more than
24 hours old (by ``fake.clock``, seconds) or who never wrote is refused with 131047. Deviations: sends are
answered at once (no queue); ``131026`` comes back synchronously when ``fake.unreachable`` holds the
number (Meta reports it in a ``failed`` status webhook as well: ``fake.send_status`` does that).
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import ClientSession, web

WINDOW_SECONDS = 24 * 3600
THROTTLE_CODES = {4, 80007, 130429, 131048, 131056}

ERROR_MESSAGES = {
    0: ("AuthException", "OAuthException"),
    100: ("Invalid parameter", "OAuthException"),
    190: ("Error validating access token: Session has expired", "OAuthException"),
    130429: ("Rate limit hit", "OAuthException"),
    131000: ("Something went wrong", "OAuthException"),
    131008: ("Required parameter is missing", "OAuthException"),
    131009: ("Parameter value is not valid", "OAuthException"),
    131026: ("Message undeliverable", "OAuthException"),
    131047: ("Re-engagement message", "OAuthException"),
    131051: ("Unsupported message type", "OAuthException"),
    131056: ("(Business Account, Consumer Account) pair rate limit hit", "OAuthException"),
    132000: ("Number of parameters does not match the expected number of params", "OAuthException"),
    132001: ("Template name does not exist in the translation", "OAuthException"),
    132018: ("There was an issue with the parameters in your template.", "OAuthException"),
}
_BAD_PARAM = re.compile(r"[\n\t]| {5,}")


class GraphError(Exception):
    def __init__(self, code: int, details: str = "", status: int | None = None) -> None:
        super().__init__(details)
        self.code, self.details = code, details
        self.status = status or (401 if code == 190 else 429 if code in THROTTLE_CODES else 400)

    def response(self) -> web.Response:
        message, kind = ERROR_MESSAGES.get(self.code, ("Error", "OAuthException"))
        body = {"error": {"message": f"({'#' + str(self.code)}) {message}", "type": kind, "code": self.code,
                          "error_data": {"messaging_product": "whatsapp", "details": self.details or message},
                          "fbtrace_id": secrets.token_urlsafe(12)}}
        return web.json_response(body, status=self.status)


@dataclass
class Sent:
    """One message kiezbot sent, as the fake took it."""

    id: str
    to: str
    payload: dict

    @property
    def type(self) -> str:
        return self.payload["type"]

    @property
    def text(self) -> str:
        """What the user reads: a text's body, an interactive message's body, a template's name and params."""
        p = self.payload
        if p["type"] == "text":
            return p["text"]["body"]
        if p["type"] == "interactive":
            return p["interactive"]["body"]["text"]
        if p["type"] == "template":
            params = [x.get("text", "") for c in p["template"].get("components", []) for x in c.get("parameters", [])]
            return " | ".join([p["template"]["name"], *params])
        if p["type"] == "document":
            return p["document"].get("caption", "")
        if p["type"] == "location":
            return p["location"].get("name", "")
        return ""

    @property
    def choices(self) -> list[tuple[str, str]]:
        """(id, title) of the reply buttons or list rows."""
        if self.payload["type"] != "interactive":
            return []
        inter = self.payload["interactive"]
        if inter["type"] == "button":
            return [(b["reply"]["id"], b["reply"]["title"]) for b in inter["action"]["buttons"]]
        return [(r["id"], r["title"]) for s in inter["action"]["sections"] for r in s["rows"]]


@dataclass
class Template:
    name: str
    languages: set[str]
    body_params: int = 1


@dataclass
class Media:
    id: str
    content: bytes
    mime_type: str


class User:
    """A WhatsApp user the fake plays: sends webhooks to kiezbot, collects what kiezbot sends them."""

    def __init__(self, fake: "FakeWhatsApp", wa_id: str, name: str) -> None:
        self.fake, self.wa_id, self.name = fake, wa_id, name
        self.inbox: list[Sent] = []

    async def send(self, text: str, **kw: Any) -> str:
        return await self.fake.send_message(self.wa_id, "text", {"text": {"body": text}}, **kw)

    async def press(self, message: Sent, label_or_id: str, **kw: Any) -> str:
        """Tap a reply button or pick a list row of ``message`` (by its title or id)."""
        for reply_id, title in message.choices:
            if label_or_id in (reply_id, title):
                inter = message.payload["interactive"]
                kind = "button_reply" if inter["type"] == "button" else "list_reply"
                body = {"interactive": {"type": kind, kind: {"id": reply_id, "title": title}},
                        "context": {"from": self.fake.display_phone_number, "id": message.id}}
                return await self.fake.send_message(self.wa_id, "interactive", body, **kw)
        raise AssertionError(f"no choice {label_or_id!r} in {message.choices}")

    async def send_image(self, content: bytes, caption: str = "", mime_type: str = "image/jpeg") -> str:
        media = self.fake.add_media(content, mime_type)
        image = {"id": media.id, "mime_type": mime_type, "sha256": hashlib.sha256(content).hexdigest()}
        if caption:
            image["caption"] = caption
        return await self.fake.send_message(self.wa_id, "image", {"image": image})

    async def send_voice(self, content: bytes, mime_type: str = "audio/ogg; codecs=opus") -> str:
        media = self.fake.add_media(content, mime_type)
        return await self.fake.send_message(self.wa_id, "audio", {"audio": {
            "id": media.id, "mime_type": mime_type, "sha256": hashlib.sha256(content).hexdigest(), "voice": True}})

    async def send_location(self, latitude: float, longitude: float) -> str:
        return await self.fake.send_message(self.wa_id, "location",
                                            {"location": {"latitude": latitude, "longitude": longitude}})

    async def send_sticker(self) -> str:
        media = self.fake.add_media(b"RIFF....WEBP", "image/webp")
        return await self.fake.send_message(self.wa_id, "sticker", {"sticker": {
            "id": media.id, "mime_type": "image/webp", "animated": False}})

    async def wait_messages(self, n: int, timeout: float = 5.0) -> list[Sent]:
        """The next ``n`` messages to this user not yet taken by an earlier wait."""
        async with self.fake._arrived:
            await asyncio.wait_for(self.fake._arrived.wait_for(lambda: len(self.inbox) - self._taken >= n), timeout)
            out = self.inbox[self._taken:self._taken + n]
            self._taken += n
            return out

    _taken = 0

    def take_all(self) -> list[Sent]:
        out = self.inbox[self._taken:]
        self._taken = len(self.inbox)
        return out


class FakeWhatsApp:
    def __init__(self, *, access_token: str = "EAAG-test-token", app_secret: str = "test-app-secret",
                 phone_number_id: str = "106540352242922", version: str = "v23.0",
                 webhook_url: str | None = None, clock: Callable[[], float] = time.time) -> None:
        self.access_token, self.app_secret = access_token, app_secret
        self.phone_number_id, self.version = phone_number_id, version
        self.display_phone_number = "493012345678"
        self.waba_id = "102290129340398"
        self.webhook_url = webhook_url
        self.clock = clock
        self.templates: dict[str, Template] = {}
        self.users: dict[str, User] = {}
        self.sent: list[Sent] = []
        self.requests: list[dict] = []            # every messages POST body, accepted or not
        self.errors: list[tuple[dict, int]] = []  # refused bodies and the error code
        self.unreachable: set[str] = set()
        self.media: dict[str, Media] = {}
        self.url_ttl = 300.0                      # seconds a media URL works (Meta: five minutes)
        self.stale_urls = 0                       # the next n media URLs are handed out expired
        self.downloads: list[str] = []            # media ids whose bytes were fetched
        self.last_inbound: dict[str, float] = {}
        self.webhook_answers: list[int] = []      # kiezbot's HTTP status for each webhook POST
        self._faults: list[int] = []
        self._ids = itertools.count(1)
        self._arrived = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._http: ClientSession | None = None
        self.port = 0

    # --- lifecycle --------------------------------------------------------------------------------
    async def __aenter__(self) -> "FakeWhatsApp":
        app = web.Application(client_max_size=20 * 1024 * 1024)
        app.router.add_post("/{version}/{phone}/messages", self._messages)
        app.router.add_post("/{version}/{phone}/media", self._upload)
        app.router.add_get("/download/{media_id}", self._download)
        app.router.add_get("/{version}/{media_id}", self._media_url)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]   # type: ignore[union-attr]
        self._http = ClientSession()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._http is not None:
            await self._http.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base_url(self) -> str:
        """What KIEZBOT_WHATSAPP_API_BASE_URL is set to (version included, like https://graph.facebook.com/v23.0)."""
        return f"{self.base_url}/{self.version}"

    # --- simulation API ---------------------------------------------------------------------------
    def user(self, wa_id: str, name: str = "") -> User:
        if wa_id not in self.users:
            self.users[wa_id] = User(self, wa_id, name)
        return self.users[wa_id]

    def add_template(self, name: str, languages: set[str] | list[str], body_params: int = 1) -> None:
        self.templates[name] = Template(name, set(languages), body_params)

    def fail_next(self, code: int, times: int = 1) -> None:
        """The next ``times`` sends are refused with this Graph API error code."""
        self._faults.extend([code] * times)

    def add_media(self, content: bytes, mime_type: str) -> Media:
        media = Media(str(10**15 + next(self._ids)), content, mime_type)
        self.media[media.id] = media
        return media

    def delete_media(self, media_id: str) -> None:
        """The media id is gone (deleted, or older than Meta's 30 days)."""
        self.media.pop(media_id, None)

    def sign(self, body: bytes, secret: str | None = None) -> str:
        key = (secret if secret is not None else self.app_secret).encode()
        return "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()

    def envelope(self, value: dict) -> dict:
        return {"object": "whatsapp_business_account", "entry": [{"id": self.waba_id, "changes": [{
            "field": "messages", "value": {"messaging_product": "whatsapp", "metadata": {
                "display_phone_number": self.display_phone_number, "phone_number_id": self.phone_number_id},
                **value}}]}]}

    async def post_webhook(self, payload: dict | bytes, *, signature: str | None | bool = True) -> int:
        """POST ``payload`` to kiezbot's webhook; ``signature``: True signs right, False sends none, a string
        is sent as the header as it is. Returns kiezbot's HTTP status."""
        assert self.webhook_url and self._http is not None, "no webhook_url"
        body = payload if isinstance(payload, bytes) else json.dumps(payload, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json"}
        if signature is True:
            headers["X-Hub-Signature-256"] = self.sign(body)
        elif isinstance(signature, str):
            headers["X-Hub-Signature-256"] = signature
        async with self._http.post(self.webhook_url, data=body, headers=headers) as resp:
            await resp.read()
            self.webhook_answers.append(resp.status)
            return resp.status

    async def send_message(self, wa_id: str, kind: str, content: dict, *, message_id: str | None = None,
                           timestamp: float | None = None, signature: str | None | bool = True) -> str:
        """A message from ``wa_id`` to the business, delivered as a webhook. Returns its wamid."""
        user = self.user(wa_id)
        mid = message_id or f"wamid.IN{next(self._ids):08d}{secrets.token_hex(8)}"
        ts = self.clock() if timestamp is None else timestamp
        message = {"from": wa_id, "id": mid, "timestamp": str(int(ts)), "type": kind, **content}
        if signature is True:     # Meta opens the window when the user writes (a forged POST opens none)
            self.last_inbound[wa_id] = max(self.last_inbound.get(wa_id, 0), ts)
        await self.post_webhook(self.envelope({
            "contacts": [{"profile": {"name": user.name}, "wa_id": wa_id}], "messages": [message]}),
            signature=signature)
        return mid

    async def send_status(self, message_id: str, status: str, *, error_code: int | None = None) -> int:
        sent = next(s for s in self.sent if s.id == message_id)
        entry: dict[str, Any] = {"id": message_id, "status": status, "timestamp": str(int(self.clock())),
                                 "recipient_id": sent.to}
        if status != "failed":
            entry["conversation"] = {"id": secrets.token_hex(16), "origin": {"type": "service"}}
            entry["pricing"] = {"billable": True, "pricing_model": "PMP", "category": "service"}
        if error_code is not None:
            title = ERROR_MESSAGES.get(error_code, ("Error", ""))[0]
            entry["errors"] = [{"code": error_code, "title": title, "message": title,
                                "error_data": {"details": title}}]
        return await self.post_webhook(self.envelope({"statuses": [entry]}))

    def in_window(self, wa_id: str) -> bool:
        last = self.last_inbound.get(wa_id)
        return last is not None and self.clock() - last <= WINDOW_SECONDS

    # --- HTTP handlers ----------------------------------------------------------------------------
    def _authorised(self, request: web.Request) -> None:
        if request.headers.get("Authorization", "") != f"Bearer {self.access_token}":
            raise GraphError(190, "Invalid OAuth access token - Cannot parse access token")
        if request.match_info.get("version", self.version) != self.version:
            raise GraphError(100, f"unknown version {request.match_info['version']}")

    async def _messages(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except ValueError:
            body = {}
        self.requests.append(body)
        try:
            self._authorised(request)
            if request.match_info["phone"] != self.phone_number_id:
                raise GraphError(100, "Unsupported post request. Object with ID does not exist")
            if self._faults:
                raise GraphError(self._faults.pop(0))
            self._check(body)
        except GraphError as exc:
            self.errors.append((body, exc.code))
            return exc.response()
        to = body["to"]
        sent = Sent(f"wamid.OUT{next(self._ids):08d}{secrets.token_hex(8)}", to, body)
        self.sent.append(sent)
        async with self._arrived:
            self.user(to).inbox.append(sent)
            self._arrived.notify_all()
        return web.json_response({"messaging_product": "whatsapp", "contacts": [{"input": to, "wa_id": to}],
                                  "messages": [{"id": sent.id}]})

    def _check(self, body: dict) -> None:
        if body.get("messaging_product") != "whatsapp":
            raise GraphError(100, "The parameter messaging_product is required.")
        to = body.get("to")
        if not isinstance(to, str) or not to.lstrip("+").isdigit():
            raise GraphError(131009, "to: not a phone number")
        kind = body.get("type", "text")
        content = body.get(kind)
        if not isinstance(content, dict):
            raise GraphError(131008, f"{kind} object is missing")
        if to.lstrip("+") in self.unreachable:
            raise GraphError(131026, "Message undeliverable")
        if kind != "template" and not self.in_window(to.lstrip("+")):
            raise GraphError(131047, "Message failed to send because more than 24 hours have passed since the "
                                     "customer last replied to this number.")
        check = getattr(self, f"_check_{kind}", None)
        if check is None:
            raise GraphError(131051, f"type {kind} is not supported")
        check(content)

    @staticmethod
    def _length(value: Any, low: int, high: int, what: str) -> None:
        if not isinstance(value, str) or not low <= len(value) <= high:
            raise GraphError(131009 if value else 131008,
                             f"{what} must be {low}..{high} characters, got "
                             f"{len(value) if isinstance(value, str) else value!r}")

    def _check_text(self, content: dict) -> None:
        self._length(content.get("body"), 1, 4096, "text.body")
        if not content["body"].strip():
            raise GraphError(131009, "text.body is blank")

    def _check_interactive(self, inter: dict) -> None:
        kind = inter.get("type")
        action = inter.get("action") or {}
        limit = 1024 if kind == "button" else 4096
        self._length((inter.get("body") or {}).get("text"), 1, limit, "interactive.body.text")
        if "footer" in inter:
            self._length(inter["footer"].get("text"), 1, 60, "interactive.footer.text")
        if kind == "button":
            buttons = action.get("buttons")
            if not isinstance(buttons, list) or not 1 <= len(buttons) <= 3:
                raise GraphError(131009, "interactive.action.buttons: 1 to 3 buttons")
            for b in buttons:
                if b.get("type") != "reply":
                    raise GraphError(131009, "button type must be reply")
                self._length(b["reply"].get("id"), 1, 256, "button id")
                self._length(b["reply"].get("title"), 1, 20, "button title")
            if len({b["reply"]["id"] for b in buttons}) < len(buttons) or \
                    len({b["reply"]["title"] for b in buttons}) < len(buttons):
                raise GraphError(131009, "Button title and id must be unique")
        elif kind == "list":
            self._length(action.get("button"), 1, 20, "interactive.action.button")
            sections = action.get("sections")
            if not isinstance(sections, list) or not 1 <= len(sections) <= 10:
                raise GraphError(131009, "interactive.action.sections: 1 to 10 sections")
            rows = [r for s in sections for r in s.get("rows") or []]
            if not 1 <= len(rows) <= 10:
                raise GraphError(131009, "Total row count exceed max allowed count: 10")
            if len(sections) > 1:
                for s in sections:
                    self._length(s.get("title"), 1, 24, "section title")
            for r in rows:
                self._length(r.get("id"), 1, 200, "row id")
                self._length(r.get("title"), 1, 24, "row title")
                if "description" in r:
                    self._length(r["description"], 0, 72, "row description")
            if len({r["id"] for r in rows}) < len(rows):
                raise GraphError(131009, "Row id must be unique")
        else:
            raise GraphError(131009, f"interactive type {kind!r} not supported by the fake")

    def _check_template(self, content: dict) -> None:
        name = content.get("name")
        language = (content.get("language") or {}).get("code")
        template = self.templates.get(name or "")
        if template is None or language not in template.languages:
            raise GraphError(132001, f"template name ({name}) does not exist in {language}")
        params = [p for c in content.get("components") or [] if c.get("type") == "body"
                  for p in c.get("parameters") or []]
        if len(params) != template.body_params:
            raise GraphError(132000, f"body: number of localizable_params ({len(params)}) does not match the "
                                     f"expected number of params ({template.body_params})")
        for p in params:
            if p.get("type") != "text" or not isinstance(p.get("text"), str) or not p["text"].strip():
                raise GraphError(132018, "a body parameter must be non-empty text")
            if _BAD_PARAM.search(p["text"]):
                raise GraphError(132018, "Param text cannot have new-line/tab characters or more than 4 "
                                         "consecutive spaces")
            if len(p["text"]) > 1024:
                raise GraphError(132018, "a body parameter is longer than 1024 characters")

    def _check_location(self, content: dict) -> None:
        if not isinstance(content.get("latitude"), (int, float)) or \
                not isinstance(content.get("longitude"), (int, float)):
            raise GraphError(131009, "location needs latitude and longitude")

    def _check_document(self, content: dict) -> None:
        if content.get("id") not in self.media and not content.get("link"):
            raise GraphError(131009, "document: unknown media id")
        if "caption" in content:
            self._length(content["caption"], 0, 1024, "document caption")

    async def _upload(self, request: web.Request) -> web.Response:
        try:
            self._authorised(request)
            form = await request.post()
            upload = form.get("file")
            if form.get("messaging_product") != "whatsapp" or upload is None or isinstance(upload, str):
                raise GraphError(100, "file and messaging_product=whatsapp are required")
        except GraphError as exc:
            return exc.response()
        media = self.add_media(upload.file.read(), str(form.get("type") or upload.content_type))
        return web.json_response({"id": media.id})

    async def _media_url(self, request: web.Request) -> web.Response:
        try:
            self._authorised(request)
            media = self.media.get(request.match_info["media_id"])
            if media is None:
                raise GraphError(100, "Unsupported get request. Object with ID does not exist")
        except GraphError as exc:
            return exc.response()
        expires = int(self.clock() + self.url_ttl)
        if self.stale_urls > 0:
            self.stale_urls -= 1
            expires = int(self.clock()) - 1
        url = f"{self.base_url}/download/{media.id}?ext={expires}&hash={secrets.token_hex(4)}"
        return web.json_response({"url": url,
                                  "mime_type": media.mime_type, "sha256": hashlib.sha256(media.content).hexdigest(),
                                  "file_size": len(media.content), "id": media.id, "messaging_product": "whatsapp"})

    async def _download(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization", "") != f"Bearer {self.access_token}":
            return web.Response(status=401, text="Unauthorized")
        media = self.media.get(request.match_info["media_id"])
        expires = request.query.get("ext", "")
        if media is None or not expires.isdecimal() or int(expires) < self.clock():
            return web.Response(status=404)
        self.downloads.append(media.id)
        return web.Response(body=media.content, content_type=media.mime_type.split(";")[0])

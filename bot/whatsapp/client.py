"""A thin aiohttp client for the WhatsApp Business Cloud API (Graph API ``/messages`` and media).

Why our own and not ``pywa`` (checked: pywa 4.5.0 on PyPI, MIT, well kept, async variant ``pywa_async``):

* pywa talks HTTP through ``httpx`` — a second HTTP stack beside the aiohttp kiezbot already runs on
  (aiogram, the console, the webhook server), with its own pools, timeouts and TLS settings to keep apart;
* its webhook side is built for FastAPI/Flask (starlette + uvicorn extras), not for kiezbot's aiohttp
  server, and it wants to own the dispatch (handlers, filters, listeners) that kiezbot's dialogs engine owns;
* kiezbot's durable outbox decides retries itself, so what it needs from a client is one call per message
  and an error sorted into *retry later*, *rate limited*, *not reachable*, *outside the 24-hour window* or
  *rejected* — a table of Graph error codes (below, after Meta's "Error codes" page), not a framework.

What remains is four endpoints — ``POST /{phone-number-id}/messages``, ``GET /{media-id}``, the media
download URL, ``POST /{phone-number-id}/media`` — in about 200 lines, tested against ``tests/fake_whatsapp.py``.
pywa's source served as a second reading of the payload shapes. Phone numbers never appear in log lines
or exception texts raised from here.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

import aiohttp

log = logging.getLogger(__name__)

DEFAULT_API_BASE_URL = "https://graph.facebook.com/v23.0"

# Graph API error codes (developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes).
RATE_LIMIT_CODES = {4, 80007, 130429, 131048, 131056}     # app, account, throughput, spam, pair rate limit
OUTSIDE_WINDOW_CODES = {131047}                           # re-engagement: > 24 h since the user's last message
NOT_REACHABLE_CODES = {131026, 131021, 131030, 131049, 131050, 130472}
# undeliverable / recipient is the sender / not in the test allow-list / ecosystem limit / user stopped
# marketing messages / user in an experiment group: sending again gives the same answer
RETRY_CODES = {1, 2, 131000, 131016, 133004, 190, 0, 10, 3, 368}
# unknown / service unavailable / something went wrong / server unavailable: try again later;
# 190/0/10/3: the token expired or lacks a permission — the operator fixes it, waiting messages go then;
# 368: temporarily blocked for policy violations


class WhatsAppError(Exception):
    """The Cloud API did not take a message; the subclass says what to do about it."""

    def __init__(self, code: int, title: str, status: int = 0) -> None:
        super().__init__(f"WhatsApp error {code}: {title}")
        self.code, self.title, self.status = code, title, status


class RetryLater(WhatsAppError):
    """Network trouble, a 5xx, an expired token: the same message may go later."""


class RateLimited(WhatsAppError):
    """Too many messages (overall or to this one person): wait ``retry_after`` seconds, then send again."""

    def __init__(self, code: int, title: str, status: int = 0, retry_after: float = 0.0) -> None:
        super().__init__(code, title, status)
        self.retry_after = retry_after


class NotReachable(WhatsAppError):
    """The number cannot get WhatsApp messages from us (not on WhatsApp, blocked, opted out at Meta)."""


class OutsideWindow(WhatsAppError):
    """A free-form message outside the 24-hour customer-service window: only a template may go."""


class Rejected(WhatsAppError):
    """The request itself is wrong (parameters, an unknown template): sending it again gives the same."""


def classify(code: int, title: str, status: int) -> WhatsAppError:
    if code in RATE_LIMIT_CODES or status == 429:
        # Meta gives no Retry-After; the pair limit (131056) clears within seconds to a minute.
        return RateLimited(code, title, status, retry_after=60.0 if code == 131056 else 30.0)
    if code in OUTSIDE_WINDOW_CODES:
        return OutsideWindow(code, title, status)
    if code in NOT_REACHABLE_CODES:
        return NotReachable(code, title, status)
    if code in RETRY_CODES or status >= 500 or status == 401:
        return RetryLater(code, title, status)
    return Rejected(code, title, status)


@dataclass(frozen=True)
class MediaFile:
    content: bytes
    mime_type: str


class MediaTooLarge(Exception):
    pass


class UrlExpired(RetryLater):
    """The media URL (valid for five minutes after ``GET /{media-id}``) no longer answers: ask for a new one."""


# What the media URL answers once its five minutes are over (or its signature does not fit): no Graph
# error body, just the status. The token was taken a moment before by ``GET /{media-id}``.
URL_GONE = {401, 403, 404, 410}


class WhatsAppClient:
    """One business phone number's sending side. ``base_url`` includes the Graph API version."""

    def __init__(self, base_url: str, phone_number_id: str, access_token: str, *,
                 session: aiohttp.ClientSession | None = None, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.phone_number_id = phone_number_id
        self._auth = {"Authorization": f"Bearer {access_token}"}
        self._session = session
        self._own_session = session is None
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session

    async def close(self) -> None:
        if self._own_session and self._session is not None:
            await self._session.close()
            self._session = None

    async def _request(self, method: str, url: str, **kwargs: Any) -> dict:
        try:
            async with self.session.request(method, url, headers=self._auth, **kwargs) as resp:
                try:
                    body = await resp.json(content_type=None)
                except ValueError:
                    body = None
                if resp.status == 200 and isinstance(body, dict) and "error" not in body:
                    return body
                error = (body or {}).get("error") if isinstance(body, dict) else None
                if not isinstance(error, dict):
                    raise classify(0 if resp.status != 429 else 4, f"HTTP {resp.status}", resp.status)
                # ``title``: Meta's message, without error_data.details (it may quote the request)
                raise classify(int(error.get("code") or 0), str(error.get("message") or "")[:200], resp.status)
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise RetryLater(0, f"network: {type(exc).__name__}") from None

    # --- sending ----------------------------------------------------------------------------------
    async def send(self, to: str, kind: str, content: dict) -> str:
        """One message of type ``kind`` (text, interactive, template, location, document); its wamid."""
        body = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to, "type": kind,
                kind: content}
        answer = await self._request("POST", f"{self.base_url}/{self.phone_number_id}/messages", json=body)
        return str(answer["messages"][0]["id"])

    async def send_text(self, to: str, body: str, *, preview_url: bool = False) -> str:
        return await self.send(to, "text", {"body": body, "preview_url": preview_url})

    async def send_buttons(self, to: str, body: str, buttons: list[tuple[str, str]]) -> str:
        """Up to three reply buttons, given as (id, title)."""
        return await self.send(to, "interactive", {"type": "button", "body": {"text": body}, "action": {
            "buttons": [{"type": "reply", "reply": {"id": i, "title": t}} for i, t in buttons]}})

    async def send_list(self, to: str, body: str, button: str, rows: list[tuple[str, str]]) -> str:
        """A list message of up to ten rows (id, title) in one section; ``button`` opens it."""
        return await self.send(to, "interactive", {"type": "list", "body": {"text": body}, "action": {
            "button": button, "sections": [{"rows": [{"id": i, "title": t} for i, t in rows]}]}})

    async def send_template(self, to: str, name: str, language: str, params: list[str]) -> str:
        content: dict = {"name": name, "language": {"code": language}}
        if params:
            content["components"] = [{"type": "body", "parameters": [{"type": "text", "text": p} for p in params]}]
        return await self.send(to, "template", content)

    async def send_location(self, to: str, latitude: float, longitude: float, name: str, address: str) -> str:
        return await self.send(to, "location", {"latitude": latitude, "longitude": longitude,
                                                "name": name, "address": address})

    async def upload(self, content: bytes, mime_type: str, filename: str) -> str:
        form = aiohttp.FormData()
        form.add_field("messaging_product", "whatsapp")
        form.add_field("type", mime_type)
        form.add_field("file", content, filename=filename, content_type=mime_type)
        answer = await self._request("POST", f"{self.base_url}/{self.phone_number_id}/media", data=form)
        return str(answer["id"])

    async def send_document(self, to: str, content: bytes, filename: str, caption: str = "",
                            mime_type: str = "application/octet-stream") -> str:
        media_id = await self.upload(content, mime_type, filename)
        document = {"id": media_id, "filename": filename}
        if caption:
            document["caption"] = caption[:1024]
        return await self.send(to, "document", document)

    # --- media a user sent ------------------------------------------------------------------------
    async def media_info(self, media_id: str) -> dict:
        """``{"url", "mime_type", "sha256", "file_size", "id"}`` of a media id from a webhook."""
        return await self._request("GET", f"{self.base_url}/{media_id}")

    async def download(self, media_id: str, max_bytes: int) -> MediaFile:
        """The file behind a media id from a webhook: its URL first, then the bytes (same token),
        refused beyond ``max_bytes`` before and while downloading. A URL that expired between the two
        requests is asked for once more; :class:`UrlExpired` if the new one fails too."""
        try:
            return await self._download_once(media_id, max_bytes)
        except UrlExpired:
            return await self._download_once(media_id, max_bytes)

    async def _download_once(self, media_id: str, max_bytes: int) -> MediaFile:
        info = await self.media_info(media_id)
        if int(info.get("file_size") or 0) > max_bytes:
            raise MediaTooLarge(f"{info.get('file_size')} bytes")
        try:
            async with self.session.get(str(info["url"]), headers=self._auth) as resp:
                if resp.status in URL_GONE:
                    raise UrlExpired(0, f"media URL HTTP {resp.status}", resp.status)
                if resp.status != 200:
                    raise classify(0, f"media download HTTP {resp.status}", resp.status)
                chunks, size = [], 0
                async for chunk in resp.content.iter_chunked(65536):
                    size += len(chunk)
                    if size > max_bytes:
                        raise MediaTooLarge(f"over {max_bytes} bytes")
                    chunks.append(chunk)
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise RetryLater(0, f"network: {type(exc).__name__}") from None
        return MediaFile(b"".join(chunks), str(info.get("mime_type") or "application/octet-stream"))

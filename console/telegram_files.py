"""Photos and voice notes of submissions, streamed from Telegram to the browser: never stored twice.

Residents' files stay on Telegram's servers; kiezbot keeps only their file ids. The console asks the
Bot API for the file's path (``getFile``) and passes the bytes through as they arrive
(``GET {api}/file/bot{token}/{path}``), with the type the browser needs (``<audio>`` plays Telegram's
OGG/Opus voice notes; photos are JPEG). Plain HTTP with aiohttp: the console does not use the bot's
Telegram library (import contract), and the bot's token never reaches a page or a log line.
"""
from __future__ import annotations

import logging

import aiohttp
from aiohttp import web

log = logging.getLogger(__name__)

TYPES = {"photo": "image/jpeg", "voice": "audio/ogg"}
MAX_BYTES = 20 * 1024 * 1024          # what the Bot API lets a bot download at all
TIMEOUT = aiohttp.ClientTimeout(total=60, connect=10)


class FileUnavailable(Exception):
    """Telegram did not give the file (gone, too big, no token configured, or not reachable)."""


class TelegramFiles:
    def __init__(self, api_base_url: str, token: str) -> None:
        self.api = api_base_url.rstrip("/")
        self._token = token

    def __repr__(self) -> str:                       # never the token
        return f"TelegramFiles({self.api!r})"

    async def stream(self, request: web.Request, file_id: str, kind: str) -> web.StreamResponse:
        if not self._token:
            raise FileUnavailable("no bot token configured")
        async with aiohttp.ClientSession(timeout=TIMEOUT) as http:
            try:
                async with http.get(f"{self.api}/bot{self._token}/getFile", params={"file_id": file_id}) as answer:
                    body = await answer.json(content_type=None)
                if not body.get("ok") or not body.get("result", {}).get("file_path"):
                    raise FileUnavailable(f"getFile refused ({body.get('error_code')})")
                path = body["result"]["file_path"]
                async with http.get(f"{self.api}/file/bot{self._token}/{path}") as download:
                    if download.status != 200:
                        raise FileUnavailable(f"download refused ({download.status})")
                    if (download.content_length or 0) > MAX_BYTES:
                        raise FileUnavailable("too big")
                    response = web.StreamResponse(headers={
                        "Content-Type": TYPES.get(kind, "application/octet-stream"),
                        "Cache-Control": "private, no-store", "Content-Disposition": "inline",
                        "X-Content-Type-Options": "nosniff"})
                    if download.content_length is not None:
                        response.content_length = download.content_length
                    await response.prepare(request)
                    sent = 0
                    async for chunk in download.content.iter_chunked(64 * 1024):
                        sent += len(chunk)
                        if sent > MAX_BYTES:
                            break
                        await response.write(chunk)
                    await response.write_eof()
                    return response
            except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
                raise FileUnavailable(type(exc).__name__) from None

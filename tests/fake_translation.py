"""Local fakes of LibreTranslate, DeepL and a Whisper-compatible transcription server, for tests.

Each is a real aiohttp server on 127.0.0.1 (a free port) speaking the documented HTTP API — the request
and answer formats quoted in the adapters' docstrings (``bot/translation/*.py``) — and can be told to
misbehave the ways real services do::

    async with FakeLibreTranslate() as lt:
        lt.mode = "down"            # 503 (with Retry-After if lt.retry_after is set)
        lt.mode = "refuse"          # the connection is closed without an answer
        lt.mode = "slow"            # the answer takes lt.delay seconds (a client timeout)
        lt.mode = "garbage"         # 200 with an HTML error page instead of JSON
        lt.mode = "ratelimit"       # 429 with Retry-After: lt.retry_after (seconds, or an HTTP date)
        await lt.stop_listening()   # the port is closed: connection refused …
        await lt.listen_again()     # … and open again on the same port
        lt.quirks = True            # HTML answers re-quoted and re-escaped, as an HTML parser writes them

"Translation" is deterministic: the letters of every text node are upper-cased (``"Bank im Hof"`` ->
``"BANK IM HOF"``; Arabic, which has no case, goes in brackets); elements with ``translate="no"`` and
tags stay as they are (LibreTranslate's ``format=html``, DeepL's ``tag_handling=html``). ``translated``
counts every text the fake translated, so a test sees that nothing was translated twice. The language is "detected" from the script and a few
letters (Arabic, Cyrillic, Turkish ğ/ş/ı, German umlauts), else English.

Deliberate deviations, documented here: the DeepL fake refuses ``target_lang=EN`` (DeepL only deprecates
it; kiezbot must send ``EN-GB``) and accepts only JSON bodies (kiezbot sends JSON).
"""
from __future__ import annotations

import asyncio
import json
import re
from collections import Counter
from typing import Any, Self

from aiohttp import web

_TAG = re.compile(r"(<[^<>]*>)")
DEEPL_TARGETS = {"AR", "BG", "CS", "DA", "DE", "EL", "EN-GB", "EN-US", "ES", "ET", "FI", "FR", "HU", "ID", "IT",
                 "JA", "KO", "LT", "LV", "NB", "NL", "PL", "PT-BR", "PT-PT", "RO", "RU", "SK", "SL", "SV", "TR",
                 "UK", "ZH"}
DEEPL_SOURCES = {code.split("-")[0] for code in DEEPL_TARGETS}
LT_LANGUAGES = ["ar", "bg", "de", "en", "fa", "pl", "ro", "ru", "tr", "uk"]


def detect(text: str) -> str:
    if re.search(r"[\u0600-\u06ff]", text):
        return "ar"
    if re.search(r"[\u0400-\u04ff]", text):
        return "uk" if re.search(r"[їєі]", text) else "ru"
    if re.search(r"[ğşıİ]", text):
        return "tr"
    if re.search(r"[äöüß]", text, re.IGNORECASE) or re.search(r"\b(der|die|das|und|ist)\b", text):
        return "de"
    return "en"


def translate_text(text: str) -> str:
    """Upper-case letters; a script without case (Arabic) is put in brackets, so a translation always differs."""
    shown = text.upper()
    if shown == text and any(ch.isalpha() for ch in text):
        return f"[{text.strip()}]"
    return shown


def translate_html(text: str, quirks: bool = False) -> str:
    out, keep = [], 0
    for part in _TAG.split(text):
        if part.startswith("<"):
            name = re.match(r"</?([a-zA-Z0-9-]+)", part)
            if keep and name and name.group(1) == "span":
                keep += -1 if part.startswith("</") else 1
            elif 'translate="no"' in part:
                keep = 1
            if quirks and not part.startswith("</"):
                part = re.sub(r'="([^"]*)"', r"='\1'", part)          # an HTML writer's own quoting
            out.append(part)
        elif keep:
            out.append(part)
        else:
            shown = translate_text(part)
            out.append(shown.replace("'", "&#x27;") if quirks else shown)
    return "".join(out)


class FakeService:
    """What the three fakes share: a server, a mode, the requests seen."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.retry_after: str | None = None
        self.delay = 5.0
        self.quirks = False
        self.latency = 0.0              # seconds every answer takes in "ok" mode
        self.hits = 0                   # requests that reached the server, answered or not
        self.requests: list[tuple[str, Any]] = []
        self.translated: Counter[str] = Counter()
        self.port = 0
        self.base_url = ""
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None

    def routes(self, app: web.Application) -> None:
        raise NotImplementedError

    async def start(self) -> Self:
        app = web.Application(middlewares=[self._misbehave])
        self.routes(app)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5, handle_signals=False)
        await self._runner.setup()
        await self._listen(0)
        return self

    async def _listen(self, port: int) -> None:
        assert self._runner is not None
        self._site = web.TCPSite(self._runner, "127.0.0.1", port, reuse_address=True)
        await self._site.start()
        self.port = self._runner.addresses[-1][1]
        self.base_url = f"http://127.0.0.1:{self.port}"

    async def stop_listening(self) -> None:
        """Close the port: clients get "connection refused" until :meth:`listen_again`."""
        if self._site is not None:
            await self._site.stop()
            self._site = None

    async def listen_again(self) -> None:
        await self._listen(self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @web.middleware
    async def _misbehave(self, request: web.Request, handler: Any) -> web.StreamResponse:
        mode = self.mode
        self.hits += 1
        if mode == "down":
            headers = {"Retry-After": self.retry_after} if self.retry_after else {}
            return web.json_response(self.error_body("Service Unavailable"), status=503, headers=headers)
        if mode == "refuse":
            assert request.transport is not None
            request.transport.close()
            raise asyncio.CancelledError()
        if mode == "slow":
            await asyncio.sleep(self.delay)
        if mode == "garbage":
            return web.Response(text="<html><body><h1>502 Bad Gateway</h1></body></html>", status=200,
                                content_type="text/html")
        if mode == "ratelimit":
            headers = {"Retry-After": self.retry_after} if self.retry_after else {}
            return web.json_response(self.error_body("Too many requests"), status=429, headers=headers)
        if mode == "quota":
            return web.json_response(self.error_body("Quota exceeded"), status=456)
        if self.latency:
            await asyncio.sleep(self.latency)
        return await handler(request)

    def error_body(self, message: str) -> Any:
        return {"error": message}


class FakeLibreTranslate(FakeService):
    """``POST /translate``, ``POST /detect``, ``GET /languages`` (LibreTranslate's API)."""

    def __init__(self, *, api_key: str | None = None, languages: list[str] | None = None) -> None:
        super().__init__()
        self.api_key = api_key
        self.languages = languages or LT_LANGUAGES

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/translate", self._translate)
        app.router.add_post("/detect", self._detect)
        app.router.add_get("/languages", self._languages)

    async def _body(self, request: web.Request) -> dict:
        try:
            body = await request.json()
        except ValueError:
            raise web.HTTPBadRequest(text=json.dumps({"error": "Invalid JSON format"}),
                                     content_type="application/json") from None
        self.requests.append((request.path, body))
        if self.api_key is not None:
            key = body.get("api_key")
            if not key:
                raise web.HTTPBadRequest(text=json.dumps({"error": "Please contact the server operator to get an "
                                                                   "API key"}), content_type="application/json")
            if key != self.api_key:
                raise web.HTTPForbidden(text=json.dumps({"error": "Invalid API key"}), content_type="application/json")
        return body

    @staticmethod
    def _bad(message: str) -> web.Response:
        return web.json_response({"error": message}, status=400)

    async def _translate(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        q, source, target, fmt = body.get("q"), body.get("source"), body.get("target"), body.get("format") or "text"
        for name, value in (("q", q), ("source", source), ("target", target)):
            if not value:
                return self._bad(f"Invalid request: missing {name} parameter")
        if source != "auto" and source not in self.languages:
            return self._bad(f"{source} is not supported")
        if target not in self.languages:
            return self._bad(f"{target} is not supported")
        if fmt not in ("text", "html"):
            return self._bad(f"{fmt} format is not supported")
        texts = q if isinstance(q, list) else [q]
        out = [translate_html(t, self.quirks) if fmt == "html" else translate_text(t) for t in texts]
        self.translated.update(texts)
        result: dict[str, Any] = {"translatedText": out if isinstance(q, list) else out[0]}
        if source == "auto":
            found = [{"confidence": 90.0, "language": detect(re.sub(r"<[^<>]*>", "", t))} for t in texts]
            result["detectedLanguage"] = found if isinstance(q, list) else found[0]
        return web.json_response(result)

    async def _detect(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        if not body.get("q"):
            return self._bad("Invalid request: missing q parameter")
        text = body["q"]
        confidence = 15.0 if len(text) < 4 else 88.0
        return web.json_response([{"confidence": confidence, "language": detect(text)},
                                  {"confidence": 2.0, "language": "en"}])

    async def _languages(self, request: web.Request) -> web.Response:
        self.requests.append((request.path, None))
        return web.json_response([{"code": c, "name": c, "targets": [t for t in self.languages if t != c]}
                                  for c in self.languages])


class FakeDeepL(FakeService):
    """``POST /v2/translate`` and ``GET /v2/usage`` (DeepL API v2), authorised by ``DeepL-Auth-Key``."""

    def __init__(self, key: str = "0f1e2d3c-4b5a-6978-8877-665544332211:fx", *, limit: int = 500_000) -> None:
        super().__init__()
        self.key = key
        self.limit = limit
        self.characters = 0

    def error_body(self, message: str) -> Any:
        return {"message": message}

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/v2/translate", self._translate)
        app.router.add_get("/v2/usage", self._usage)

    def _authorised(self, request: web.Request) -> bool:
        return request.headers.get("Authorization") == f"DeepL-Auth-Key {self.key}"

    async def _translate(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return web.json_response({"message": "Authorization failure, check auth_key"}, status=403)
        try:
            body = await request.json()
        except ValueError:
            return web.json_response({"message": "Invalid request: expected a JSON body"}, status=400)
        self.requests.append((request.path, body))
        texts, target, source = body.get("text"), body.get("target_lang"), body.get("source_lang")
        if not isinstance(texts, list) or not texts:
            return web.json_response({"message": "Parameter 'text' not specified."}, status=400)
        if target not in DEEPL_TARGETS:
            return web.json_response({"message": f"Value for 'target_lang' not supported: {target}"}, status=400)
        if source is not None and source not in DEEPL_SOURCES:
            return web.json_response({"message": f"Value for 'source_lang' not supported: {source}"}, status=400)
        html = body.get("tag_handling") == "html"
        self.characters += sum(len(t) for t in texts)
        self.translated.update(texts)
        return web.json_response({"translations": [
            {"detected_source_language": source or detect(re.sub(r"<[^<>]*>", "", t)).upper(),
             "text": translate_html(t, self.quirks) if html else translate_text(t)} for t in texts]})

    async def _usage(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return web.json_response({"message": "Authorization failure, check auth_key"}, status=403)
        return web.json_response({"character_count": self.characters, "character_limit": self.limit})


class FakeWhisper(FakeService):
    """``POST /v1/audio/transcriptions`` (OpenAI's API, as speaches and whisper.cpp's server speak it).

    ``say(audio, text, language)`` decides what an audio file "says"; other audio is refused like an
    unreadable file. ``names=True`` reports the language as OpenAI and whisper.cpp do ("arabic"),
    otherwise as faster-whisper does ("ar")."""

    NAMES = {"ar": "arabic", "de": "german", "tr": "turkish", "en": "english", "ru": "russian", "fa": "persian"}

    def __init__(self, *, api_key: str | None = None, names: bool = True) -> None:
        super().__init__()
        self.api_key = api_key
        self.names = names
        self.voices: dict[bytes, tuple[str, str]] = {}

    def error_body(self, message: str) -> Any:
        return {"error": {"message": message, "type": "server_error"}}

    def say(self, audio: bytes, text: str, language: str) -> None:
        self.voices[audio] = (text, language)

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/v1/audio/transcriptions", self._transcribe)

    async def _transcribe(self, request: web.Request) -> web.Response:
        if self.api_key is not None and request.headers.get("Authorization") != f"Bearer {self.api_key}":
            return web.json_response({"error": {"message": "Incorrect API key provided", "type":
                                                "invalid_request_error"}}, status=401)
        form = await request.post()
        upload = form.get("file")
        model = form.get("model")
        fields = {k: v for k, v in form.items() if k != "file"}
        self.requests.append((request.path, {**fields, "filename": getattr(upload, "filename", None),
                                             "content_type": getattr(upload, "content_type", None)}))
        if upload is None or not hasattr(upload, "file"):
            return web.json_response({"error": {"message": "file is required"}}, status=400)
        if not model:
            return web.json_response({"error": {"message": "model is required"}}, status=400)
        audio = upload.file.read()
        if audio not in self.voices:
            return web.json_response({"error": {"message": "Invalid file format.", "type": "invalid_request_error"}},
                                     status=400)
        text, language = self.voices[audio]
        hint = form.get("language")
        self.translated[text] += 1
        fmt = form.get("response_format") or "json"
        if fmt == "text":
            return web.Response(text=text)
        if fmt == "verbose_json":
            spoken = hint or language
            return web.json_response({"task": "transcribe", "language": self.NAMES.get(spoken, spoken) if self.names
                                      else spoken, "duration": 4.2, "text": " " + text, "segments": []})
        return web.json_response({"text": text})


__all__ = ["FakeDeepL", "FakeLibreTranslate", "FakeWhisper", "detect", "translate_html"]

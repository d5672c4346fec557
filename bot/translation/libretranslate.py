"""LibreTranslate (self-hosted, open source): the default for a public-sector operator — texts never leave
the operator's servers.

API (LibreTranslate's ``/docs``, the Swagger spec in ``libretranslate/app.py``), JSON bodies:

* ``POST /translate`` ``{"q": ["…", …], "source": "tr" | "auto", "target": "de", "format": "text" | "html",
  "api_key": "…"}`` → ``{"translatedText": ["…", …], "detectedLanguage": [{"language": "tr",
  "confidence": 92.0}, …]}`` (``detectedLanguage`` only with ``"auto"``; a single ``q`` string gets single
  values back). ``format=html`` translates text nodes and keeps elements with ``translate="no"``.
* ``POST /detect`` ``{"q": "…", "api_key": "…"}`` → ``[{"language": "tr", "confidence": 92.0}, …]``.
* ``GET /languages`` → ``[{"code": "de", "name": "German", "targets": ["en", …]}, …]``.
* Errors: ``{"error": "…"}`` with 400 (bad request, unsupported language, missing key), 403 (wrong
  key, banned), 429 (slow down), 500 (translation failed).

Settings: ``KIEZBOT_TRANSLATE_URL`` (e.g. ``http://127.0.0.1:5000``), ``KIEZBOT_TRANSLATE_API_KEY`` if
the server runs with ``--api-keys``.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import aiohttp

from bot.translation.http import call, text_list
from dialogs.translation.languages import from_service, libretranslate_code
from dialogs.translation.ports import Detection, Refused, Unavailable

NAME = "libretranslate"
KEY_SETTING = "KIEZBOT_TRANSLATE_API_KEY"


class LibreTranslate:
    """A :class:`dialogs.translation.ports.TranslationEngine` for one LibreTranslate server."""

    name = NAME

    def __init__(self, url: str, api_key: str | None = None, *, timeout: float = 30.0,
                 min_confidence: float = 50.0) -> None:
        self.url = url.rstrip("/")
        self.api_key = api_key or None
        self.timeout = timeout
        self.min_confidence = min_confidence        # LibreTranslate's confidence is 0..100
        self._session: aiohttp.ClientSession | None = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        return self._session

    def _body(self, **fields: Any) -> dict[str, Any]:
        if self.api_key:
            fields["api_key"] = self.api_key
        return fields

    async def _post(self, path: str, body: dict[str, Any]) -> Any:
        try:
            return await call(self._http(), "POST", self.url + path, json=body, service=NAME, timeout=self.timeout,
                              key_setting=KEY_SETTING)
        except Refused as exc:
            # A server started with --api-keys answers 400 to a request without a key: the setting is
            # missing, not this text wrong — the jobs wait (and give up visibly) instead of failing at once.
            if "api key" in str(exc).lower():
                raise Unavailable(f"{exc} — set {KEY_SETTING}") from None
            raise

    async def translate_batch(self, texts: Sequence[str], source: str | None, target: str, *,
                              html: bool) -> tuple[list[str], str | None]:
        answer = await self._post("/translate", self._body(
            q=list(texts), source=libretranslate_code(source) if source else "auto",
            target=libretranslate_code(target), format="html" if html else "text"))
        if not isinstance(answer, dict):
            raise Unavailable(f"{NAME}: unexpected answer (no object)")
        translated = text_list(answer.get("translatedText"), len(texts), NAME, "translatedText")
        detected = source
        found = answer.get("detectedLanguage")
        if isinstance(found, list):
            found = found[0] if found else None
        if isinstance(found, dict):
            detected = from_service(str(found.get("language") or "")) or source
        return translated, detected

    async def detect(self, text: str) -> Detection:
        answer = await self._post("/detect", self._body(q=text))
        if not isinstance(answer, list):
            raise Unavailable(f"{NAME}: unexpected answer to /detect (no list)")
        best = max((a for a in answer if isinstance(a, dict)), key=lambda a: a.get("confidence") or 0, default=None)
        if best is None:
            return Detection(None)
        confidence = float(best.get("confidence") or 0)
        language = from_service(str(best.get("language") or ""))
        return Detection(language if confidence >= self.min_confidence else None, confidence / 100)

    async def languages(self) -> dict[str, set[str]]:
        """What the server can translate: source code -> target codes (to warn at start about gaps)."""
        answer = await call(self._http(), "GET", self.url + "/languages", service=NAME, timeout=self.timeout)
        if not isinstance(answer, list):
            raise Unavailable(f"{NAME}: unexpected answer to /languages")
        return {str(a.get("code")): set(a.get("targets") or []) for a in answer if isinstance(a, dict)}

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


__all__ = ["LibreTranslate"]

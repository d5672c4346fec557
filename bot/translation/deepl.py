"""DeepL API: the alternative to LibreTranslate (``KIEZBOT_DEEPL_KEY``). Texts go to DeepL SE, Cologne —
see the README ("Translation and voice notes") for its data-processing terms.

API (DeepL's OpenAPI spec, ``openapi.yaml`` of DeepLcom/openapi):

* Endpoint by key: keys ending in ``:fx`` belong to DeepL API Free (``https://api-free.deepl.com``),
  all others to DeepL API Pro (``https://api.deepl.com``). Authentication only by header:
  ``Authorization: DeepL-Auth-Key <key>`` (the ``auth_key`` form field was retired in 2025).
* ``POST /v2/translate`` JSON ``{"text": ["…", …], "target_lang": "DE", "source_lang": "TR",
  "tag_handling": "html", "preserve_formatting": true}`` → ``{"translations": [{"text": "…",
  "detected_source_language": "TR"}, …]}``. Without ``source_lang`` DeepL detects the language.
  ``tag_handling=html`` keeps markup and does not translate elements with ``translate="no"``.
  Target English is ``EN-GB`` (``EN`` is deprecated as a target).
* ``GET /v2/usage`` → ``{"character_count": …, "character_limit": …}`` (logged at start).
* Errors: ``{"message": "…"}`` with 400, 403 (key), 404, 413 (request over 128 KiB), 429 / 529 (too many
  requests), 456 (quota used up), 500, 504.
* No detection endpoint: :meth:`DeepL.detect` translates the first 300 characters to German and reads
  ``detected_source_language`` (which DeepL bills as 300 characters at most).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import aiohttp

from bot.translation.http import call, text_list
from dialogs.translation.languages import deepl_source_code, deepl_target_code, from_service
from dialogs.translation.ports import Detection, Unavailable

NAME = "deepl"
KEY_SETTING = "KIEZBOT_DEEPL_KEY"
FREE_URL = "https://api-free.deepl.com"
PRO_URL = "https://api.deepl.com"


def endpoint_for(key: str) -> str:
    """DeepL API Free keys end in ``:fx``."""
    return FREE_URL if key.strip().endswith(":fx") else PRO_URL


class DeepL:
    """A :class:`dialogs.translation.ports.TranslationEngine` for DeepL API Free or Pro."""

    name = NAME

    def __init__(self, key: str, *, base_url: str | None = None, timeout: float = 30.0) -> None:
        self.key = key.strip()
        self.url = (base_url or endpoint_for(self.key)).rstrip("/")
        self.timeout = timeout
        self._session: aiohttp.ClientSession | None = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(headers={"Authorization": f"DeepL-Auth-Key {self.key}"})
        return self._session

    async def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        return await call(self._http(), method, self.url + path, service=NAME, timeout=self.timeout,
                          key_setting=KEY_SETTING, **kwargs)

    async def translate_batch(self, texts: Sequence[str], source: str | None, target: str, *,
                              html: bool) -> tuple[list[str], str | None]:
        body: dict[str, Any] = {"text": list(texts), "target_lang": deepl_target_code(target),
                                "preserve_formatting": True}
        if source:
            body["source_lang"] = deepl_source_code(source)
        if html:
            body["tag_handling"] = "html"
        answer = await self._call("POST", "/v2/translate", json=body)
        items = answer.get("translations") if isinstance(answer, dict) else None
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise Unavailable(f"{NAME}: unexpected answer (no translations)")
        translated = text_list([i.get("text") for i in items], len(texts), NAME, "translations")
        detected = from_service(str(items[0].get("detected_source_language") or "")) if items else None
        return translated, detected or source

    async def detect(self, text: str) -> Detection:
        _, detected = await self.translate_batch([text[:300]], None, "de", html=False)
        return Detection(detected, 1.0 if detected else 0.0)

    async def usage(self) -> tuple[int, int]:
        """Characters translated in this billing period, and the limit."""
        answer = await self._call("GET", "/v2/usage")
        try:
            return int(answer["character_count"]), int(answer["character_limit"])
        except (KeyError, TypeError, ValueError):
            raise Unavailable(f"{NAME}: unexpected answer to /v2/usage") from None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


__all__ = ["DeepL", "endpoint_for"]

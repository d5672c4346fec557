"""Voice notes as text through a Whisper-compatible HTTP server (``KIEZBOT_TRANSCRIBE_URL``).

The API is OpenAI's ``POST /v1/audio/transcriptions``, which self-hosted servers speak too:
speaches (formerly faster-whisper-server: faster-whisper behind FastAPI) and whisper.cpp's
``whisper-server`` started with ``--inference-path /v1/audio/transcriptions --convert`` (``--convert``
lets it read Telegram's Ogg/Opus through ffmpeg).

* Request: ``multipart/form-data`` with ``file`` (the audio; the file name's extension tells the format:
  ``voice.ogg``), ``model`` (``KIEZBOT_TRANSCRIBE_MODEL``, e.g. ``Systran/faster-whisper-small`` for
  speaches; whisper.cpp ignores it), ``response_format=verbose_json`` and, when kiezbot has a hint,
  ``language`` (ISO 639-1). ``Authorization: Bearer <KIEZBOT_TRANSCRIBE_API_KEY>`` if set.
* Answer: ``verbose_json`` — ``{"task": "transcribe", "language": "arabic" | "ar", "duration": 8.5,
  "text": "…", "segments": […]}`` (OpenAI and whisper.cpp name the language, faster-whisper gives its
  code); a server that ignores ``response_format`` answers ``{"text": "…"}`` and the language stays unknown.
* Errors: OpenAI ``{"error": {"message": …}}``, FastAPI ``{"detail": …}``, whisper.cpp ``{"error": …}``.

``KIEZBOT_TRANSCRIBE_URL`` is the server's address (``http://127.0.0.1:8000``); ``/v1/audio/transcriptions``
is appended unless the URL already ends in ``/audio/transcriptions``.
"""
from __future__ import annotations

import aiohttp

from bot.translation.http import call
from dialogs.translation.languages import from_whisper, whisper_code
from dialogs.translation.ports import Transcript, Unavailable

NAME = "whisper"
PATH = "/v1/audio/transcriptions"
EXTENSIONS = {"audio/ogg": "ogg", "audio/opus": "ogg", "audio/oga": "ogg", "audio/mpeg": "mp3", "audio/mp3": "mp3",
              "audio/mp4": "m4a", "audio/x-m4a": "m4a", "audio/aac": "m4a", "audio/wav": "wav", "audio/x-wav": "wav",
              "audio/webm": "webm", "audio/flac": "flac"}


def endpoint(url: str) -> str:
    url = url.rstrip("/")
    return url if url.endswith("/audio/transcriptions") else url + PATH


class WhisperHttp:
    """A :class:`dialogs.translation.ports.Transcriber` for an OpenAI-compatible transcription server."""

    name = NAME

    def __init__(self, url: str, *, model: str = "Systran/faster-whisper-small", api_key: str | None = None,
                 timeout: float = 180.0) -> None:
        self.url = endpoint(url)
        self.model = model
        self.api_key = api_key or None
        self.timeout = timeout
        self._session: aiohttp.ClientSession | None = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else None
            self._session = aiohttp.ClientSession(headers=headers)
        return self._session

    async def transcribe(self, audio: bytes, mime: str, language: str | None = None) -> Transcript:
        mime = (mime or "audio/ogg").split(";", 1)[0].strip().lower()
        form = aiohttp.FormData()
        form.add_field("file", audio, filename=f"voice.{EXTENSIONS.get(mime, 'ogg')}", content_type=mime)
        form.add_field("model", self.model)
        form.add_field("response_format", "verbose_json")
        hint = whisper_code(language)
        if hint:
            form.add_field("language", hint)
        answer = await call(self._http(), "POST", self.url, data=form, service=NAME, timeout=self.timeout,
                            key_setting="KIEZBOT_TRANSCRIBE_API_KEY")
        if not isinstance(answer, dict) or not isinstance(answer.get("text"), str):
            raise Unavailable(f"{NAME}: unexpected answer (no text)")
        spoken = answer.get("language")
        return Transcript(answer["text"].strip(), from_whisper(spoken if isinstance(spoken, str) else None), NAME)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


__all__ = ["WhisperHttp", "endpoint"]

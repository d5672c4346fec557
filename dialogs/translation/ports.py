"""What translation and transcription need from the outside world, and what can go wrong there.

Three service ports, implemented by adapters in ``bot/translation/`` (LibreTranslate, DeepL, a
Whisper-compatible HTTP server, faster-whisper in process, Telegram's file download):

* :class:`TranslationEngine` — what an adapter does: translate a batch of short texts (plain, or HTML
  whose ``translate="no"`` spans it keeps) and detect a language;
* :class:`Translator` — what kiezbot uses: one text, **HTML-safe** (Telegram tags, ``{placeholders}``,
  line breaks, URLs, phone numbers and e-mail addresses come back exactly as they went in).
  :class:`dialogs.translation.protect.ProtectingTranslator` makes any engine one;
* :class:`Transcriber` — audio bytes and their MIME type in, text and the spoken language out;
* :class:`AudioSource` — the bytes of a voice note, by the reference a job keeps (a Telegram file id).

And one store port, :class:`TranslationJobs`, which ``storage/translation.py`` implements: flows
*request* a translation or transcription inside the update's transaction (a durable job, like an outbox
row) and read what is there when they render a card.

Errors are typed so the job runner knows what to do (``bot/translation/runner.py``):
:class:`RateLimited` — wait ``retry_after`` and try again without using up an attempt;
:class:`Unavailable` — try again later with backoff, counting an attempt; :class:`Refused` — this
request cannot succeed (unsupported language, too long): the job fails at once, visibly.

Not to be confused with :class:`dialogs.core.i18n.Translator`, which looks up kiezbot's own catalogs.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from dialogs.translation.jobs import Job, JobRequest


# --- what can go wrong -------------------------------------------------------------------------------
class ServiceError(Exception):
    """A translation, transcription or download service did not deliver; the subclass says why."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Unavailable(ServiceError):
    """Network trouble, a timeout, a 5xx, an answer that is not what the API documents, a rejected key,
    a used-up quota: worth another try later (an attempt is counted; ``retry_after`` if the service said)."""


class RateLimited(ServiceError):
    """429: too many requests now. Try again after ``retry_after`` seconds; no attempt is used up."""


class Refused(ServiceError):
    """The service understood the request and will never take it (unsupported language pair, text too
    long, audio it cannot read): the job fails at once."""


# --- results -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Translation:
    text: str
    source_language: str | None        # detected (or the one asked for), as :func:`languages.from_service`
    provider: str                      # "libretranslate", "deepl" … (shown in /mydata: who saw the text)


@dataclass(frozen=True)
class Detection:
    language: str | None               # None: the service was not sure
    confidence: float = 0.0            # 0..1


@dataclass(frozen=True)
class Transcript:
    text: str
    language: str | None               # the spoken language as a code (``ar``), None if not reported
    provider: str


@dataclass(frozen=True)
class Audio:
    data: bytes
    mime: str                          # "audio/ogg" for Telegram voice notes


# --- the services -------------------------------------------------------------------------------------
class TranslationEngine(Protocol):
    """An adapter for one machine-translation service (no markup protection of its own)."""

    name: str

    async def translate_batch(self, texts: Sequence[str], source: str | None, target: str, *,
                              html: bool) -> tuple[list[str], str | None]:
        """Translate ``texts`` (one request), in order. ``source`` None: the service detects it.
        ``html``: the texts are HTML whose elements with ``translate="no"`` must come back unchanged.
        Returns the translations and the detected (or given) source language, kiezbot-style."""
        ...

    async def detect(self, text: str) -> Detection: ...

    async def close(self) -> None: ...


class Translator(Protocol):
    """Machine translation of one text, markup-safe (see :mod:`dialogs.translation.protect`)."""

    name: str

    async def detect(self, text: str) -> Detection: ...

    async def translate(self, text: str, source: str | None, target: str, *, html: bool = False) -> Translation:
        """``text`` is plain text (``html=False``: returned plain) or Telegram HTML (returned as valid
        Telegram HTML with the same tags). ``source`` None: detect it."""
        ...

    async def close(self) -> None: ...


class Transcriber(Protocol):
    name: str

    async def transcribe(self, audio: bytes, mime: str, language: str | None = None) -> Transcript:
        """``language``: a hint (the resident's language); the service may detect another one."""
        ...

    async def close(self) -> None: ...


class AudioSource(Protocol):
    async def fetch(self, ref: str) -> Audio: ...


# --- the store -----------------------------------------------------------------------------------------
class TranslationJobs(Protocol):
    """Durable translation and transcription jobs, inside the caller's transaction.

    ``request`` is idempotent per source (kind, id, field), task and target language: asking again for
    the same text changes nothing, asking with a changed text (a revision) starts the job afresh.
    """

    async def request(self, job: JobRequest, now: datetime | None = None) -> Job: ...
    async def for_sources(self, kind: str, ids: Sequence[int]) -> list[Job]: ...


__all__ = ["Audio", "AudioSource", "Detection", "RateLimited", "Refused", "ServiceError",
           "Transcriber", "Transcript", "Translation", "TranslationEngine", "TranslationJobs", "Translator",
           "Unavailable"]

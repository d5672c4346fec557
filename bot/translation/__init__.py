"""Adapters for translation and transcription services, and the job runner (``kiezbot run``).

=====================  ===================================  ================================================
setting                adapter                              what it is
=====================  ===================================  ================================================
KIEZBOT_TRANSLATE_URL  :mod:`.libretranslate`               a LibreTranslate server (self-hosted): default
KIEZBOT_DEEPL_KEY      :mod:`.deepl`                        DeepL API Free (key ends in ``:fx``) or Pro
(neither)              —                                    "none": no jobs, everything as before
KIEZBOT_TRANSCRIBE_URL :mod:`.whisper`                      an OpenAI-compatible ``/v1/audio/transcriptions``
                                                            server (speaches, whisper.cpp's server)
…=faster-whisper       :mod:`.faster_whisper`               faster-whisper in process (``kiezbot[whisper]``)
=====================  ===================================  ================================================

Why the HTTP clients are written here rather than taken from a library: the official clients are
synchronous (``deepl`` and ``libretranslatepy`` use requests/urllib and would block the event loop that
serves residents, or need a thread per call), and OpenAI's SDK would add httpx and its own retry logic for
one multipart POST. kiezbot already depends on aiohttp; each service needs one to three endpoints, whose
documented formats are quoted in the adapters' docstrings, and the error handling must end in the typed
errors the job runner acts on (:mod:`.http`), which no client library speaks.
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from dialogs.translation.jobs import RetryPolicy, TranslationPolicy
from dialogs.translation.ports import AudioSource, ServiceError, Transcriber
from dialogs.translation.protect import ProtectingTranslator

if TYPE_CHECKING:
    from aiogram import Bot

    from bot.settings import Settings
    from bot.translation.runner import TranslationRunner
    from bot.whatsapp.client import WhatsAppClient
    from storage.handles import Sessions

log = logging.getLogger(__name__)
IN_PROCESS = "faster-whisper"


def build_translator(settings: Settings) -> ProtectingTranslator | None:
    """The configured translation service, HTML-safe; None when none is configured."""
    if settings.translate_url:
        from bot.translation.libretranslate import LibreTranslate
        key = settings.translate_api_key.get_secret_value() if settings.translate_api_key else None
        return ProtectingTranslator(LibreTranslate(settings.translate_url, key))
    if settings.deepl_key:
        from bot.translation.deepl import DeepL
        return ProtectingTranslator(DeepL(settings.deepl_key.get_secret_value()))
    return None


def build_transcriber(settings: Settings) -> Transcriber | None:
    if not settings.transcribe_url:
        return None
    if settings.transcribe_url == IN_PROCESS:
        from bot.translation.faster_whisper import FasterWhisper
        return FasterWhisper(settings.transcribe_model)
    from bot.translation.whisper import WhisperHttp
    key = settings.transcribe_api_key.get_secret_value() if settings.transcribe_api_key else None
    return WhisperHttp(settings.transcribe_url, model=settings.transcribe_model, api_key=key)


def policy(settings: Settings) -> TranslationPolicy:
    """What flows may ask for (the wiring phase hands this to the dialogs)."""
    return TranslationPolicy(translate=bool(settings.translate_url or settings.deepl_key),
                             transcribe=bool(settings.transcribe_url), team_language=settings.team_language)


def build_runner(settings: Settings, sessions: Sessions, bot: Bot | None = None,
                 whatsapp: WhatsAppClient | None = None, **options: object) -> TranslationRunner | None:
    """The job runner for ``kiezbot run``; None when no service is configured ("none"). Voice notes come
    from Telegram (``bot``) and, when WhatsApp is configured, from Meta's Cloud API (``whatsapp``)."""
    from bot.translation.runner import RunnerConfig, TranslationRunner
    from bot.translation.telegram_audio import TelegramAudio
    translator = build_translator(settings)
    transcriber = build_transcriber(settings)
    if translator is None and transcriber is None:
        return None
    config = RunnerConfig(retry=RetryPolicy(max_attempts=settings.translate_max_attempts))
    audio: AudioSource | None = TelegramAudio(bot) if bot is not None and transcriber is not None else None
    if whatsapp is not None and transcriber is not None:
        from bot.whatsapp.audio import WhatsAppAudio
        audio = WhatsAppAudio(whatsapp, audio)
    return TranslationRunner(sessions, translator=translator, transcriber=transcriber, audio=audio, config=config,
                             **options)  # type: ignore[arg-type]


async def describe(runner: TranslationRunner) -> None:
    """One log line per service at start: which one, and whether it answers (never fatal)."""
    translator = runner.translator
    if isinstance(translator, ProtectingTranslator):
        engine = translator.engine
        try:
            if hasattr(engine, "languages"):
                known = await engine.languages()
                log.info("translation: LibreTranslate at %s, %s languages", getattr(engine, "url", "?"), len(known))
            elif hasattr(engine, "usage"):
                used, limit = await engine.usage()
                log.info("translation: DeepL, %s of %s characters used this period", used, limit)
        except ServiceError as exc:
            log.warning("translation: %s does not answer yet (%s); jobs wait for it", engine.name, exc)
    if runner.transcriber is not None:
        log.info("voice notes as text: %s", runner.transcriber.name)


__all__ = ["build_runner", "build_transcriber", "build_translator", "describe", "policy"]

"""The bytes of a voice note, from Telegram (``getFile``, then the file download), for transcription.

A job keeps the voice note's Telegram file id (cleared once the job is finished); the file stays on
Telegram's servers until then. Bots may download files up to 20 MB — kiezbot's voice notes (at most five
minutes, Ogg/Opus) are far below that.
"""
from __future__ import annotations

import asyncio

import aiohttp
from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest, TelegramNotFound, TelegramRetryAfter

from dialogs.translation.ports import Audio, RateLimited, Refused, Unavailable

MIME_BY_EXTENSION = {"oga": "audio/ogg", "ogg": "audio/ogg", "opus": "audio/ogg", "mp3": "audio/mpeg",
                     "m4a": "audio/mp4", "wav": "audio/wav"}


class TelegramAudio:
    """An :class:`dialogs.translation.ports.AudioSource` reading voice notes through the Bot API."""

    def __init__(self, bot: Bot, *, timeout: float = 60.0) -> None:
        self.bot = bot
        self.timeout = timeout

    async def fetch(self, ref: str) -> Audio:
        try:
            file = await self.bot.get_file(ref)
            if not file.file_path:
                raise Refused("telegram: the voice note has no file path")
            data = await self.bot.download_file(file.file_path, timeout=int(self.timeout))
        except TelegramRetryAfter as exc:
            raise RateLimited(f"telegram: {exc.message}", retry_after=exc.retry_after) from None
        except (TelegramBadRequest, TelegramNotFound) as exc:     # gone, or too big
            raise Refused(f"telegram: {exc.message}") from None
        except TelegramAPIError as exc:
            raise Unavailable(f"telegram: {type(exc).__name__}: {exc.message}") from None
        except (OSError, asyncio.TimeoutError, aiohttp.ClientError) as exc:
            raise Unavailable(f"telegram: {type(exc).__name__}: {exc}") from None
        if data is None:
            raise Unavailable("telegram: empty download")
        extension = file.file_path.rsplit(".", 1)[-1].lower() if "." in file.file_path else ""
        return Audio(data.read(), MIME_BY_EXTENSION.get(extension, "audio/ogg"))


__all__ = ["TelegramAudio"]

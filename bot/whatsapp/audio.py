"""The bytes of a WhatsApp voice note, from Meta's Cloud API, for transcription.

A voice note a resident sends on WhatsApp is kept by the flows as ``wa:<media id>`` (see
:mod:`bot.whatsapp.transport`), and so is the transcription job's reference. Fetching it is two requests
with the business number's access token: ``GET /{media-id}`` answers a download URL (valid for five
minutes), then ``GET <url>`` with the same bearer token gives the bytes (:meth:`WhatsAppClient.download`).
Meta keeps received media for 30 days; the job runner is done long before.

The runner has one :class:`~dialogs.translation.ports.AudioSource`: :class:`WhatsAppAudio` takes the
``wa:`` references and hands every other one (a Telegram file id) to the source it wraps.
"""
from __future__ import annotations

from bot.whatsapp import client as api
from bot.whatsapp.transport import WA_MEDIA
from dialogs.translation.ports import Audio, AudioSource, RateLimited, Refused, Unavailable

MAX_AUDIO_BYTES = 16 * 1024 * 1024        # WhatsApp's own limit for audio
MIME = "audio/ogg"                        # WhatsApp voice notes: Opus in Ogg ("audio/ogg; codecs=opus")


class WhatsAppAudio:
    """An :class:`AudioSource` for ``wa:`` references; ``other`` serves the rest (None: refused)."""

    def __init__(self, client: api.WhatsAppClient, other: AudioSource | None = None) -> None:
        self.client = client
        self.other = other

    async def fetch(self, ref: str) -> Audio:
        if not ref.startswith(WA_MEDIA):
            if self.other is None:
                raise Refused("no source for this voice note (Telegram is not configured)")
            return await self.other.fetch(ref)
        try:
            found = await self.client.download(ref.removeprefix(WA_MEDIA), MAX_AUDIO_BYTES)
        except api.MediaTooLarge as exc:
            raise Refused(f"whatsapp: voice note too large ({exc})") from None
        except api.RateLimited as exc:
            raise RateLimited(f"whatsapp: {exc.code}", retry_after=exc.retry_after) from None
        except api.RetryLater as exc:          # network, 5xx, token, a media URL that expired twice
            raise Unavailable(f"whatsapp: {exc.code}: {exc.title}") from None
        except api.WhatsAppError as exc:       # the media id is gone (deleted, or older than 30 days)
            raise Refused(f"whatsapp: {exc.code}: {exc.title}") from None
        mime = found.mime_type.split(";", 1)[0].strip() or MIME
        return Audio(found.content, mime)


__all__ = ["WhatsAppAudio"]

"""A voice note a resident sends on WhatsApp becomes text on the staff card, with its German translation:
the transcription job fetches the audio through the Cloud API (``GET /{media-id}`` for a five-minute URL,
then the bytes with the bearer token) — against the fake Cloud API, the fake Whisper server and the fake
LibreTranslate, with signed webhooks into kiezbot's aiohttp server."""
from __future__ import annotations

from datetime import UTC

import pytest
import pytest_asyncio
from aiohttp import web

from bot.translation.announce import announcer
from bot.translation.libretranslate import LibreTranslate
from bot.translation.runner import RunnerConfig, TranslationRunner
from bot.translation.whisper import WhisperHttp
from bot.whatsapp.audio import WhatsAppAudio
from bot.whatsapp.client import WhatsAppClient
from bot.whatsapp.transport import WA_MEDIA, WhatsAppTransport
from bot.whatsapp.webhook import WEBHOOK_PATH, WhatsAppWebhook
from dialogs.translation import flows as translation_flows
from dialogs.translation.jobs import RetryPolicy, TranslationPolicy
from dialogs.translation.ports import Refused, Unavailable
from dialogs.translation.protect import ProtectingTranslator
from tests.fake_translation import FakeLibreTranslate, FakeWhisper
from tests.fake_whatsapp import FakeWhatsApp
from tests.ideas_helpers import outbox

PHONE = "4915112345678"
ARABIC = "نريد مقاعد في الفناء"
VOICE = b"OggS\x00\x02-amal-on-whatsapp"


@pytest_asyncio.fixture
async def world(staffed, db, clock):
    async with FakeWhatsApp(clock=lambda: clock().timestamp()) as wa, FakeWhisper() as whisper, \
            FakeLibreTranslate() as libre:
        client = WhatsAppClient(wa.api_base_url, wa.phone_number_id, wa.access_token)
        transport = WhatsAppTransport(client, staffed, db.sessions, clock=clock)
        hook = WhatsAppWebhook(verify_token="v", app_secret=wa.app_secret, on_message=transport.on_message,
                               on_status=transport.on_status, phone_number_id=wa.phone_number_id,
                               clock=lambda: clock().astimezone(UTC))
        app = web.Application()
        hook.register(app)
        server = web.AppRunner(app)
        await server.setup()
        site = web.TCPSite(server, "127.0.0.1", 0)
        await site.start()
        wa.webhook_url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}{WEBHOOK_PATH}"
        translation_flows.configure(staffed, TranslationPolicy(translate=True, transcribe=True, team_language="de"))
        runner = TranslationRunner(db.sessions, translator=ProtectingTranslator(LibreTranslate(libre.base_url,
                                                                                            timeout=0.5)),
                                   transcriber=WhisperHttp(whisper.base_url, timeout=0.5),
                                   audio=WhatsAppAudio(client), clock=clock,
                                   config=RunnerConfig(retry=RetryPolicy(max_attempts=10)),
                                   announce=announcer(staffed))
        try:
            yield wa, whisper, runner, client
        finally:
            await runner.close()
            await client.close()
            await server.cleanup()


async def voice_idea(wa: FakeWhatsApp) -> str:
    """An Arabic-speaking resident on WhatsApp sends an idea whose text is a voice note."""
    amal = wa.user(PHONE, "Amal")
    await amal.send("Marhaba")
    *_, languages = amal.take_all()
    await amal.press(languages, "العربية")
    [notice] = amal.take_all()
    await amal.press(notice, "consent:yes")
    amal.take_all()
    await amal.send("Badstraße 10")
    await amal.press(amal.take_all()[-1], "menu:")
    await amal.press(amal.take_all()[-1], "idea:new")
    amal.take_all()
    await amal.send("2")                          # a numbered choice (the kinds do not fit in a list): project
    await amal.send("مقاعد")
    amal.take_all()
    await amal.send_voice(VOICE)
    await amal.press(amal.take_all()[-1], "idea:next:body")
    await amal.press(amal.take_all()[-1], "idea:send")
    amal.take_all()
    [media_id] = [m.id for m in wa.media.values() if m.content == VOICE]
    return media_id


async def test_a_whatsapp_voice_note_reaches_the_card_as_text_with_its_german_translation(world, db):
    wa, whisper, runner, _client = world
    whisper.say(VOICE, ARABIC, "ar")
    media_id = await voice_idea(wa)
    [first] = await outbox(db, "staff_card")
    assert "Sprachnachricht" in first.text and ARABIC not in first.text
    assert [m.file_id for m in first.reply.media] == [WA_MEDIA + media_id]
    wa.stale_urls = 1                             # the first URL has expired by the time kiezbot downloads
    await runner.drain()                          # the transcript, then its translation
    await runner.drain()
    card = (await outbox(db, "staff_card"))[-1].text
    assert ARABIC in card and f"[{ARABIC}]" in card                        # as text, and in "German"
    assert "Arabisch" in card
    assert wa.downloads == [media_id]                                     # fetched once, through Meta


async def test_a_voice_note_meta_no_longer_has_fails_visibly_on_the_card(world, db):
    wa, whisper, runner, _client = world
    whisper.say(VOICE, ARABIC, "ar")
    media_id = await voice_idea(wa)
    wa.delete_media(media_id)                     # gone at Meta (deleted, or older than 30 days)
    await runner.drain()
    card = (await outbox(db, "staff_card"))[-1].text
    assert "Sprachnachricht: kein Text verfügbar" in card and wa.downloads == []


async def test_the_audio_source_sorts_cloud_api_trouble_into_the_runners_errors(world):
    wa, _whisper, _runner, client = world
    media = wa.add_media(VOICE, "audio/ogg; codecs=opus")
    audio = WhatsAppAudio(client)
    found = await audio.fetch(WA_MEDIA + media.id)
    assert (found.data, found.mime) == (VOICE, "audio/ogg")
    wa.stale_urls = 2                             # expired, and the fresh URL too: try again later
    with pytest.raises(Unavailable):
        await audio.fetch(WA_MEDIA + media.id)
    wa.delete_media(media.id)
    with pytest.raises(Refused):
        await audio.fetch(WA_MEDIA + media.id)
    with pytest.raises(Refused):                  # a Telegram file id, and no Telegram source
        await audio.fetch("AwACAgIAAxkBAAIC")

"""The translation and transcription adapters against local fakes of LibreTranslate, DeepL and a
Whisper-compatible server (``tests/fake_translation.py``): the documented requests go out, the answers
are read, and every way a service fails ends in the error the job runner acts on."""
from __future__ import annotations

import sys
import types
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest
import pytest_asyncio

from bot.translation.deepl import FREE_URL, PRO_URL, DeepL, endpoint_for
from bot.translation.faster_whisper import FasterWhisper, MissingExtra
from bot.translation.http import parse_retry_after
from bot.translation.libretranslate import LibreTranslate
from bot.translation.telegram_audio import TelegramAudio
from bot.translation.whisper import WhisperHttp, endpoint
from dialogs.translation.ports import RateLimited, Refused, Unavailable
from dialogs.translation.protect import ProtectingTranslator
from tests.fake_translation import FakeDeepL, FakeLibreTranslate, FakeWhisper

VOICE = b"OggS\x00\x02" + bytes(range(40))


@pytest_asyncio.fixture
async def libre():
    async with FakeLibreTranslate(api_key="lt-key") as server:
        yield server


@pytest_asyncio.fixture
async def deepl_server():
    async with FakeDeepL() as server:
        yield server


@pytest_asyncio.fixture
async def whisper_server():
    async with FakeWhisper() as server:
        yield server


@pytest_asyncio.fixture
async def lt(libre):
    engine = LibreTranslate(libre.base_url, "lt-key", timeout=0.5)
    yield engine
    await engine.close()


@pytest_asyncio.fixture
async def dl(deepl_server):
    engine = DeepL(deepl_server.key, base_url=deepl_server.base_url, timeout=0.5)
    yield engine
    await engine.close()


@pytest_asyncio.fixture
async def whisper(whisper_server):
    client = WhisperHttp(whisper_server.base_url, model="Systran/faster-whisper-small", timeout=0.5)
    yield client
    await client.close()


# --- LibreTranslate ---------------------------------------------------------------------------------
async def test_libretranslate_gets_the_documented_request_and_its_answer_is_read(libre, lt):
    texts, detected = await lt.translate_batch(["Avluya bir bank koyalım, ağaçların altına", "Teşekkürler"], None,
                                               "de_simple", html=False)
    assert texts == ["AVLUYA BIR BANK KOYALIM, AĞAÇLARIN ALTINA", "TEŞEKKÜRLER"]
    assert detected == "tr"
    [(path, body)] = libre.requests
    assert path == "/translate"
    assert body == {"q": ["Avluya bir bank koyalım, ağaçların altına", "Teşekkürler"], "source": "auto",
                    "target": "de", "format": "text", "api_key": "lt-key"}      # Einfache Sprache is German


async def test_libretranslate_with_a_known_source_and_html(libre, lt):
    texts, detected = await lt.translate_batch(['Hallo <span translate="no" data-kz="1">{name}</span>'], "de",
                                               "tr", html=True)
    assert texts == ['HALLO <span translate="no" data-kz="1">{name}</span>'] and detected == "de"
    assert libre.requests[-1][1]["format"] == "html" and libre.requests[-1][1]["source"] == "de"


async def test_libretranslate_detects_and_lists_its_languages(libre, lt):
    found = await lt.detect("Avluya bir bank koyalım, ağaçların altına")
    assert found.language == "tr" and found.confidence == pytest.approx(0.88)
    assert (await lt.detect("ok")).language is None              # not sure: no language
    languages = await lt.languages()
    assert "de" in languages["tr"] and "tr" not in languages["tr"]


@pytest.mark.parametrize("mode, error", [("down", Unavailable), ("refuse", Unavailable), ("slow", Unavailable),
                                         ("garbage", Unavailable), ("ratelimit", RateLimited)])
async def test_libretranslate_failures_become_typed_errors(libre, lt, mode, error):
    libre.mode, libre.delay, libre.retry_after = mode, 2.0, "12"
    with pytest.raises(error) as raised:
        await lt.translate_batch(["Merhaba"], None, "de", html=False)
    if mode in ("down", "ratelimit"):
        assert raised.value.retry_after == 12.0
    if mode == "slow":
        assert "no answer within 0.5 s" in str(raised.value)


async def test_libretranslate_refuses_an_unsupported_language_and_names_a_missing_key(libre, lt):
    with pytest.raises(Refused, match="xx is not supported"):
        await lt.translate_batch(["Merhaba"], "xx", "de", html=False)
    keyless = LibreTranslate(libre.base_url, None, timeout=0.5)
    wrong = LibreTranslate(libre.base_url, "nope", timeout=0.5)
    try:
        with pytest.raises(Unavailable, match="KIEZBOT_TRANSLATE_API_KEY"):
            await keyless.translate_batch(["Merhaba"], None, "de", html=False)
        with pytest.raises(Unavailable, match="403.*KIEZBOT_TRANSLATE_API_KEY"):
            await wrong.translate_batch(["Merhaba"], None, "de", html=False)
    finally:
        await keyless.close()
        await wrong.close()


async def test_an_answer_that_does_not_fit_the_request_is_not_taken(libre, lt, monkeypatch):
    async def short(*args, **kwargs):
        return {"translatedText": ["only one"]}
    monkeypatch.setattr("bot.translation.libretranslate.call", short)
    with pytest.raises(Unavailable, match="unexpected answer"):
        await lt.translate_batch(["one", "two"], None, "de", html=False)


# --- DeepL ---------------------------------------------------------------------------------------------
def test_deepl_free_and_pro_keys_use_their_endpoints():
    assert endpoint_for("0f1e2d3c-4b5a-6978-8877-665544332211:fx") == FREE_URL == "https://api-free.deepl.com"
    assert endpoint_for("0f1e2d3c-4b5a-6978-8877-665544332211") == PRO_URL == "https://api.deepl.com"
    assert DeepL("abc:fx").url == FREE_URL


async def test_deepl_gets_the_documented_request(deepl_server, dl):
    texts, detected = await dl.translate_batch(["<b>Kiezfest</b> am Samstag"], "de", "en", html=True)
    assert texts == ["<b>KIEZFEST</b> AM SAMSTAG"] and detected == "de"
    [(path, body)] = deepl_server.requests
    assert path == "/v2/translate"
    assert body == {"text": ["<b>Kiezfest</b> am Samstag"], "target_lang": "EN-GB", "source_lang": "DE",
                    "tag_handling": "html", "preserve_formatting": True}
    texts, detected = await dl.translate_batch(["Avluya bir bank koyalım ğ"], None, "de_simple", html=False)
    assert detected == "tr" and "source_lang" not in deepl_server.requests[-1][1]
    assert deepl_server.requests[-1][1]["target_lang"] == "DE"
    assert (await dl.detect("Avluya bir bank koyalım ğ")).language == "tr"
    assert await dl.usage() == (deepl_server.characters, 500_000)


async def test_deepl_failures_become_typed_errors(deepl_server, dl):
    deepl_server.mode = "quota"
    with pytest.raises(Unavailable, match="456.*quota") as raised:
        await dl.translate_batch(["Hallo"], None, "tr", html=False)
    assert raised.value.retry_after == 3600
    deepl_server.mode, deepl_server.retry_after = "ratelimit", None
    with pytest.raises(RateLimited) as limited:
        await dl.translate_batch(["Hallo"], None, "tr", html=False)
    assert limited.value.retry_after == 30.0               # DeepL often sends no Retry-After: a default wait
    deepl_server.mode = "ok"
    wrong = DeepL("not-the-key:fx", base_url=deepl_server.base_url, timeout=0.5)
    try:
        with pytest.raises(Unavailable, match="403.*KIEZBOT_DEEPL_KEY"):
            await wrong.translate_batch(["Hallo"], None, "tr", html=False)
    finally:
        await wrong.close()
    with pytest.raises(Refused, match="source_lang"):
        await dl.translate_batch(["Hallo"], "xx", "tr", html=False)


# --- Whisper-compatible transcription -----------------------------------------------------------------
def test_the_transcription_endpoint_is_appended_unless_given():
    assert endpoint("http://127.0.0.1:8000/") == "http://127.0.0.1:8000/v1/audio/transcriptions"
    assert endpoint("http://w:8080/v1/audio/transcriptions") == "http://w:8080/v1/audio/transcriptions"


async def test_whisper_gets_a_multipart_request_and_names_the_language(whisper_server, whisper):
    whisper_server.say(VOICE, "أريد مقعدًا في الفناء", "ar")
    heard = await whisper.transcribe(VOICE, "audio/ogg")
    assert heard.text == "أريد مقعدًا في الفناء" and heard.language == "ar" and heard.provider == "whisper"
    [(path, fields)] = whisper_server.requests
    assert path == "/v1/audio/transcriptions"
    assert fields == {"model": "Systran/faster-whisper-small", "response_format": "verbose_json",
                      "filename": "voice.ogg", "content_type": "audio/ogg"}
    await whisper.transcribe(VOICE, "audio/ogg", "de_simple")
    assert whisper_server.requests[-1][1]["language"] == "de"


async def test_whisper_servers_that_give_codes_or_only_text(whisper_server, whisper, monkeypatch):
    whisper_server.say(VOICE, "Merhaba", "tr")
    whisper_server.names = False                       # faster-whisper / speaches: "tr"
    assert (await whisper.transcribe(VOICE, "audio/ogg")).language == "tr"

    async def text_only(*args, **kwargs):
        return {"text": " Merhaba "}
    monkeypatch.setattr("bot.translation.whisper.call", text_only)
    heard = await whisper.transcribe(VOICE, "audio/ogg")
    assert heard.text == "Merhaba" and heard.language is None


async def test_whisper_failures_become_typed_errors(whisper_server, whisper):
    with pytest.raises(Refused, match="Invalid file format"):
        await whisper.transcribe(b"not audio", "audio/ogg")
    whisper_server.mode = "down"
    with pytest.raises(Unavailable, match="503"):
        await whisper.transcribe(VOICE, "audio/ogg")
    whisper_server.mode = "ok"
    whisper_server.api_key = "secret"
    with pytest.raises(Unavailable, match="401.*Incorrect API key.*KIEZBOT_TRANSCRIBE_API_KEY"):
        await whisper.transcribe(VOICE, "audio/ogg")
    whisper_server.say(VOICE, "Hallo", "de")
    keyed = WhisperHttp(whisper_server.base_url, api_key="secret", timeout=0.5)
    try:
        assert (await keyed.transcribe(VOICE, "audio/ogg")).text == "Hallo"
    finally:
        await keyed.close()


# --- faster-whisper in process (the optional extra) ---------------------------------------------------
def test_faster_whisper_missing_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "faster_whisper", None)
    with pytest.raises(MissingExtra, match=r"pip install 'kiezbot\[whisper\]'"):
        FasterWhisper("small")


async def test_faster_whisper_runs_the_model_in_a_thread(monkeypatch):
    calls = []

    class Model:
        def __init__(self, name, device, compute_type):
            calls.append((name, device, compute_type))

        def transcribe(self, audio, language=None, vad_filter=False):
            assert audio.read() == VOICE and vad_filter
            return iter([types.SimpleNamespace(text=" Merhaba,"), types.SimpleNamespace(text=" komşular")]), \
                types.SimpleNamespace(language="tr")

    monkeypatch.setitem(sys.modules, "faster_whisper", types.SimpleNamespace(WhisperModel=Model))
    local = FasterWhisper("small")
    heard = await local.transcribe(VOICE, "audio/ogg")
    assert (heard.text, heard.language, heard.provider) == ("Merhaba, komşular", "tr", "faster-whisper")
    await local.transcribe(VOICE, "audio/ogg")
    assert calls == [("small", "cpu", "int8")]            # loaded once


# --- Retry-After, the voice note's bytes, protection over a real HTTP round trip -----------------------
def test_retry_after_in_seconds_or_as_a_date():
    now = datetime(2026, 12, 2, 10, 0, tzinfo=timezone.utc)
    assert parse_retry_after("30", now) == 30.0
    assert parse_retry_after(format_datetime(now + timedelta(seconds=90), usegmt=True), now) == 90.0
    assert parse_retry_after("soon", now) is None and parse_retry_after(None, now) is None


async def test_voice_notes_are_read_from_telegram(tg, bot):
    voice = tg.add_file(VOICE, "voice", mime_type="audio/ogg", duration=4)
    audio = await TelegramAudio(bot).fetch(voice.file_id)
    assert audio.data == VOICE and audio.mime == "audio/ogg"
    with pytest.raises(Refused, match="wrong file_id"):
        await TelegramAudio(bot).fetch("AwACAgIAAxkBAAIgone")


async def test_markup_survives_a_real_service_that_rewrites_html(libre, lt):
    libre.quirks = True          # single-quoted attributes, apostrophes as &#x27; — as an HTML writer does
    text = ("Liebe Nachbarn,\n<b>Kiezfest</b> am Samstag, 14 Uhr — Anmeldung: {link}\n"
            "Fragen? 030 4660 3111 oder <a href=\"https://qm-pankstrasse.de/fest?x=1&amp;y=2\">unsere Seite</a>, "
            "info@qm-pankstrasse.de")
    result = await ProtectingTranslator(lt).translate(text, "de", "tr", html=True)
    assert result.text == ("LIEBE NACHBARN,\n<b>KIEZFEST</b> AM SAMSTAG, 14 UHR — ANMELDUNG: {link}\n"
                           "FRAGEN? 030 4660 3111 ODER <a href=\"https://qm-pankstrasse.de/fest?x=1&amp;y=2\">"
                           "UNSERE SEITE</a>, info@qm-pankstrasse.de")

"""bot/whatsapp: the client's error sorting and the webhook's signature, handshake, replay and status
handling, against the fake Cloud API (tests/fake_whatsapp.py) over real HTTP."""
from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
from aiohttp import ClientSession, web

from bot.settings import ConfigError, load_settings
from bot.whatsapp.client import (MediaTooLarge, NotReachable, OutsideWindow, RateLimited, Rejected, RetryLater,
                                 WhatsAppClient)
from bot.whatsapp.webhook import WEBHOOK_PATH, WaMessage, WaStatus, WhatsAppWebhook
from tests.fake_whatsapp import FakeWhatsApp

PHONE = "4915100000001"


class Kiezbot:
    """kiezbot's side: the webhook on a real aiohttp server, collecting what it was handed."""

    def __init__(self) -> None:
        self.messages: list[WaMessage] = []
        self.statuses: list[WaStatus] = []
        self.fail = False

    async def on_message(self, m: WaMessage) -> None:
        if self.fail:
            raise RuntimeError("database down")
        self.messages.append(m)

    async def on_status(self, s: WaStatus) -> None:
        self.statuses.append(s)


@pytest.fixture
async def stack():
    kb = Kiezbot()
    async with FakeWhatsApp() as wa:
        hook = WhatsAppWebhook(verify_token="verify-me", app_secret=wa.app_secret, on_message=kb.on_message,
                               on_status=kb.on_status, phone_number_id=wa.phone_number_id,
                               clock=lambda: datetime.fromtimestamp(wa.clock(), UTC))
        app = web.Application()
        hook.register(app)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        wa.webhook_url = f"http://127.0.0.1:{port}{WEBHOOK_PATH}"
        client = WhatsAppClient(wa.api_base_url, wa.phone_number_id, wa.access_token)
        yield wa, hook, kb, client
        await client.close()
        await runner.cleanup()


async def test_meta_verification_handshake_needs_the_verify_token(stack):
    wa, _, _, _ = stack
    async with ClientSession() as http:
        ok = {"hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "1158201444"}
        async with http.get(wa.webhook_url, params=ok) as resp:
            assert resp.status == 200 and await resp.text() == "1158201444"
        async with http.get(wa.webhook_url, params={**ok, "hub.verify_token": "guess"}) as resp:
            assert resp.status == 403 and "1158201444" not in await resp.text()


async def test_unsigned_or_forged_posts_are_refused_before_anything_is_read(stack, caplog):
    wa, hook, kb, _ = stack
    caplog.set_level(logging.INFO)
    user = wa.user(PHONE, "Ada")
    await user.send("Hallo", signature=False)
    await user.send("Hallo", signature="sha256=" + "0" * 64)
    await user.send("Hallo", signature=wa.sign(b"another body"))
    forged = wa.envelope({"messages": [{"from": PHONE, "id": "wamid.X", "timestamp": "1", "type": "text"}]})
    assert await wa.post_webhook(b"not json at all", signature=wa.sign(b"not json at all", "other-secret")) == 401
    assert wa.webhook_answers == [401, 401, 401, 401] and kb.messages == [] and hook.refused == 4
    assert await wa.post_webhook(forged, signature=wa.sign(b"{}")) == 401
    assert PHONE not in caplog.text and "Hallo" not in caplog.text


async def test_a_signed_message_arrives_once_even_when_delivered_again(stack):
    wa, hook, kb, _ = stack
    user = wa.user(PHONE, "Ada")
    mid = await user.send("Hallo")
    await user.send("Hallo", message_id=mid)             # Meta retries, or someone replays the POST
    [message] = kb.messages
    assert (message.kind, message.text, message.wa_id, message.name) == ("text", "Hallo", PHONE, "Ada")
    assert wa.webhook_answers == [200, 200] and hook.ignored == 1


async def test_old_messages_are_ignored(stack):
    wa, hook, kb, _ = stack
    await wa.user(PHONE).send("from last week", timestamp=wa.clock() - 7 * 86400)
    assert kb.messages == [] and hook.ignored == 1 and wa.webhook_answers == [200]


async def test_a_failure_while_handling_answers_500_so_meta_delivers_again(stack):
    wa, _, kb, _ = stack
    kb.fail = True
    mid = await wa.user(PHONE).send("Hallo")
    kb.fail = False
    await wa.user(PHONE).send("Hallo", message_id=mid)
    assert wa.webhook_answers == [500, 200] and [m.message_id for m in kb.messages] == [mid]


async def test_presses_media_locations_and_stickers_become_kiezbot_kinds(stack):
    wa, _, kb, client = stack
    user = wa.user(PHONE, "Ada")
    await user.send("hi")
    await client.send_buttons(PHONE, "Sprache?", [("lang:de", "Deutsch"), ("lang:tr", "Türkçe")])
    [menu] = await user.wait_messages(1)
    await user.press(menu, "Türkçe")
    await client.send_list(PHONE, "Wo?", "Auswahl", [(f"area:{i}", f"Gebiet {i}") for i in range(10)])
    [listing] = await user.wait_messages(1)
    await user.press(listing, "Gebiet 7")
    await user.send_image(b"\xff\xd8photo", caption="Sperrmüll")
    await user.send_voice(b"OggS-voice")
    await user.send_location(52.55, 13.36)
    await user.send_sticker()
    kinds = [(m.kind, m.data, m.text) for m in kb.messages[1:]]
    assert kinds[:3] == [("press", "lang:tr", "Türkçe"), ("press", "area:7", "Gebiet 7"),
                         ("photo", "", "Sperrmüll")]
    assert [m.kind for m in kb.messages[4:]] == ["voice", "location", "sticker"]
    photo = kb.messages[3]
    media = await client.download(photo.media_id, max_bytes=1000)
    assert media.content == b"\xff\xd8photo" and media.mime_type == "image/jpeg"
    with pytest.raises(MediaTooLarge):
        await client.download(photo.media_id, max_bytes=3)


async def test_status_callbacks_reach_the_bookkeeping(stack):
    wa, _, kb, client = stack
    await wa.user(PHONE).send("hi")
    wamid = await client.send_text(PHONE, "Danke!")
    for status in ("sent", "delivered", "read"):
        await wa.send_status(wamid, status)
    await wa.send_status(wamid, "failed", error_code=131026)
    assert [(s.message_id, s.status) for s in kb.statuses] == [(wamid, s) for s in ("sent", "delivered", "read",
                                                                                    "failed")]
    assert kb.statuses[-1].error_code == 131026


async def test_errors_are_sorted_into_what_the_outbox_does_about_them(stack):
    wa, _, _, client = stack
    with pytest.raises(OutsideWindow):
        await client.send_text(PHONE, "reminder without a recent message")
    await wa.user(PHONE).send("hi")
    for code, kind in ((130429, RateLimited), (131056, RateLimited), (131026, NotReachable),
                       (131000, RetryLater), (190, RetryLater), (132001, Rejected)):
        wa.fail_next(code)
        with pytest.raises(kind) as err:
            await client.send_text(PHONE, "x")
        assert err.value.code == code and PHONE not in str(err.value)
    with pytest.raises(Rejected):
        await client.send_buttons(PHONE, "too many", [(str(i), f"B{i}") for i in range(4)])
    wrong = WhatsAppClient(wa.api_base_url, wa.phone_number_id, "expired")
    with pytest.raises(RetryLater) as err:
        await wrong.send_text(PHONE, "x")
    await wrong.close()
    assert err.value.code == 190
    dead = WhatsAppClient("http://127.0.0.1:9/v23.0", wa.phone_number_id, wa.access_token, timeout=2)
    with pytest.raises(RetryLater):
        await dead.send_text(PHONE, "x")
    await dead.close()


async def test_templates_go_outside_the_window(stack):
    wa, _, _, client = stack
    wa.add_template("kiezbot_reminder", {"de", "tr"})
    wamid = await client.send_template(PHONE, "kiezbot_reminder", "tr", ["Yarın 18:00 Quartiersrat"])
    assert wa.sent[-1].id == wamid and wa.sent[-1].text == "kiezbot_reminder | Yarın 18:00 Quartiersrat"


def test_whatsapp_settings_come_together_or_not_at_all(monkeypatch):
    monkeypatch.setenv("KIEZBOT_WHATSAPP_PHONE_NUMBER_ID", "106540352242922")
    monkeypatch.setenv("KIEZBOT_WHATSAPP_ACCESS_TOKEN", "EAAG")
    with pytest.raises(ConfigError, match="KIEZBOT_WHATSAPP_APP_SECRET"):
        load_settings(_env_file=None)
    monkeypatch.setenv("KIEZBOT_WHATSAPP_APP_SECRET", "s")
    monkeypatch.setenv("KIEZBOT_WHATSAPP_VERIFY_TOKEN", "v")
    monkeypatch.setenv("KIEZBOT_WHATSAPP_API_BASE_URL", "http://127.0.0.1:1/v23.0/")
    settings = load_settings(_env_file=None)
    assert settings.whatsapp_api_base_url == "http://127.0.0.1:1/v23.0"


def test_whatsapp_residents_get_their_own_pace_telegram_chats_keep_theirs():
    from bot.delivery.ratelimit import Limits
    from bot.whatsapp.outbound import ChannelRateLimiter
    from storage.whatsapp import WHATSAPP_CHAT_BASE
    limiter = ChannelRateLimiter(Limits(1000, 1.0, 20), recipient_gap=6.0)
    resident, telegram_user = WHATSAPP_CHAT_BASE + 17, 4242
    first = limiter.reserve(resident, 100.0)
    assert limiter.reserve(resident, 100.0) - first >= 6.0
    t = limiter.reserve(telegram_user, 100.0)
    assert 0.9 < limiter.reserve(telegram_user, 100.0) - t < 2.0
    limiter.record(resident, 200.0)
    assert 5.9 < limiter.ready_in(resident, 200.0) <= 6.0 and limiter.ready_in(telegram_user, 200.0) == 0

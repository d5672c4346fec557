"""`kiezbot run` (long polling for Telegram) with WhatsApp configured, as a real process: the webhook is
served beside /healthz, Meta's handshake works, a resident on WhatsApp is answered."""
from __future__ import annotations

import aiohttp

from tests.fake_whatsapp import FakeWhatsApp
from tests.test_e2e_run import free_port, start_kiezbot, stop, tg  # noqa: F401  (tg: the fixture)

PHONE = "4915199999999"


async def test_kiezbot_run_answers_on_whatsapp(tg, seeded_file, tmp_path):  # noqa: F811
    port = free_port()
    async with FakeWhatsApp(webhook_url=f"http://127.0.0.1:{port}/whatsapp/webhook") as wa:
        process = await start_kiezbot(tmp_path, {
            "KIEZBOT_BOT_TOKEN": tg.token, "KIEZBOT_API_BASE_URL": tg.base_url,
            "KIEZBOT_DATABASE_URL": f"sqlite:///{seeded_file}", "KIEZBOT_CONSOLE_PORT": str(port),
            "KIEZBOT_WHATSAPP_PHONE_NUMBER_ID": wa.phone_number_id, "KIEZBOT_WHATSAPP_ACCESS_TOKEN": wa.access_token,
            "KIEZBOT_WHATSAPP_APP_SECRET": wa.app_secret, "KIEZBOT_WHATSAPP_VERIFY_TOKEN": "verify-me-please",
            "KIEZBOT_WHATSAPP_API_BASE_URL": wa.api_base_url})
        try:
            async with aiohttp.ClientSession() as http:
                for _ in range(600):          # until the server listens (start-up loads the catalogs)
                    try:
                        async with http.get(wa.webhook_url, params={
                                "hub.mode": "subscribe", "hub.verify_token": "verify-me-please",
                                "hub.challenge": "4711"}) as resp:
                            assert resp.status == 200 and await resp.text() == "4711"
                            break
                    except aiohttp.ClientConnectionError:
                        if process.returncode is not None:
                            break
                        await __import__("asyncio").sleep(0.1)
            ada = wa.user(PHONE, "Ada")
            await ada.send("Merhaba")
            assert wa.webhook_answers == [200], (wa.webhook_answers, wa.errors)
            *_, languages = await ada.wait_messages(2, timeout=30)
            await ada.press(languages, "lang:en")
            [notice] = await ada.wait_messages(1, timeout=20)
            await ada.press(notice, "consent:yes")
            await ada.wait_messages(1, timeout=20)
            await ada.send("Koloniestrasse 129 13359")
            replies = await ada.wait_messages(2, timeout=20)
            assert "QM Soldiner" in " ".join(m.text for m in replies)
        except BaseException:
            code, err = await stop(process)
            print(err[-5000:])
            raise
        code, err = await stop(process)
    assert code == 0, err[-3000:]
    assert PHONE not in err and "verify-me-please" not in err and wa.access_token not in err

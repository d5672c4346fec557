"""`kiezbot broadcast` as the one sender (no `kiezbot run` alive) reaches the residents on WhatsApp too,
as `kiezbot run` would: real process, the fake Bot API and the fake WhatsApp Cloud API."""
from __future__ import annotations

import time
from datetime import datetime, timezone

from storage.db import create_engine, session_factory
from storage.models import ResidentRow
from storage.whatsapp import WHATSAPP_CHAT_BASE, WhatsAppContactRow
from tests.fake_telegram import FakeTelegram
from tests.fake_whatsapp import FakeWhatsApp
from tests.test_one_sender import broadcast_from_terminal

TELEGRAM_RESIDENT = 8301
WA_CHAT = WHATSAPP_CHAT_BASE + 4711
WA_ID = "4915199990000"


async def add_residents(url: str) -> None:
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session, session.begin():
            now = datetime.now(timezone.utc)
            session.add(WhatsAppContactRow(chat_id=WA_CHAT, wa_id=WA_ID, created_at=now, last_inbound_at=now))
            session.add_all([ResidentRow(chat_id=chat, language="de", consent_at=now, area_key="pankstrasse")
                             for chat in (TELEGRAM_RESIDENT, WA_CHAT)])
    finally:
        await engine.dispose()


async def test_a_terminal_broadcast_sending_itself_reaches_whatsapp_residents_too(seeded_file, tmp_path):
    url = f"sqlite:///{seeded_file}"
    await add_residents(url)
    async with FakeTelegram() as tg, FakeWhatsApp() as wa:
        tg.user(TELEGRAM_RESIDENT).register()
        ada = wa.user(WA_ID, "Ada")
        wa.last_inbound[WA_ID] = time.time()          # she wrote a minute ago: the 24-hour window is open
        env = {"KIEZBOT_BOT_TOKEN": tg.token, "KIEZBOT_API_BASE_URL": tg.base_url, "KIEZBOT_DATABASE_URL": url,
               "KIEZBOT_WHATSAPP_PHONE_NUMBER_ID": wa.phone_number_id,
               "KIEZBOT_WHATSAPP_ACCESS_TOKEN": wa.access_token, "KIEZBOT_WHATSAPP_APP_SECRET": wa.app_secret,
               "KIEZBOT_WHATSAPP_VERIFY_TOKEN": "verify-me-please", "KIEZBOT_WHATSAPP_API_BASE_URL": wa.api_base_url,
               "KIEZBOT_WHATSAPP_RECIPIENT_GAP": "0.1"}
        code, out = await broadcast_from_terminal(tmp_path, env)
        assert code == 0, out
        assert "sending broadcast #1 myself" in out and "finished: 2 sent, 0 failed" in out, out
        [message] = ada.inbox
        assert "Kiezfest am Samstag!" in message.text
        assert len(tg.stats["delivered"].get(TELEGRAM_RESIDENT, [])) == 1
        assert wa.errors == []
        assert WA_ID not in out and wa.access_token not in out

"""`kiezbot run` as a real process against the fake Bot API server: long polling and webhook mode."""
from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio

from tests.fake_telegram import FakeTelegram

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest_asyncio.fixture
async def tg():
    async with FakeTelegram() as server:
        yield server


async def start_kiezbot(tmp_path, env: dict, *args: str):
    full = {k: v for k, v in os.environ.items() if not k.startswith("KIEZBOT_")}
    full.update(PYTHONPATH=str(ROOT), **env)
    return await asyncio.create_subprocess_exec(sys.executable, "-m", "bot.cli", "run", *args, cwd=tmp_path, env=full,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)


async def stop(process) -> tuple[int, str]:
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
    _, err = await asyncio.wait_for(process.communicate(), 30)
    return process.returncode, err.decode()


async def test_kiezbot_run_long_polling_serves_a_resident(tg, seeded_file, tmp_path):
    process = await start_kiezbot(tmp_path, {"KIEZBOT_BOT_TOKEN": tg.token, "KIEZBOT_API_BASE_URL": tg.base_url,
                                             "KIEZBOT_DATABASE_URL": f"sqlite:///{seeded_file}"})
    try:
        user = tg.user(8001, first_name="Ada", language_code="tr")
        await user.send("/start")
        [ask] = await user.wait_messages(1, timeout=60)
        assert "Hangi dili" in ask.text               # Telegram's language (Turkish) proposed
        await user.press(ask, "lang:en")
        [notice] = await user.wait_messages(1, timeout=20)
        await user.press(notice, "consent:yes")
        await user.wait_messages(1, timeout=20)
        await user.send("Koloniestrasse 129 13359")
        intro, card = await user.wait_messages(2, timeout=20)
        assert "QM Soldiner Straße/Wollankstraße" in intro.text
        assert "Koloniestraße 129, 13359 Berlin" in card.text
    finally:
        code, err = await stop(process)
    assert code == 0, err
    assert tg.token not in err                         # the token is never logged


async def test_kiezbot_run_webhook_checks_the_secret_token(tg, seeded_file, tmp_path):
    port = free_port()
    secret = "s3cret-for-the-test"
    process = await start_kiezbot(tmp_path, {
        "KIEZBOT_BOT_TOKEN": tg.token, "KIEZBOT_API_BASE_URL": tg.base_url,
        "KIEZBOT_DATABASE_URL": f"sqlite:///{seeded_file}", "KIEZBOT_WEBHOOK_URL": f"http://127.0.0.1:{port}",
        "KIEZBOT_WEBHOOK_PORT": str(port), "KIEZBOT_WEBHOOK_SECRET": secret}, "--webhook")
    try:
        for _ in range(300):                           # until kiezbot has registered its webhook
            if tg.requests_for("setWebhook"):
                break
            await asyncio.sleep(0.1)
        assert tg.requests_for("setWebhook"), "kiezbot never set its webhook"
        await asyncio.sleep(0.3)
        user = tg.user(8002, first_name="Bo", language_code="en")
        delivered = await user.send("/start")
        assert delivered.webhook_status == 200
        [ask] = await user.wait_messages(1, timeout=20)
        assert "Which language" in ask.text
        async with aiohttp.ClientSession() as http:
            url = f"http://127.0.0.1:{port}/telegram/webhook"
            forged = await http.post(url, json={"update_id": 1, "message": {}},
                                     headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"})
            assert forged.status == 401
            missing = await http.post(url, json={"update_id": 2})
            assert missing.status == 401
            health = await http.get(f"http://127.0.0.1:{port}/healthz")
            body = await health.json()
            assert health.status == 200 and body["status"] == "ok", body
            assert body["checks"]["database"]["status"] == "ok"
            assert body["checks"]["telegram"] == {"status": "ok", "username": tg.bot_user["username"],
                                                  "checked_at": body["checks"]["telegram"]["checked_at"]}
            assert body["instance"]
    finally:
        code, err = await stop(process)
    assert code == 0, err
    assert secret not in err and tg.token not in err

"""Who serves the console: `kiezbot run` in polling mode (a small web server of its own, with /healthz),
`kiezbot run --webhook` (on the webhook server), and `kiezbot console` alone — real processes."""
from __future__ import annotations

import asyncio
import os
import sqlite3
import sys

import aiohttp

from tests.test_e2e_run import ROOT, free_port, stop, tg  # noqa: F401  (the fake Telegram fixture)


async def start(tmp_path, env: dict, *args: str):  # noqa: ANN001, ANN202
    full = {k: v for k, v in os.environ.items() if not k.startswith("KIEZBOT_")}
    full.update(PYTHONPATH=str(ROOT), **env)
    return await asyncio.create_subprocess_exec(sys.executable, "-m", "bot.cli", *args, cwd=tmp_path, env=full,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)


async def get(url: str, process=None, seconds: float = 180) -> tuple[int, str, str]:  # noqa: ANN001
    """(status, body, final URL) once the server answers (a start on a busy machine takes a while)."""
    async with aiohttp.ClientSession() as http:
        for _ in range(int(seconds / 0.1)):
            try:
                async with http.get(url, headers={"Accept-Language": "de"}) as response:
                    return response.status, await response.text(), str(response.url)
            except aiohttp.ClientConnectionError:
                if process is not None and process.returncode is not None:
                    raise AssertionError(f"kiezbot ended: {(await process.stderr.read()).decode()[-2000:]}")
                await asyncio.sleep(0.1)
    raise AssertionError(f"nothing answered on {url}")


def add_member(db_file, user_id: int, name: str) -> None:
    with sqlite3.connect(db_file) as connection:
        connection.execute("INSERT INTO staff (user_id, name, added_at) VALUES (?, ?, '2026-01-01 00:00:00')",
                           (user_id, name))


async def test_kiezbot_run_with_long_polling_serves_the_console_and_its_links(tg, seeded_file, tmp_path):
    port = free_port()
    add_member(seeded_file, 9101, "Dana")
    process = await start(tmp_path, {"KIEZBOT_BOT_TOKEN": tg.token, "KIEZBOT_API_BASE_URL": tg.base_url,
                                     "KIEZBOT_DATABASE_URL": f"sqlite:///{seeded_file}",
                                     "KIEZBOT_CONSOLE_ENABLED": "1", "KIEZBOT_CONSOLE_PORT": str(port)}, "run")
    try:
        status, body, _ = await get(f"http://127.0.0.1:{port}/console/", process)
        assert status == 401 and "Bitte melden Sie sich an" in body
        status, _, _ = await get(f"http://127.0.0.1:{port}/healthz")
        assert status == 200
        dana = tg.user(9101, first_name="Dana", language_code="de")
        await dana.send("/console")
        [message] = await dana.wait_messages(1, timeout=30)
        link = next(word for word in message.text.split() if "/console/signin/" in word)
        assert link.startswith(f"http://127.0.0.1:{port}/console/signin/")
        status, body, _ = await get(link)
        assert status == 200 and "Als Dana anmelden" in body
    finally:
        code, err = await stop(process)
    assert code == 0, err


async def test_kiezbot_run_with_a_webhook_serves_the_console_beside_it(tg, seeded_file, tmp_path):
    port = free_port()
    process = await start(tmp_path, {
        "KIEZBOT_BOT_TOKEN": tg.token, "KIEZBOT_API_BASE_URL": tg.base_url,
        "KIEZBOT_DATABASE_URL": f"sqlite:///{seeded_file}", "KIEZBOT_WEBHOOK_URL": f"http://127.0.0.1:{port}",
        "KIEZBOT_WEBHOOK_PORT": str(port), "KIEZBOT_CONSOLE_ENABLED": "true"}, "run", "--webhook")
    try:
        status, body, _ = await get(f"http://127.0.0.1:{port}/console/", process)
        assert status == 401 and "zwei Schritten" in body
        status, _, url = await get(f"http://127.0.0.1:{port}/console")
        assert url.endswith("/console/")
    finally:
        code, err = await stop(process)
    assert code == 0, err


async def test_kiezbot_console_serves_the_console_alone(seeded_file, tmp_path):
    port = free_port()
    process = await start(tmp_path, {"KIEZBOT_DATABASE_URL": f"sqlite:///{seeded_file}",
                                     "KIEZBOT_CONSOLE_PORT": str(port)}, "console")
    try:
        status, body, url = await get(f"http://127.0.0.1:{port}/", process)
        assert status == 401 and url.endswith("/console/") and "Bitte melden Sie sich an" in body
        status, _, _ = await get(f"http://127.0.0.1:{port}/console/static/console.css")
        assert status == 200
    finally:
        code, err = await stop(process)
    assert code == 0, err
